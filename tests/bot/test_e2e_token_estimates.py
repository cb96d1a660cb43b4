"""End-to-end: a provider that sends no token counts (llama.cpp) still gets its calls counted.

The tokens are then estimated offline from the request and the answer, and marked as such.
"""

import json

import pytest
from asgiref.sync import sync_to_async

from assistant.context import estimate_tokens
from conversations.models import Message
from discovery.models import ExtractionRun
from tests.bot.test_e2e_basics import wait_messages
from tests.discovery.test_e2e_discovery import ScriptedModel, make_scenario, tool, until
from tests.fakes.openai_server import Reply

CHAT = 7801


def stored_reply():
    return Message.objects.get(role=Message.Role.ASSISTANT)


def request_tokens(request):
    return sum(estimate_tokens(message["content"]) for message in request.body["messages"])


async def test_a_reply_without_usage_stores_an_estimate_marked_as_such(
    running_bot, fake_telegram, fake_openai
):
    fake_openai.report_usage = False
    fake_openai.queue(Reply(text="Консультация стоит 3000 рублей."))
    fake_telegram.push_message(CHAT, "Сколько стоит консультация?")
    await wait_messages(fake_telegram, CHAT, 1)
    reply = await sync_to_async(stored_reply)()
    request = fake_openai.completion_requests()[0]
    assert request.body["stream_options"] == {"include_usage": True}
    assert reply.prompt_tokens == request_tokens(request) > 0
    assert reply.completion_tokens == estimate_tokens("Консультация стоит 3000 рублей.")
    assert reply.tokens_estimated is True


async def test_a_reply_with_usage_stores_the_providers_counts(
    running_bot, fake_telegram, fake_openai
):
    fake_openai.queue(Reply(text="Да.", usage=(120, 3)))
    fake_telegram.push_message(CHAT, "Можно?")
    await wait_messages(fake_telegram, CHAT, 1)
    reply = await sync_to_async(stored_reply)()
    assert (reply.prompt_tokens, reply.completion_tokens, reply.tokens_estimated) == (
        120,
        3,
        False,
    )


@pytest.fixture
def scenario(transactional_db):
    return make_scenario()


async def test_an_extraction_run_without_usage_stores_an_estimate_marked_as_such(
    running_bot, fake_telegram, fake_openai, scenario
):
    fake_openai.report_usage = False
    model = ScriptedModel(fake_openai)
    call = tool({"name": "Анна"})
    model.extractions = [call]
    fake_telegram.push_message(CHAT, "Я Анна")
    await wait_messages(fake_telegram, CHAT, 1)
    await until(lambda: ExtractionRun.objects.exists())
    run = await sync_to_async(ExtractionRun.objects.get)()
    request = next(r for r in fake_openai.completion_requests() if "tool_choice" in r.body)
    tool_tokens = estimate_tokens(json.dumps(request.body["tools"][0], ensure_ascii=False))
    assert run.status == "ok"
    assert run.prompt_tokens == request_tokens(request) + tool_tokens
    assert run.completion_tokens == estimate_tokens(call.arguments_json)
    assert run.tokens_estimated is True
