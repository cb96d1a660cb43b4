"""Long polling: errors from Telegram are waited out; a refused token ends the bot."""

import asyncio

import pytest
from telegram.error import InvalidToken

from bot import polling
from bot.polling import Poller
from core.backoff import Backoff

QUICK_RETRIES = Backoff(first=0.01, longest=0.04)


@pytest.fixture
def quick_retries(monkeypatch):
    monkeypatch.setattr(polling, "RETRY_BACKOFF", QUICK_RETRIES)


def poller_for(ext_bot, kept):
    async def store(batch):
        kept.extend(update["update_id"] for update in batch)
        return batch

    return Poller(
        ext_bot, store=store, stored=lambda _new: None, allowed_updates=[], long_poll_seconds=1
    )


async def run_until_kept(poller, kept, count):
    task = asyncio.create_task(poller.run())
    async with asyncio.timeout(30):
        while len(kept) < count:
            await asyncio.sleep(0.005)
    poller.stop()
    await asyncio.wait_for(task, 10)


@pytest.mark.parametrize(
    ("error_code", "level"), [(502, "WARNING"), (409, "ERROR")], ids=["server error", "conflict"]
)
async def test_a_failed_fetch_is_logged_and_tried_again(
    ext_bot, fake_telegram, quick_retries, caplog, error_code, level
):
    kept = []
    fake_telegram.fail_next("getUpdates", error_code=error_code, times=2)
    update_id = fake_telegram.push_message(5, "hi")
    await run_until_kept(poller_for(ext_bot, kept), kept, 1)
    assert kept == [update_id]
    assert [r.levelname for r in caplog.records if "Could not fetch" in r.message] == [level] * 2


async def test_flood_control_on_fetching_is_waited_out(ext_bot, fake_telegram):
    kept = []
    fake_telegram.fail_next("getUpdates", error_code=429, retry_after=1)
    update_id = fake_telegram.push_message(5, "hi")
    await run_until_kept(poller_for(ext_bot, kept), kept, 1)
    assert kept == [update_id]


async def test_a_refused_token_ends_polling_with_the_error(ext_bot, fake_telegram):
    fake_telegram.fail_next("getUpdates", error_code=401, description="Unauthorized")
    with pytest.raises(InvalidToken):
        await asyncio.wait_for(poller_for(ext_bot, []).run(), 10)


async def test_a_stored_batch_is_confirmed_with_the_next_fetch(ext_bot, fake_telegram):
    kept = []
    for number in range(3):
        fake_telegram.push_message(5, f"m{number}")
    poller = poller_for(ext_bot, kept)
    task = asyncio.create_task(poller.run())
    await fake_telegram.wait_for_async(lambda: fake_telegram.pending_update_count() == 0, 10)
    poller.stop()
    await asyncio.wait_for(task, 10)
    assert len(kept) == 3


async def test_an_update_the_database_refuses_holds_up_no_other(caplog):
    """Not the database being away (that is waited out): one update it will never take."""
    from django.db import DataError

    kept = []

    async def store(batch):
        if any(update["update_id"] == 2 for update in batch):
            raise DataError("value too long")
        kept.extend(update["update_id"] for update in batch)
        return batch

    poller = Poller(None, store=store, stored=lambda _new: None, allowed_updates=[])
    await poller._keep([{"update_id": 1}, {"update_id": 2}, {"update_id": 3}])
    assert kept == [1, 3]
    assert poller._offset == 4
    assert "Update 2 cannot be stored: value too long" in caplog.text


async def test_the_database_going_away_while_storing_one_by_one_is_waited_out(monkeypatch):
    from django.db import DataError, OperationalError

    monkeypatch.setattr(polling, "RETRY_BACKOFF", QUICK_RETRIES)
    calls = []

    async def store(batch):
        calls.append(len(batch))
        if len(calls) == 1:
            raise DataError("refused")
        if len(calls) == 2:
            raise OperationalError("connection refused")
        return batch

    poller = Poller(None, store=store, stored=lambda _new: None, allowed_updates=[])
    await poller._keep([{"update_id": 1}])
    assert calls == [1, 1, 1]
    assert poller._offset == 2


async def test_an_update_python_telegram_bot_cannot_read_is_kept_as_sent(ext_bot, fake_telegram):
    """Reading it failed every fetch before anything was stored or confirmed, so it stopped
    the bot, at every restart, until Telegram dropped it a day later; kept as sent, the worker
    marks it failed and the updates after it are answered."""
    kept = []
    unreadable = {"update_id": 900, "message": {"chat": {"id": 5, "type": "private"}}}
    fake_telegram.push_raw(unreadable)
    update_id = fake_telegram.push_message(5, "hi")
    poller = Poller(
        ext_bot,
        store=lambda batch: asyncio.sleep(0, kept.extend(batch)),
        stored=lambda _new: None,
        allowed_updates=[],
        long_poll_seconds=1,
    )
    await run_until_kept(poller, kept, 2)
    assert kept[0] == unreadable
    assert kept[1]["update_id"] == update_id
