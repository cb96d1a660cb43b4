"""The bot's processes: updates taken in by long polling, stored, then handled.

`runbot` runs `serving` (intake and handling in one process), `runworker` runs `handling`
alone (for updates the webhook or another process stored); the end-to-end tests run the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

from telegram.ext import Application

from bot.application import ALLOWED_UPDATES, close_runtime, publish_command_menu
from bot.inbox_worker import InboxWorker
from bot.intake import store_updates
from bot.job_queue import JOB_CONCURRENCY, JobWorkers, uses_job_queue
from bot.polling import LONG_POLL_SECONDS, Poller
from bot.processing import UpdateProcessor
from core.db import db_call

logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def _running(
    application: Application, *, bot_id: int, drain_seconds: float, concurrency: int
):
    """The application and its update handling while the block runs; on leaving, the worker
    takes nothing new and gives the updates being handled its drain time. Yields the worker
    (to wake it when updates were stored here) and its task."""
    worker = update_handling(
        UpdateProcessor(application),
        bot_id=bot_id,
        concurrency=concurrency,
        drain_seconds=drain_seconds,
    )
    async with application:
        working = asyncio.create_task(worker.run(), name="update handling")
        try:
            yield worker, working
        finally:
            worker.stop()
            await asyncio.gather(working, return_exceptions=True)
            await close_runtime(application)


@contextlib.asynccontextmanager
async def handling(
    application: Application,
    *,
    bot_id: int,
    drain_seconds: float,
    concurrency: int = JOB_CONCURRENCY,
):
    """Handle stored updates while the block runs. Yields the task that ends early only if
    the worker fails."""
    async with _running(
        application, bot_id=bot_id, drain_seconds=drain_seconds, concurrency=concurrency
    ) as (_worker, working):
        yield (working,)


@contextlib.asynccontextmanager
async def serving(
    application: Application,
    *,
    bot_id: int,
    drain_seconds: float,
    concurrency: int = JOB_CONCURRENCY,
    long_poll_seconds: int = LONG_POLL_SECONDS,
):
    """`handling`, and long polling in front of it. Yields the tasks of both (they end early
    only when the worker fails or Telegram refuses the token)."""
    async with _running(
        application, bot_id=bot_id, drain_seconds=drain_seconds, concurrency=concurrency
    ) as (worker, working):
        await publish_command_menu(application)
        await application.bot.delete_webhook()
        poller = Poller(
            application.bot,
            store=db_call(functools.partial(_store, bot_id)),
            stored=lambda _new: worker.notify(),
            allowed_updates=ALLOWED_UPDATES,
            long_poll_seconds=long_poll_seconds,
        )
        polling = asyncio.create_task(poller.run(), name="long polling")
        try:
            yield polling, working
        finally:
            poller.stop()
            polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)


def update_handling(
    processor: UpdateProcessor, *, bot_id: int, concurrency: int, drain_seconds: float
) -> InboxWorker | JobWorkers:
    """Job workers on PostgreSQL (other processes may run more), else the in-process worker."""
    if uses_job_queue():
        return JobWorkers(processor, concurrency=concurrency, drain_seconds=drain_seconds)
    return InboxWorker(processor, bot_ids=[bot_id], drain_seconds=drain_seconds)


def _store(bot_id: int, payloads: list[dict]):
    return store_updates(bot_id=bot_id, payloads=payloads)
