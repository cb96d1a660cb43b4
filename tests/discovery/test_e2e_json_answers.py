"""End-to-end: a model without tool calls (llama.cpp) fills the lead card with chatty JSON."""

import pytest
from asgiref.sync import sync_to_async

from discovery.models import ExtractionRun
from tests.bot.test_e2e_basics import wait_messages
from tests.discovery.test_e2e_discovery import CHAT, ScriptedModel, card, make_scenario, until
from tests.fakes.openai_server import Reply

FENCED = 'Here is the card:\n```json\n{"values": {"name": "Анна"}}\n```'
FOLLOWED_BY_TEXT = '{"values": {"name": "Анна"}}\n\nThe person gave her name.'


@pytest.fixture
def scenario(transactional_db):
    return make_scenario()


@pytest.mark.parametrize("answer", [FENCED, FOLLOWED_BY_TEXT], ids=["fenced", "trailing-text"])
async def test_json_in_a_fence_or_followed_by_text_fills_the_card(
    running_bot, fake_telegram, fake_openai, scenario, llm_model, answer
):
    llm_model.supports_tools = False
    await sync_to_async(llm_model.save)()
    model = ScriptedModel(fake_openai)
    model.extractions = [Reply(text=answer)]
    fake_telegram.push_message(CHAT, "Я Анна")
    await wait_messages(fake_telegram, CHAT, 1)
    await until(lambda: ExtractionRun.objects.exists())
    run = await sync_to_async(ExtractionRun.objects.get)()
    assert (run.status, run.error) == ("ok", "")
    assert (await sync_to_async(card)()) == {"name": "Анна"}
