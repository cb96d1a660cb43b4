"""Handling updates in worker processes: procrastinate jobs on PostgreSQL, one chat in order.

Each stored update gets a job in the transaction that stores it, so an update is never
stored without being queued. Jobs carry the chat as their `lock`: procrastinate runs jobs
with the same lock one at a time in the order they were queued, across any number of
workers, so one chat's messages are answered in order while other chats run side by side.
A job whose update waits for the database is retried with backoff; a job whose worker died
(SIGKILL, a lost machine) is found by its missing heartbeat and run again, and the update's
handling resumes from what was stored.

The queue lives in PostgreSQL tables; on other databases (SQLite) the in-process inbox
worker handles the inbox instead.
"""

from __future__ import annotations

import asyncio
import logging

import procrastinate
import psycopg
from django.db import connection
from procrastinate.contrib.django import app as django_app
from procrastinate.contrib.django.utils import connector_params
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from procrastinate.worker import Worker

from bot.inbox import Stored
from bot.processing import UPDATE_RETRY_BACKOFF, Result, UpdateProcessor
from core.pausing import pause

logger = logging.getLogger(__name__)

QUEUE = "telegram-updates"
#: The states of a job not yet settled, as procrastinate names them.
JOB_STATES = ("todo", "doing")
#: Jobs one worker process runs at once (each mostly waits for the LLM and Telegram).
JOB_CONCURRENCY = 16
TASK_NAME = "bot.handle_update"
PROCESSOR = "processor"
#: Seconds before a job worker that failed (the database went away) is started again.
WORKER_RESTART_SECONDS = 15.0
#: A worker that has not said it is alive for this long is taken for dead; its jobs run again.
STALLED_AFTER_SECONDS = 15.0
HEARTBEAT_SECONDS = 3.0
STALLED_CHECK_SECONDS = 5.0
#: Workers are woken by PostgreSQL's NOTIFY; this poll only catches a wake-up that was missed
#: (a job queued while the worker's LISTEN connection was still being set up or reconnecting).
FETCH_POLL_SECONDS = 0.5


def uses_job_queue() -> bool:
    """Jobs need PostgreSQL (procrastinate's tables are created only there)."""
    return connection.vendor == "postgresql"


def queue_job_counts() -> dict[str, int]:
    """Jobs of the updates' queue waiting for a worker (`todo`) and running (`doing`).

    Jobs that succeeded are deleted, so procrastinate counts in a small table.
    """
    queues = django_app.job_manager.list_queues(queue=QUEUE)
    return {state: sum(queue[state] for queue in queues) for state in JOB_STATES}


class UpdateWaits(Exception):
    """The update could not be handled yet (the database is away): try again later."""


class WhileTheUpdateWaits(BaseRetryStrategy):
    """Retry only updates that wait for the database, with a growing pause; never a fault of
    ours (that update was answered with an apology and marked failed)."""

    def get_retry_decision(self, *, exception, job) -> RetryDecision | None:
        if not isinstance(exception, UpdateWaits):
            return None
        return RetryDecision(retry_in={"seconds": UPDATE_RETRY_BACKOFF.delay(job.attempts)})


async def handle_update(context: procrastinate.JobContext, inbound_id: int) -> None:
    processor: UpdateProcessor = context.additional_context[PROCESSOR]
    if await processor.process(inbound_id) is Result.RETRY:
        raise UpdateWaits(f"update {inbound_id} waits for the database")


def register_tasks(app: procrastinate.App | procrastinate.Blueprint):
    """The handling task on `app`: the Django app defers it, a worker's own app runs it."""
    return app.task(name=TASK_NAME, queue=QUEUE, pass_context=True, retry=WhileTheUpdateWaits())(
        handle_update
    )


HANDLE_UPDATE = register_tasks(django_app)


def defer_handling(stored: list[Stored]) -> None:
    """Queue a job per update, on the Django connection: inside the storing transaction."""
    for update in stored:
        HANDLE_UPDATE.configure(lock=update.chat_key).defer(inbound_id=update.id)


class ChatOrderWorker(Worker):
    """A worker that records each job's end until the database takes it, and looks for jobs
    again as soon as one of its jobs is settled.

    A job's end not recorded (the database went away just then) would leave the job *doing*
    for as long as this worker lives, holding its chat's lock: every later update of the chat
    would wait forever. So it is recorded again with a growing pause until the database
    answers; a stop cuts the pauses short, and the job left *doing* is then taken up again as
    a stopped worker's job.

    procrastinate wakes workers when a job is queued; the next update of a chat is usually
    queued while the chat's previous job still holds the lock, so no worker could take it
    then, and it would wait for the next poll (seconds). Settling a job frees its lock.
    """

    async def _persist_job_status(self, *args, **kwargs):
        attempt = 0
        while True:
            try:
                await super()._persist_job_status(*args, **kwargs)
                break
            except procrastinate.exceptions.ConnectorException as error:
                if _already_settled(error):
                    break
                logger.warning("Could not record a job's end (%s); trying again", error.__cause__)
                if await pause(self._stop_event, UPDATE_RETRY_BACKOFF.delay(attempt)):
                    raise
                attempt += 1
        self._new_job_event.set()


def _already_settled(error: Exception) -> bool:
    """The database refused the end because the job is no longer running: an earlier try
    was recorded after all (its answer was lost), or the job was put back meanwhile."""
    return isinstance(error.__cause__, psycopg.errors.RaiseException)


def worker_app() -> procrastinate.App:
    """An app of its own for workers, on an async connection to the same database."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(kwargs=connector_params("default"))
    )
    register_tasks(app)
    return app


class JobWorkers:
    """`concurrency` jobs at a time in this process, plus the search for stalled jobs.

    After `stop`, jobs in flight get `drain_seconds` to finish; one cut short is run again
    by a worker (it resumes from what was stored).
    """

    def __init__(
        self, processor: UpdateProcessor, *, concurrency: int, drain_seconds: float, app=None
    ):
        self.processor = processor
        self.concurrency = concurrency
        self.drain_seconds = drain_seconds
        self.app = app if app is not None else worker_app()
        self._stopping = asyncio.Event()
        self._worker: ChatOrderWorker | None = None

    def notify(self) -> None:
        """Nothing to do: PostgreSQL's LISTEN/NOTIFY wakes the workers of a deferred job."""

    async def run(self) -> None:
        """Work until `stop`; a worker that fails (the database went away) is started again."""
        async with self.app.open_async():
            stalled = asyncio.create_task(self._retry_stalled_jobs(), name="stalled jobs")
            try:
                while not self._stopping.is_set():
                    await self._work()
            finally:
                stalled.cancel()
                await asyncio.gather(stalled, return_exceptions=True)

    def stop(self) -> None:
        self._stopping.set()
        if self._worker is not None:
            self._worker.stop()

    async def _work(self) -> None:
        self._worker = ChatOrderWorker(
            self.app,
            queues=[QUEUE],
            concurrency=self.concurrency,
            shutdown_graceful_timeout=self.drain_seconds,
            additional_context={PROCESSOR: self.processor},
            install_signal_handlers=False,
            update_heartbeat_interval=HEARTBEAT_SECONDS,
            stalled_worker_timeout=STALLED_AFTER_SECONDS,
            delete_jobs="successful",
            fetch_job_polling_interval=FETCH_POLL_SECONDS,
        )
        try:
            await self._worker.run()
        except Exception as error:
            logger.warning("Job worker stopped (%s); starting again shortly", error)
            await pause(self._stopping, WORKER_RESTART_SECONDS)

    async def _retry_stalled_jobs(self) -> None:
        """Jobs of a worker that stopped saying it is alive run again (their update resumes)."""
        while not self._stopping.is_set():
            try:
                stalled = await self.app.job_manager.get_stalled_jobs(
                    queue=QUEUE, seconds_since_heartbeat=STALLED_AFTER_SECONDS
                )
                for job in stalled:
                    logger.warning("Job %s of a worker that died runs again", job.id)
                    await self.app.job_manager.retry_job(job)
            except Exception as error:
                logger.warning("Could not look for stalled jobs: %s", error)
            await pause(self._stopping, STALLED_CHECK_SECONDS)
