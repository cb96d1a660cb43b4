"""The bots a process serves follow the admin: what happens to updates of a bot that is off,
not started yet, or whose token is wrong."""

import asyncio
from types import SimpleNamespace

import pytest
from asgiref.sync import sync_to_async

from bot.handlers import RUNTIME
from bot.intake import store_updates
from bot.models import InboundUpdate
from bot.processing import Result, UpdateProcessor
from bot.registry import BotApplications, ServedBot
from bots.models import Bot
from tests.bot.test_webhook import message_update
from tests.running_bot import inbox_settled

pytestmark = pytest.mark.django_db(transaction=True)

CHAT = 5151


@pytest.fixture
def bots(fake_telegram, bot_settings, prompts, llm_model, telegram_bot):
    return BotApplications(api_base_url=fake_telegram.base_url, drain_seconds=5)


async def stored(update_id: int) -> int:
    """As the intake stores it (on PostgreSQL with its job)."""
    [row] = await sync_to_async(store_updates)(
        bot_id=123456789, payloads=[message_update(update_id, chat=CHAT)]
    )
    return row.id


async def test_an_update_of_a_bot_switched_off_is_marked_failed_and_not_answered(
    bots, telegram_bot, fake_telegram
):
    await sync_to_async(Bot.objects.filter(pk=telegram_bot.pk).update)(is_active=False)
    inbound_id = await stored(1)

    assert await UpdateProcessor(bots).process(inbound_id) is Result.FAILED

    row = await InboundUpdate.objects.aget(pk=inbound_id)
    assert (row.state, "is not served" in row.last_error) == ("failed", True)
    assert fake_telegram.sent_messages(CHAT) == []
    await bots.close()


async def test_an_update_handled_already_is_done(bots):
    inbound_id = await stored(2)
    await InboundUpdate.objects.filter(pk=inbound_id).aupdate(state="done")

    assert await UpdateProcessor(bots).process(inbound_id) is Result.DONE
    await bots.close()


async def test_while_telegram_cannot_be_reached_the_bot_waits_to_start_and_its_update_too(
    bots, fake_telegram, fake_openai, caplog
):
    fake_telegram.fail_next("getMe", 502)
    inbound_id = await stored(3)
    processor = UpdateProcessor(bots)

    assert await processor.process(inbound_id) is Result.RETRY
    assert "could not start; trying again" in caplog.text
    assert await processor.process(inbound_id) is Result.DONE
    assert len(fake_telegram.sent_messages(CHAT)) == 1
    await bots.close()


async def test_a_token_of_another_telegram_bot_is_refused_until_staff_change_it(
    bots, telegram_bot, monkeypatch, caplog
):
    monkeypatch.setenv("OTHER_BOT_TOKEN", "999888777:ANOTHER-bots-token")
    await sync_to_async(Bot.objects.filter(pk=telegram_bot.pk).update)(
        token_variable="OTHER_BOT_TOKEN", encrypted_token=""
    )

    changes = await bots.refresh()
    again = await bots.refresh()

    assert changes.started == again.started == []
    assert caplog.text.count("its token belongs to another Telegram bot (999888777)") == 1
    assert "ANOTHER-bots-token" not in caplog.text
    await bots.close()


async def test_a_bot_let_go_with_an_update_in_hand_is_closed_after_the_drain(caplog):
    closed = asyncio.Event()

    async def shutdown():
        closed.set()

    async def close_runtime():
        pass

    application = SimpleNamespace(
        shutdown=shutdown, bot_data={RUNTIME: SimpleNamespace(close=close_runtime)}
    )
    info = SimpleNamespace(id=7, name="Shop", telegram_id=7)
    served = ServedBot(info, application)
    bots = BotApplications(api_base_url="http://127.0.0.1:9", drain_seconds=0.01)

    with served.handling():
        bots._retire(served)
        await asyncio.wait_for(closed.wait(), timeout=30)

    assert "Bot 7 closed with updates still in hand" in caplog.text
    await bots.close()


async def test_the_serving_process_answers_after_telegram_comes_back(
    fake_telegram, fake_openai, bot_settings, prompts, llm_model, telegram_bot
):
    """`runworker`'s handling: the bot could not start at first; the next look starts it."""
    from bot.serving import handling

    fake_telegram.fail_next("getMe", 502)
    await stored(4)
    async with handling(api_base_url=fake_telegram.base_url, drain_seconds=5, reload_seconds=0.05):
        [row] = await inbox_settled()

    assert row.state == "done"
    assert len(fake_telegram.sent_messages(CHAT)) == 1
