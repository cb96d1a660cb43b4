"""Database work from async code: the bot is asyncio, Django's ORM is synchronous."""

import time
from weakref import WeakKeyDictionary

from asgiref.sync import sync_to_async
from django.db import connections

from core.config_cache import current_hop

#: A connection idle this long is checked before use: the server may have restarted.
IDLE_CHECK_SECONDS = 30.0

_last_used: WeakKeyDictionary = WeakKeyDictionary()


def db_call(function):
    """Run a sync ORM function off the event loop, on a connection kept between calls.

    Opening a connection per call cost more than most of the queries it ran (SQLite reopens
    its file and runs its PRAGMAs, PostgreSQL authenticates). Each call is also one hop for
    cached configuration reads (`core.config_cache`).
    """

    def on_working_connection(*args, **kwargs):
        drop_broken_connections()
        hop = current_hop.set(object())
        try:
            return function(*args, **kwargs)
        finally:
            current_hop.reset(hop)
            for connection in connections.all(initialized_only=True):
                _last_used[connection] = time.monotonic()

    return sync_to_async(on_working_connection, thread_sensitive=True)


def drop_broken_connections() -> None:
    """Close this thread's connections that failed or may have gone stale while idle.

    A query that failed on a broken connection marks it (`errors_occurred`); one idle for
    `IDLE_CHECK_SECONDS` may have been cut by a server restart. Either is checked with a
    cheap query and replaced if it does not answer: that is what lets a long-running bot
    recover from a database restart with the next update.
    """
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        if connection.connection is None:
            continue
        idle = now - _last_used.get(connection, now)
        if not (connection.errors_occurred or idle >= IDLE_CHECK_SECONDS):
            continue
        if connection.is_usable():
            connection.errors_occurred = False
        else:
            connection.close()
