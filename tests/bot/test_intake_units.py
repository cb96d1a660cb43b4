"""Small pieces of intake and handling that are easier to see in isolation."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import OperationalError
from telegram import Update

from bot import job_queue, processing, serving
from bot.channel import TelegramChannel
from bot.inbox_worker import InboxWorker
from bot.job_queue import TASK_NAME, JobWorkers, worker_app
from bot.polling import Poller, _seconds
from bot.processing import Result, UpdateProcessor, apologise, dispatch


def database_away(**kwargs):
    raise OperationalError("connection refused")


@pytest.mark.django_db(transaction=True)
async def test_an_update_that_cannot_be_read_from_the_inbox_waits(monkeypatch):
    monkeypatch.setattr(processing, "inbox_take", database_away)
    assert await UpdateProcessor(bots=None).process(1) is Result.RETRY


@pytest.mark.django_db(transaction=True)
async def test_a_failure_that_cannot_be_recorded_is_logged(monkeypatch, caplog):
    monkeypatch.setattr(processing, "inbox_fail", database_away)
    await UpdateProcessor(bots=None)._keep_error(1, RuntimeError("x"), final=True)
    assert "Could not record the failure of update 1" in caplog.text


async def test_an_update_no_handler_takes_is_left_alone():
    application = SimpleNamespace(handlers={0: [SimpleNamespace(check_update=lambda u: None)]})
    await dispatch(application, Update(1))  # nothing raised, nothing called


async def test_there_is_nobody_to_apologise_to_without_a_chat():
    await apologise(Update(1))  # no chat: nothing is sent (there is no bot to send with)


async def test_a_sign_of_life_that_was_never_started_needs_no_ending():
    channel = TelegramChannel(bot=None, chat_id=1, private=True)
    await channel.close()
    assert channel._early_stream is None


def test_retry_after_is_read_as_seconds_in_either_form():
    assert _seconds(3) == 3
    assert _seconds(datetime.timedelta(seconds=2)) == 2.0


async def test_a_batch_of_updates_already_stored_wakes_nobody():
    woken = []

    async def store(batch):
        return []

    poller = Poller(None, store=store, stored=woken.append, allowed_updates=[])
    await poller._keep([{"update_id": 5}])
    assert woken == []
    assert poller._offset == 6


def test_workers_get_an_app_of_their_own_that_knows_the_task():
    app = worker_app()
    assert TASK_NAME in app.tasks


def test_postgresql_gets_job_workers_and_sqlite_the_inbox_worker(monkeypatch):
    for uses_jobs, kind in ((True, JobWorkers), (False, InboxWorker)):
        monkeypatch.setattr(serving, "uses_job_queue", lambda uses_jobs=uses_jobs: uses_jobs)
        handler = serving.update_handling(None, concurrency=2, drain_seconds=1)
        assert isinstance(handler, kind)


def test_stopping_job_workers_before_they_ran_is_harmless():
    workers = JobWorkers(None, concurrency=1, drain_seconds=1, app=SimpleNamespace())
    workers.stop()
    workers.notify()
    assert workers._stopping.is_set()


async def test_a_failed_search_for_stalled_jobs_is_logged_and_tried_again(monkeypatch, caplog):
    async def broken(**kwargs):
        workers.stop()
        raise OSError("connection lost")

    app = SimpleNamespace(job_manager=SimpleNamespace(get_stalled_jobs=broken))
    workers = JobWorkers(None, concurrency=1, drain_seconds=1, app=app)
    monkeypatch.setattr(job_queue, "STALLED_CHECK_SECONDS", 0)
    await workers._retry_stalled_jobs()
    assert "Could not look for stalled jobs: connection lost" in caplog.text


@pytest.mark.parametrize("private", [True, False])
def test_the_early_stream_is_the_one_the_answer_gets(private):
    channel = TelegramChannel(bot=SimpleNamespace(), chat_id=1, private=private)
    channel._early_stream = early = object()
    assert channel.answer_stream() is early
    assert channel.answer_stream() is not early
