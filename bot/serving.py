"""The bot's processes: updates taken in by long polling, stored, then handled.

`runbot` runs `serving` (intake and handling in one process, for every active bot),
`runworker` runs `handling` alone (for updates the webhook or another process stored); the
end-to-end tests run the same. Both follow the bots staff configure (`bot.registry`): a bot
added, changed or switched off in admin is served, updated or let go within seconds. Both
run the operator desk (`bot.operator_desk`): what operators do in admin, and reminders; the
CRM courier (`integrations.courier`): lead events to the integrations staff configured; and
apply the retention period of personal data (`bot.retention`) once an hour; apps above add
their own work beside it through `bot.signals.serving_started` (the alerts).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram.error import TelegramError

from bot.application import ALLOWED_UPDATES, READ_TIMEOUT, publish_command_menu
from bot.inbox_worker import InboxWorker
from bot.intake import store_updates
from bot.job_queue import JOB_CONCURRENCY, JobWorkers, uses_job_queue
from bot.operator_desk import REMINDER_SECONDS, OperatorDesk
from bot.polling import LONG_POLL_SECONDS, Poller
from bot.processing import DATABASE_UNAVAILABLE, UpdateProcessor
from bot.registry import RELOAD_SECONDS, BotApplications, Changes, ServedBot
from bot.retention import RETENTION_FIRST_SECONDS, RETENTION_SECONDS, apply_retention
from bot.signals import serving_started
from core.db import db_call
from core.pausing import repeat
from integrations.courier import CrmCourier

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Running:
    """What `serving` and `handling` yield: the bots served, and the tasks that end early
    only when something fails for good."""

    bots: BotApplications
    tasks: tuple[asyncio.Task, ...]


@contextlib.asynccontextmanager
async def _running(
    bots: BotApplications,
    *,
    drain_seconds: float,
    concurrency: int,
    reload_seconds: float,
    reminder_seconds: float,
    on_changes: Callable[[Changes], Awaitable[None]],
):
    """The update handling, the operator desk, the CRM courier and the bots they serve while
    the block runs; on leaving, none takes anything new, what they are doing gets the drain
    time, then every bot closes. Yields the worker (to wake it when updates were stored here)
    and the `Running`."""
    worker = update_handling(
        UpdateProcessor(bots), concurrency=concurrency, drain_seconds=drain_seconds
    )
    desk = OperatorDesk(bots, reminder_seconds=reminder_seconds)
    courier = CrmCourier()
    await _look_at_bots(bots, on_changes)
    working = asyncio.create_task(worker.run(), name="update handling")
    following = asyncio.create_task(
        _follow_bots(bots, on_changes, reload_seconds), name="following the bots"
    )
    desk_work = asyncio.create_task(desk.run(), name="operator desk")
    courier_work = asyncio.create_task(courier.run(), name="CRM courier")
    stopping = asyncio.Event()
    duties = [
        asyncio.create_task(_keep_within_retention(stopping), name="retention"),
        *(
            task
            for _receiver, task in serving_started.send(
                sender=BotApplications, bots=bots, stopping=stopping
            )
            if isinstance(task, asyncio.Task)
        ),
    ]
    try:
        yield worker, Running(bots, (working, following, desk_work, courier_work))
    finally:
        following.cancel()
        stopping.set()
        worker.stop()
        desk.stop()
        courier.stop()
        await asyncio.gather(
            following,
            working,
            asyncio.wait_for(desk_work, drain_seconds),
            asyncio.wait_for(courier_work, drain_seconds),
            *(asyncio.wait_for(duty, drain_seconds) for duty in duties),
            return_exceptions=True,
        )
        await bots.close()


async def _look_at_bots(
    bots: BotApplications, on_changes: Callable[[Changes], Awaitable[None]]
) -> None:
    try:
        await on_changes(await bots.refresh())
    except DATABASE_UNAVAILABLE as error:
        logger.warning("Database unavailable; the bots are read again shortly: %s", error)


async def _follow_bots(bots, on_changes, reload_seconds: float) -> None:
    while True:
        await asyncio.sleep(reload_seconds)
        await _look_at_bots(bots, on_changes)


async def _keep_within_retention(stopping: asyncio.Event) -> None:
    """The retention period applied a minute after the start, then once an hour (every
    process does it; doing it twice at once changes nothing), until `stopping` is set. The
    first waits so a starting process does its urgent work first: the updates that waited."""
    await repeat(
        stopping,
        db_call(apply_retention),
        every=RETENTION_SECONDS,
        first_wait=RETENTION_FIRST_SECONDS,
        failure="Could not apply the retention period: %s",
    )


async def _no_intake(_changes: Changes) -> None:
    """Another process (the webhook, `runbot`) takes the updates in."""


@contextlib.asynccontextmanager
async def handling(
    *,
    api_base_url: str,
    drain_seconds: float,
    concurrency: int = JOB_CONCURRENCY,
    reload_seconds: float = RELOAD_SECONDS,
    reminder_seconds: float = REMINDER_SECONDS,
    read_timeout: float = READ_TIMEOUT,
):
    """Handle stored updates of every active bot while the block runs."""
    bots = BotApplications(
        api_base_url=api_base_url, drain_seconds=drain_seconds, read_timeout=read_timeout
    )
    async with _running(
        bots,
        drain_seconds=drain_seconds,
        concurrency=concurrency,
        reload_seconds=reload_seconds,
        reminder_seconds=reminder_seconds,
        on_changes=_no_intake,
    ) as (_worker, running):
        yield running


@contextlib.asynccontextmanager
async def serving(
    *,
    api_base_url: str,
    drain_seconds: float,
    concurrency: int = JOB_CONCURRENCY,
    long_poll_seconds: int = LONG_POLL_SECONDS,
    reload_seconds: float = RELOAD_SECONDS,
    reminder_seconds: float = REMINDER_SECONDS,
    read_timeout: float = READ_TIMEOUT,
):
    """`handling`, and long polling of each active bot in front of it."""
    bots = BotApplications(
        api_base_url=api_base_url, drain_seconds=drain_seconds, read_timeout=read_timeout
    )
    pollers = Pollers(long_poll_seconds)
    async with _running(
        bots,
        drain_seconds=drain_seconds,
        concurrency=concurrency,
        reload_seconds=reload_seconds,
        reminder_seconds=reminder_seconds,
        on_changes=pollers.follow,
    ) as (worker, running):
        pollers.wake = worker.notify
        try:
            yield running
        finally:
            await pollers.stop_all()


class Pollers:
    """A long-polling loop per served bot, started and stopped as the bots change."""

    def __init__(self, long_poll_seconds: int):
        self.long_poll_seconds = long_poll_seconds
        self.wake: Callable[[], None] = lambda: None
        self._polling: dict[int, tuple[Poller, asyncio.Task]] = {}

    async def follow(self, changes: Changes) -> None:
        for served in changes.stopped:
            await self._stop(served.info.telegram_id)
        for served in changes.started:
            await self._start(served)

    async def _start(self, served: ServedBot) -> None:
        """Publish the bot's menu, take its webhook off, then poll."""
        application = served.application
        telegram_id = served.info.telegram_id
        try:
            await publish_command_menu(application)
            await application.bot.delete_webhook()
        except TelegramError as error:
            logger.warning(
                "Bot %s: could not publish its menu or drop its webhook: %s", served.info.id, error
            )
        poller = Poller(
            application.bot,
            store=db_call(functools.partial(_store, telegram_id)),
            stored=lambda _new: self.wake(),
            allowed_updates=ALLOWED_UPDATES,
            long_poll_seconds=self.long_poll_seconds,
        )
        task = asyncio.create_task(poller.run(), name=f"long polling of bot {served.info.id}")
        task.add_done_callback(functools.partial(_polling_ended, served.info.id))
        self._polling[telegram_id] = (poller, task)

    async def _stop(self, telegram_id: int) -> None:
        poller, task = self._polling.pop(telegram_id, (None, None))
        if poller is None:
            return
        poller.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def stop_all(self) -> None:
        for telegram_id in list(self._polling):
            await self._stop(telegram_id)


def _polling_ended(bot_id: int, task: asyncio.Task) -> None:
    """Polling ends early only when Telegram refuses the token: say so; other bots go on."""
    if not task.cancelled() and task.exception() is not None:
        logger.error("Bot %s stopped polling: %s", bot_id, task.exception())


def update_handling(
    processor: UpdateProcessor, *, concurrency: int, drain_seconds: float
) -> InboxWorker | JobWorkers:
    """Job workers on PostgreSQL (other processes may run more), else the in-process worker."""
    if uses_job_queue():
        return JobWorkers(processor, concurrency=concurrency, drain_seconds=drain_seconds)
    return InboxWorker(processor, drain_seconds=drain_seconds)


def _store(bot_id: int, payloads: list[dict]):
    return store_updates(bot_id=bot_id, payloads=payloads)
