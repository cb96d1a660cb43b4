"""End-to-end through the fake Bot API and the fake model: a document staff upload answers a
question with its source; a 👎 answer an operator corrects becomes, once staff approve it, the
answer the next person gets.

The fake model answers from the passages it is given (the first one's text), so what the
person reads shows what the knowledge base put in the request.
"""

import json

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assistant.context import KNOWLEDGE_DATA_LABEL
from assistant.gateway import ClientPool
from bot.operator_desk import OperatorDesk
from conversations.models import Contact, Message
from conversations.services import desk_reply
from knowledge.indexing import index_pending
from knowledge.models import Document, KnowledgeEntry, Proposal
from tests.admin_forms import change_form_data
from tests.bot.test_e2e_basics import wait_messages
from tests.bot.test_e2e_feedback import press
from tests.discovery.test_e2e_discovery import until
from tests.factories import UserFactory
from tests.fakes.openai_server import Reply, echo_last_user_message

ANNA = 8401
BORIS = 8402
PRICE_LIST = """# Price list

## Parking

Clients park free of charge in the courtyard behind the office; tell the guard your name.

## Payment

We take cards and bank transfers; an invoice is sent the same day.
"""


@pytest.fixture(autouse=True)
def english(settings):
    """Staff's pages in English (the site's default is Russian)."""
    settings.LANGUAGE_CODE = "en"


def passages_in(body: dict) -> list[dict]:
    for message in body.get("messages", []):
        if str(message.get("content", "")).startswith(KNOWLEDGE_DATA_LABEL):
            return json.loads(message["content"].split("\n", 1)[1])
    return []


def answer_from_passages(body: dict) -> Reply:
    """The fake model's answer: the best passage's text, else an echo of the question."""
    passages = passages_in(body)
    return Reply(text=passages[0]["text"]) if passages else echo_last_user_message(body)


@pytest.fixture
def model_reads_passages(fake_openai):
    fake_openai.default = answer_from_passages
    return fake_openai


@pytest.fixture
def staff(transactional_db, client):
    user = UserFactory(username="olga", first_name="Olga", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def upload(staff, name: str, content: str) -> None:
    form = {"title": "Price list", "language": "", "url": "", "text": "", "is_active": "on"}
    upload = SimpleUploadedFile(name, content.encode())
    response = staff.post(reverse("admin:knowledge_document_add"), form | {"upload": upload})
    assert response.status_code == 302, response.content


async def test_an_uploaded_document_answers_a_question_with_its_source(
    running_bot, fake_telegram, model_reads_passages, staff
):
    await sync_to_async(upload)(staff, "prices.md", PRICE_LIST)
    await index_pending(clients=ClientPool())  # what the bot processes' indexing loop runs
    document = await Document.objects.aget()
    assert (document.status, document.progress_done) == (Document.Status.READY, 2)

    fake_telegram.push_message(ANNA, "Can I park my car near you?", language_code="en")

    answer = (await wait_messages(fake_telegram, ANNA, 1))[0]
    assert answer.visible_text.startswith("Clients park free of charge in the courtyard")
    reply = await Message.objects.aget(role=Message.Role.ASSISTANT)
    assert reply.sources[0]["title"] == "Price list › Parking"
    contact = await Contact.objects.aget(external_id=str(ANNA))
    transcript = reverse("admin:conversations_contact_transcript", args=[contact.pk])
    page = (await sync_to_async(staff.get)(transcript)).content.decode()
    assert "Sources:" in page and "Price list › Parking" in page


async def test_a_corrected_thumbs_down_answer_once_approved_is_what_the_next_person_gets(
    running_bots, running_bot, fake_telegram, model_reads_passages, staff
):
    fake_telegram.push_message(ANNA, "Do you work on Sundays?", language_code="en")
    wrong = (await wait_messages(fake_telegram, ANNA, 1))[0]
    assert wrong.visible_text == "echo: Do you work on Sundays?"  # nothing known yet
    reply = await Message.objects.aget(role=Message.Role.ASSISTANT)
    await press(fake_telegram, wrong, f"rate:{reply.pk}:down", chat_id=ANNA)
    await wait_messages(fake_telegram, ANNA, 2)  # "What was wrong?"
    fake_telegram.push_message(ANNA, "You did not say", language_code="en")
    await wait_messages(fake_telegram, ANNA, 3)  # thanked for the comment

    anna = await Contact.objects.aget(external_id=str(ANNA))
    olga = await sync_to_async(UserFactory)(username="operator")
    correction = "We are closed on Sundays; on Saturdays we work from 10 to 16."
    await sync_to_async(desk_reply)(
        contact_id=anna.pk, user_id=olga.pk, author_name="Olga", text=correction
    )
    await OperatorDesk(running_bots.bots).carry_out_outbox()
    delivered = await wait_messages(fake_telegram, ANNA, 4)
    assert delivered[3].visible_text.startswith(correction)

    await until(lambda: Proposal.objects.filter(answer=correction).exists())
    proposal = await Proposal.objects.aget()
    assert (proposal.kind, proposal.question, proposal.comment) == (
        Proposal.Kind.DOWNVOTED,
        "Do you work on Sundays?",
        "You did not say",
    )
    page = reverse("admin:knowledge_proposal_change", args=[proposal.pk])
    form = change_form_data(await sync_to_async(staff.get)(page))
    approved = await sync_to_async(staff.post)(page, form | {"_approve": "1"})
    assert approved.status_code == 302
    entry = await KnowledgeEntry.objects.aget()
    assert entry.answer == correction

    fake_telegram.push_message(BORIS, "Are you open on Sunday?", language_code="en")

    answer = (await wait_messages(fake_telegram, BORIS, 1))[0]
    assert correction in answer.visible_text
    boris_reply = await Message.objects.filter(
        role=Message.Role.ASSISTANT, contact__external_id=str(BORIS)
    ).aget()
    assert boris_reply.sources[0]["title"] == "Do you work on Sundays?"
