"""The job queue: a job per stored update, one chat in order, retried while the update waits.

procrastinate's in-memory connector stands in for PostgreSQL here, so these run on every
database; on PostgreSQL every end-to-end test of the bot also runs through real jobs.
"""

import asyncio
from types import SimpleNamespace

import procrastinate
import psycopg
import pytest
from django.db import connection
from procrastinate.contrib.django import app as django_app
from procrastinate.testing import InMemoryConnector

from bot import job_queue
from bot.inbox import inbox_store
from bot.intake import store_updates
from bot.job_queue import (
    PROCESSOR,
    JobWorkers,
    UpdateWaits,
    WhileTheUpdateWaits,
    defer_handling,
    handle_update,
    queue_job_counts,
    register_tasks,
)
from tests.bot.test_inbox_worker import QUICK_RETRIES, ScriptedProcessor, until
from tests.running_bot import in_thread

BOT = 9


@pytest.fixture
def connector():
    memory = InMemoryConnector()
    with django_app.replace_connector(memory):
        yield memory


def store(*chats):
    payloads = [
        {"update_id": number, "message": {"chat": {"id": chat}}}
        for number, chat in enumerate(chats, start=1)
    ]
    return inbox_store(bot_id=BOT, payloads=payloads, on_stored=defer_handling)


def workers_on(connector, processor, **options):
    app = procrastinate.App(connector=connector)
    register_tasks(app)
    return JobWorkers(processor, concurrency=4, drain_seconds=5, app=app, **options)


async def run_until_handled(workers, processor, count):
    task = asyncio.create_task(workers.run())
    await until(lambda: len(processor.handled) >= count)
    workers.stop()
    await asyncio.wait_for(task, 10)


@pytest.mark.django_db
def test_each_stored_update_gets_a_job_locked_to_its_chat(connector):
    stored = store(1, 2, 1)
    jobs = sorted(connector.jobs.values(), key=lambda job: job["id"])
    assert [job["args"] for job in jobs] == [{"inbound_id": update.id} for update in stored]
    assert [job["lock"] for job in jobs] == [f"{BOT}:1", f"{BOT}:2", f"{BOT}:1"]
    assert {job["queue_name"] for job in jobs} == {job_queue.QUEUE}


def test_only_an_update_waiting_for_the_database_is_retried_after_a_pause():
    """The pauses themselves are the shared backoff's (tests/core/test_backoff.py)."""
    strategy = WhileTheUpdateWaits()
    waiting = strategy.get_retry_decision(exception=UpdateWaits(), job=SimpleNamespace(attempts=3))
    assert waiting is not None
    assert waiting.retry_at is not None
    assert (
        strategy.get_retry_decision(exception=RuntimeError(), job=SimpleNamespace(attempts=0))
        is None
    )


async def test_a_job_whose_update_waits_raises_so_procrastinate_retries_it():
    context = SimpleNamespace(additional_context={PROCESSOR: ScriptedProcessor(retries={5: 1})})
    with pytest.raises(UpdateWaits):
        await handle_update(context, inbound_id=5)
    await handle_update(context, inbound_id=5)
    assert context.additional_context[PROCESSOR].handled == [5]


@pytest.mark.django_db(transaction=True)
async def test_workers_handle_every_job_and_retry_the_one_that_waits(connector, monkeypatch):
    monkeypatch.setattr(job_queue, "UPDATE_RETRY_BACKOFF", QUICK_RETRIES)
    stored = [u.id for u in await in_thread(store, 1, 2, 1)]
    processor = ScriptedProcessor(retries={stored[0]: 2})
    await run_until_handled(workers_on(connector, processor), processor, 3)
    assert sorted(processor.handled) == stored
    assert processor.attempts.count(stored[0]) == 3


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="procrastinate's queue is PostgreSQL's"
)
@pytest.mark.django_db(transaction=True)
async def test_on_postgresql_a_chat_keeps_its_order_across_workers_and_retries(monkeypatch):
    """Two worker processes' worth of workers; the chat's first update waits for the database
    twice, and its later updates wait behind it while another chat goes on."""
    monkeypatch.setattr(job_queue, "UPDATE_RETRY_BACKOFF", QUICK_RETRIES)

    def store_with_jobs():
        payloads = [
            {"update_id": n, "message": {"chat": {"id": chat}}}
            for n, chat in enumerate((1, 1, 2, 1, 2), start=1)
        ]
        return [u.id for u in store_updates(bot_id=BOT, payloads=payloads)]

    a1, a2, b1, a3, _b2 = await in_thread(store_with_jobs)
    processor = ScriptedProcessor(retries={a1: 2})
    workers = [JobWorkers(processor, concurrency=4, drain_seconds=5) for _ in range(2)]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    await until(lambda: len(processor.handled) == 5)
    for worker in workers:
        worker.stop()
    await asyncio.wait_for(asyncio.gather(*tasks), 20)
    chat_a = [i for i in processor.handled if i in (a1, a2, a3)]
    assert chat_a == [a1, a2, a3]
    assert processor.handled.index(b1) < processor.handled.index(a1)


@pytest.mark.django_db(transaction=True)
async def test_a_worker_that_fails_is_started_again(connector, monkeypatch, caplog):
    monkeypatch.setattr(job_queue, "WORKER_RESTART_SECONDS", 0.01)
    real_run = job_queue.ChatOrderWorker.run
    failures = []

    async def fails_once(self):
        if not failures:
            failures.append(1)
            raise OSError("connection to the database lost")
        return await real_run(self)

    monkeypatch.setattr(job_queue.ChatOrderWorker, "run", fails_once)
    [update] = await in_thread(store, 1)
    processor = ScriptedProcessor()
    await run_until_handled(workers_on(connector, processor), processor, 1)
    assert processor.handled == [update.id]
    assert "Job worker stopped (connection to the database lost)" in caplog.text


@pytest.mark.django_db(transaction=True)
async def test_jobs_of_a_worker_that_died_run_again(connector, monkeypatch, caplog):
    """A job left *doing* by a dead worker (no heartbeat) is put back and handled."""
    monkeypatch.setattr(job_queue, "STALLED_CHECK_SECONDS", 0.01)
    [update] = await in_thread(store, 1)
    [job] = connector.jobs.values()
    job.update(status="doing", worker_id=None)  # taken by a worker that then died
    processor = ScriptedProcessor()
    await run_until_handled(workers_on(connector, processor), processor, 1)
    assert processor.handled == [update.id]
    assert "of a worker that died runs again" in caplog.text


def failing_finish(connector, outcomes: list[str]):
    """`finish_job` of the in-memory queue doing, for the first job, what `outcomes` say, one
    per call: "lost"
    (the database went away before it was recorded), "late" (recorded, but the answer was
    lost), "refused" (the database says the job no longer runs); then as usual."""
    real_finish = connector.finish_job_run
    calls = []

    async def finish_job_run(job_id, status, delete_job):
        calls.append(job_id)
        outcome = outcomes.pop(0) if outcomes and job_id == min(calls) else "ok"
        if outcome in ("ok", "late"):
            await real_finish(job_id=job_id, status=status, delete_job=delete_job)
        if outcome == "refused":
            cause = psycopg.errors.RaiseException("Job was not found or not in doing status")
        elif outcome != "ok":
            cause = psycopg.OperationalError("server closed the connection unexpectedly")
        else:
            return
        raise procrastinate.exceptions.ConnectorException() from cause

    connector.finish_job_run = finish_job_run
    return calls


@pytest.mark.django_db(transaction=True)
async def test_a_jobs_end_not_recorded_is_recorded_again_so_its_chat_goes_on(
    connector, monkeypatch, caplog
):
    """The database away just as a job ended: the job is not left *doing*, holding its
    chat's later updates back for as long as the worker lives."""
    monkeypatch.setattr(job_queue, "UPDATE_RETRY_BACKOFF", QUICK_RETRIES)
    calls = failing_finish(connector, ["lost", "lost"])
    stored = [u.id for u in await in_thread(store, 1, 1, 1)]
    processor = ScriptedProcessor()
    await run_until_handled(workers_on(connector, processor), processor, 3)
    assert processor.handled == stored
    assert len(calls) == 5  # the first job's end three times, then one each
    assert "Could not record a job's end" in caplog.text


@pytest.mark.django_db(transaction=True)
async def test_a_jobs_end_recorded_after_all_is_not_recorded_again(connector, monkeypatch):
    monkeypatch.setattr(job_queue, "UPDATE_RETRY_BACKOFF", QUICK_RETRIES)
    calls = failing_finish(connector, ["late", "refused"])
    stored = [u.id for u in await in_thread(store, 1, 1)]
    processor = ScriptedProcessor()
    workers = workers_on(connector, processor)
    task = asyncio.create_task(workers.run())
    await until(lambda: len(calls) == 3)
    await asyncio.sleep(0.1)  # time for a fourth call, which must not come
    workers.stop()
    await asyncio.wait_for(task, 10)
    assert processor.handled == stored
    assert len(calls) == 3
    assert connector.jobs == {}


@pytest.mark.django_db(transaction=True)
async def test_a_stop_ends_the_tries_to_record_a_jobs_end(connector, monkeypatch):
    """The job is left *doing*: as a stopped worker's job it is taken up again later."""
    calls = failing_finish(connector, ["lost"] * 1000)
    [update] = await in_thread(store, 1)
    processor = ScriptedProcessor()
    workers = workers_on(connector, processor)
    task = asyncio.create_task(workers.run())
    await until(lambda: calls)
    workers.stop()
    await asyncio.wait_for(task, 10)
    assert processor.handled == [update.id]
    [job] = connector.jobs.values()
    assert job["status"] == "doing"


@pytest.mark.django_db
def test_the_jobs_waiting_for_a_worker_are_counted(connector):
    store(1, 2, 1)
    [job, *_others] = connector.jobs.values()
    job.update(status="doing")
    assert queue_job_counts() == {"todo": 2, "doing": 1}
