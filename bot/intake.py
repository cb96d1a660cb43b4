"""Taking updates in: every way they arrive (long polling, the webhook) stores them here.

On PostgreSQL the job that handles an update is queued in the same transaction that stores
it (`bot.job_queue`); elsewhere the inbox itself is the queue, read by the in-process worker.
"""

from __future__ import annotations

from bot.inbox import Stored, inbox_store
from bot.job_queue import defer_handling, uses_job_queue


def store_updates(*, bot_id: int, payloads: list[dict]) -> list[Stored]:
    """Store updates once each (and queue their handling); the ones that were new."""
    on_stored = defer_handling if uses_job_queue() else None
    return inbox_store(bot_id=bot_id, payloads=payloads, on_stored=on_stored)
