"""Small pieces of the bot that are easier to see in isolation."""

import asyncio
from types import SimpleNamespace

import pytest

from bot.delivery import Courier
from bot.handlers import on_error
from bot.processor import PerChatUpdateProcessor
from bot.streaming import ReplyStreamer


async def test_updates_without_a_chat_are_processed_without_waiting():
    processor = PerChatUpdateProcessor(4)
    done = []

    async def work():
        done.append(True)

    await processor.do_process_update(object(), work())
    assert done == [True]
    await processor.initialize()
    await processor.shutdown()


async def test_chat_locks_are_dropped_when_no_update_waits(fake_telegram):
    from telegram import Chat, Message, Update

    processor = PerChatUpdateProcessor(4)
    message = Message(1, None, Chat(5, "private"), text="x")
    update = Update(1, message=message)
    await asyncio.gather(
        *(processor.do_process_update(update, asyncio.sleep(0.01)) for _ in range(3))
    )
    assert processor._locks == {}


async def test_errors_outside_updates_are_only_logged(caplog):
    await on_error(None, SimpleNamespace(error=RuntimeError("job failed")))
    assert "Error while handling an update" in caplog.text


@pytest.mark.parametrize("private", [True, False])
def test_each_streamer_gets_its_own_draft_id(private):
    first = ReplyStreamer(Courier(None, 1, deadline_seconds=1), private=private)
    second = ReplyStreamer(Courier(None, 1, deadline_seconds=1), private=private)
    assert first.draft_id != second.draft_id
