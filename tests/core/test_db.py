"""Database work from async code keeps its connection, and replaces one that broke."""

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, connections
from django.utils import translation

from core import db
from core.db import DatabaseThreads, db_call

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def closes(monkeypatch):
    """The connections closed, by the alias of each close."""
    closed = []
    original = type(connections["default"]).close

    def close(self):
        closed.append(self.alias)
        original(self)

    monkeypatch.setattr(type(connections["default"]), "close", close)
    return closed


@pytest.fixture
def one_thread(settings):
    """Every call in the same thread, so on the same connection."""
    settings.DATABASE_THREADS = 1


def raw_connection():
    connection.ensure_connection()
    return connection.connection


def test_calls_share_one_open_connection(one_thread, closes):
    first = async_to_sync(db_call(raw_connection))()
    assert async_to_sync(db_call(raw_connection))() is first
    assert closes == []


def test_a_connection_that_failed_and_no_longer_answers_is_replaced(
    one_thread, closes, monkeypatch
):
    def fail():
        raw_connection()
        connection.errors_occurred = True
        monkeypatch.setattr(type(connections["default"]), "is_usable", lambda self: False)

    async_to_sync(db_call(fail))()
    async_to_sync(db_call(raw_connection))()
    assert closes == ["default"]


def test_a_connection_that_failed_but_still_answers_is_kept(one_thread, closes):
    def fail():
        raw_connection()
        connection.errors_occurred = True

    async_to_sync(db_call(fail))()
    async_to_sync(db_call(raw_connection))()
    assert closes == []
    assert not async_to_sync(db_call(lambda: connection.errors_occurred))()


def test_a_connection_idle_for_long_is_checked_first(one_thread, closes, monkeypatch):
    async_to_sync(db_call(raw_connection))()
    monkeypatch.setattr(db, "IDLE_CHECK_SECONDS", 0.0)
    monkeypatch.setattr(type(connections["default"]), "is_usable", lambda self: False)
    async_to_sync(db_call(raw_connection))()
    assert closes == ["default"]


@pytest.fixture
def two_threads(settings):
    settings.DATABASE_THREADS = 2
    yield
    DatabaseThreads.shut_down()


async def test_with_database_threads_one_slow_step_does_not_hold_up_another(two_threads):
    """On PostgreSQL one chat's database step runs while another's waits: the slow step
    here waits for the quick one, which would never come if they took turns."""
    quick_done = threading.Event()

    def slow():
        return quick_done.wait(timeout=30)

    slow_step = asyncio.ensure_future(db_call(slow)())
    await db_call(quick_done.set)()
    assert await slow_step


async def test_a_database_thread_works_in_the_callers_language_and_raises_its_errors(two_threads):
    def failing():
        raise ValueError(translation.get_language())

    with translation.override("ru"), pytest.raises(ValueError, match="ru"):
        await db_call(failing)()


async def test_a_step_given_up_before_a_thread_took_it_never_runs(settings):
    settings.DATABASE_THREADS = 2
    release = threading.Event()
    ran = []
    busy = [asyncio.ensure_future(db_call(release.wait)(30)) for _ in range(2)]
    given_up = asyncio.ensure_future(db_call(ran.append)("ran"))
    await asyncio.sleep(0)
    given_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await given_up
    release.set()
    assert all(await asyncio.gather(*busy))
    DatabaseThreads.shut_down()
    assert ran == []


async def test_shutting_down_closes_each_threads_connection(two_threads, closes):
    await db_call(raw_connection)()
    DatabaseThreads.shut_down()
    assert closes == ["default"]


async def test_shutting_down_does_not_wait_for_a_step_stuck_in_the_database(settings):
    """A step waiting on a lock (or on a connection gone silent) must not keep a stopping
    process alive past its drain: the process ends and the server rolls the step back."""
    settings.DATABASE_THREADS = 2
    stuck, release = threading.Event(), threading.Event()

    def wait_on_a_lock():
        stuck.set()
        release.wait(timeout=60)

    step = asyncio.ensure_future(db_call(wait_on_a_lock)())
    await asyncio.to_thread(stuck.wait, 30)
    shutting_down = threading.Thread(target=DatabaseThreads.shut_down)
    shutting_down.start()
    shutting_down.join(timeout=30)
    stopped_while_stuck = not shutting_down.is_alive()
    release.set()
    await step
    assert stopped_while_stuck
