"""Database work from async code: the bot is asyncio, Django's ORM is synchronous."""

from asgiref.sync import sync_to_async
from django.db import close_old_connections


def db_call(function):
    """Run a sync ORM function off the event loop, with stale connections closed first.

    Closing old connections before each call is what lets a long-running bot recover
    from a database restart or a dropped connection on the next update.
    """

    def with_fresh_connection(*args, **kwargs):
        close_old_connections()
        return function(*args, **kwargs)

    return sync_to_async(with_fresh_connection, thread_sensitive=True)
