"""Database work from async code: the bot is asyncio, Django's ORM is synchronous.

On SQLite every call runs in asgiref's one thread for sync code (SQLite has one writer; more
threads would only wait on each other). On PostgreSQL calls run in `DATABASE_THREADS` threads,
each with its own connection, so one chat's database step does not wait behind another's:
recording that a reply was delivered follows the send within a query's time, which is what
keeps the answers a killed worker sends again few.
"""

import asyncio
import contextvars
import queue
import threading
import time
from concurrent.futures import Future
from weakref import WeakKeyDictionary

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connections

from core.config_cache import current_hop

#: A connection idle this long is checked before use: the server may have restarted.
IDLE_CHECK_SECONDS = 30.0
#: How long a process's end waits for database steps still running after its drain.
SHUT_DOWN_WAIT_SECONDS = 2.0

_last_used: WeakKeyDictionary = WeakKeyDictionary()
#: Failures of database work in this process so far, and how many each connection has seen.
_failures = {"count": 0}
_failures_seen: WeakKeyDictionary = WeakKeyDictionary()


def db_call(function):
    """Run a sync ORM function off the event loop, on a connection kept between calls.

    Opening a connection per call cost more than most of the queries it ran (SQLite reopens
    its file and runs its PRAGMAs, PostgreSQL authenticates). Each call is also one hop for
    cached configuration reads (`core.config_cache`).
    """

    def on_working_connection(*args, **kwargs):
        drop_broken_connections()
        failures_before = _failures["count"]
        hop = current_hop.set(object())
        try:
            return function(*args, **kwargs)
        except DatabaseError:
            _failures["count"] += 1
            raise
        finally:
            current_hop.reset(hop)
            for connection in connections.all(initialized_only=True):
                _last_used[connection] = time.monotonic()
                _failures_seen.setdefault(connection, failures_before)

    in_shared_thread = sync_to_async(on_working_connection, thread_sensitive=True)

    async def call(*args, **kwargs):
        threads = DatabaseThreads.of_this_process()
        if threads is None:
            return await in_shared_thread(*args, **kwargs)
        return await threads.run(on_working_connection, *args, **kwargs)

    return call


def drop_broken_connections() -> None:
    """Close this thread's connections that failed or may have gone stale.

    A query that failed on a broken connection marks it (`errors_occurred`); one idle for
    `IDLE_CHECK_SECONDS` may have been cut by a server restart, and so may every other
    thread's once one of them failed. Such a connection is checked with a cheap query and
    replaced if it does not answer: that is what lets a long-running bot recover from a
    database restart with the next update, after one failed step rather than one per thread.
    """
    now = time.monotonic()
    failures = _failures["count"]
    for connection in connections.all(initialized_only=True):
        if connection.connection is None:
            continue
        idle = now - _last_used.get(connection, now)
        news = _failures_seen.get(connection, failures) != failures
        _failures_seen[connection] = failures
        if not (connection.errors_occurred or news or idle >= IDLE_CHECK_SECONDS):
            continue
        if connection.is_usable():
            connection.errors_occurred = False
        else:
            connection.close()


class DatabaseThreads:
    """A fixed set of threads for ORM work, each keeping its own connection open.

    Unlike a `ThreadPoolExecutor`, every thread closes its connections when the set is shut
    down, so a test database can be dropped and the server sees a clean goodbye.
    """

    _current: "DatabaseThreads | None" = None
    _creating = threading.Lock()

    def __init__(self, size: int):
        self._work: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name=f"database-{number}", daemon=True)
            for number in range(size)
        ]
        for thread in self._threads:
            thread.start()

    @classmethod
    def of_this_process(cls) -> "DatabaseThreads | None":
        """The process's threads when `DATABASE_THREADS` > 1, started at first use."""
        if settings.DATABASE_THREADS <= 1:
            return None
        with cls._creating:
            if cls._current is None:
                cls._current = cls(settings.DATABASE_THREADS)
            return cls._current

    @classmethod
    def shut_down(cls) -> None:
        """Let each thread finish its call and close its connections (at a process's end).

        A call still running after `SHUT_DOWN_WAIT_SECONDS` (waiting on a lock, or on a
        connection gone silent) is left behind: its caller gave up at the end of the drain,
        the daemon thread ends with the process, and the server rolls its work back, as after
        SIGKILL. Waiting for it would keep a stopping process alive for as long as the lock.
        """
        with cls._creating:
            current, cls._current = cls._current, None
        if current is not None:
            for _thread in current._threads:
                current._work.put(None)
            deadline = time.monotonic() + SHUT_DOWN_WAIT_SECONDS
            for thread in current._threads:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))

    async def run(self, function, *args, **kwargs):
        """`function(*args, **kwargs)` in one of the threads, in the caller's context (its
        language, its log fields)."""
        future: Future = Future()
        context = contextvars.copy_context()
        self._work.put((future, context, function, args, kwargs))
        return await asyncio.wrap_future(future)

    def _serve(self) -> None:
        try:
            while (item := self._work.get()) is not None:
                future, context, function, args, kwargs = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(context.run(function, *args, **kwargs))
                except BaseException as error:
                    future.set_exception(error)
        finally:
            connections.close_all()
