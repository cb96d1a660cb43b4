"""The bot in one process: updates taken in by long polling, stored, then handled.

`runbot` runs this; the end-to-end tests run the same through `serving`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

from telegram.ext import Application

from bot.application import ALLOWED_UPDATES, close_runtime, publish_command_menu
from bot.intake import store_updates
from bot.inbox_worker import InboxWorker
from bot.polling import LONG_POLL_SECONDS, Poller
from bot.processing import UpdateProcessor
from core.db import db_call

logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def serving(
    application: Application,
    *,
    bot_id: int,
    drain_seconds: float,
    long_poll_seconds: int = LONG_POLL_SECONDS,
):
    """Run intake and handling while the block runs; on leaving, stop taking updates and
    give those being handled `drain_seconds` to finish. Yields the polling task (it ends only
    when Telegram refuses the token)."""
    async with application:
        await publish_command_menu(application)
        await application.bot.delete_webhook()
        worker = InboxWorker(UpdateProcessor(application), bot_ids=[bot_id])
        poller = Poller(
            application.bot,
            store=db_call(functools.partial(_store, bot_id)),
            stored=lambda _new: worker.notify(),
            allowed_updates=ALLOWED_UPDATES,
            long_poll_seconds=long_poll_seconds,
        )
        working = asyncio.create_task(worker.run(), name="inbox worker")
        polling = asyncio.create_task(poller.run(), name="long polling")
        try:
            yield polling
        finally:
            poller.stop()
            polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)
            await worker.stop(drain_seconds)
            working.cancel()
            await asyncio.gather(working, return_exceptions=True)
            await close_runtime(application)


def _store(bot_id: int, payloads: list[dict]):
    return store_updates(bot_id=bot_id, payloads=payloads)
