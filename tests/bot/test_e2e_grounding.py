"""End-to-end: an answer stands on the knowledge base's passages, kept with it as its sources;
with nothing found the model is told not to invent but to hand over. The finder is a stand-in
here; tests/knowledge drive the real one from an uploaded document."""

import json

import pytest

from assistant import grounding
from assistant.context import KNOWLEDGE_DATA_LABEL
from assistant.grounding import Findings, Passage
from conversations.models import Contact, Message
from knowledge.models import Proposal
from tests.bot.test_e2e_basics import wait_messages
from tests.discovery.test_e2e_discovery import until
from tests.fakes.openai_server import Fail, Reply, ToolCall

CHAT = 8301
PRICES = Passage(chunk_id=11, title="Prices › Haircuts", text="A haircut is 1500 RUB.", url="")
HOURS = Passage(chunk_id=12, title="Hours", text="Open 9 to 21.", url="https://salon.example/h")


@pytest.fixture
def knowledge(monkeypatch):
    """What the stand-in knowledge base finds for every question (set by the test)."""
    found = {"findings": Findings()}

    async def find(**_question):
        return found["findings"]

    monkeypatch.setattr(grounding, "_finder", find)
    return found


def passages_in(request) -> list[dict]:
    data = [
        message["content"]
        for message in request.body["messages"]
        if message["content"].startswith(KNOWLEDGE_DATA_LABEL)
    ]
    return json.loads(data[0].split("\n", 1)[1]) if data else []


async def test_an_answer_from_the_knowledge_base_keeps_its_sources(
    running_bot, fake_telegram, fake_openai, knowledge
):
    knowledge["findings"] = Findings([PRICES, HOURS], searched=True)
    fake_openai.queue(Reply(text="A haircut is 1500 RUB."))
    fake_telegram.push_message(CHAT, "How much is a haircut?", language_code="en")

    answer = (await wait_messages(fake_telegram, CHAT, 1))[0]

    assert answer.visible_text == "A haircut is 1500 RUB."
    assert passages_in(fake_openai.completion_requests()[0]) == [
        {"source": "Prices › Haircuts", "text": "A haircut is 1500 RUB."},
        {"source": "Hours", "text": "Open 9 to 21."},
    ]
    reply = await Message.objects.aget(role=Message.Role.ASSISTANT)
    assert reply.sources == [
        {"chunk": 11, "title": "Prices › Haircuts"},
        {"chunk": 12, "title": "Hours", "url": "https://salon.example/h"},
    ]


async def test_an_apology_for_no_answer_claims_no_sources(
    running_bot, fake_telegram, fake_openai, knowledge
):
    knowledge["findings"] = Findings([PRICES], searched=True)
    fake_openai.queue(*[Fail(500)] * 10)
    fake_telegram.push_message(CHAT, "How much is a haircut?", language_code="en")

    await wait_messages(fake_telegram, CHAT, 1)

    reply = await Message.objects.aget(role=Message.Role.ASSISTANT)
    assert (reply.status, reply.sources) == (Message.Status.FAILED, [])


async def test_with_nothing_found_the_model_is_told_to_check_and_hand_over(
    running_bot, fake_telegram, fake_openai, knowledge
):
    knowledge["findings"] = Findings([], searched=True)
    fake_openai.queue(Reply(text="I will check with a colleague."))
    fake_telegram.push_message(CHAT, "Do you do wedding hairstyles?", language_code="en")

    await wait_messages(fake_telegram, CHAT, 1)

    request = fake_openai.completion_requests()[0]
    assert passages_in(request) == []
    assert "do not guess or invent" in request.body["messages"][0]["content"]
    reply = await Message.objects.aget(role=Message.Role.ASSISTANT)
    assert reply.sources == []


async def test_a_question_handed_over_for_want_of_knowledge_is_proposed_for_the_knowledge_base(
    running_bot, fake_telegram, fake_openai, knowledge
):
    knowledge["findings"] = Findings([], searched=True)
    fake_openai.queue(ToolCall("hand_to_person", '{"reason": "not in the knowledge base"}'))
    fake_telegram.push_message(CHAT, "Do you do wedding hairstyles?", language_code="en")

    await wait_messages(fake_telegram, CHAT, 1)

    await until(lambda: Proposal.objects.exists())
    proposal = await Proposal.objects.aget()
    assert (proposal.kind, proposal.question, proposal.answer) == (
        Proposal.Kind.UNANSWERED,
        "Do you do wedding hairstyles?",
        "",
    )


async def test_a_handover_with_passages_found_proposes_nothing(
    running_bot, fake_telegram, fake_openai, knowledge
):
    knowledge["findings"] = Findings([PRICES], searched=True)
    fake_openai.queue(ToolCall("hand_to_person", '{"reason": "angry"}'))
    fake_telegram.push_message(CHAT, "I want a refund for my haircut!", language_code="en")

    await wait_messages(fake_telegram, CHAT, 1)
    await until(lambda: Contact.objects.filter(handoffs__isnull=False).exists())

    assert not await Proposal.objects.aexists()
