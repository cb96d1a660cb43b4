"""Indexing in the bot processes: each look, the documents waiting to be indexed are claimed
one at a time (`knowledge.indexing.claim`) and indexed, then missing vectors are made."""

from __future__ import annotations

import asyncio

from assistant.gateway import ClientPool
from core.pausing import repeat
from knowledge.indexing import index_pending

#: How often the processes look for documents to index.
LOOK_SECONDS = 15.0


async def keep_indexed(stopping: asyncio.Event) -> None:
    clients = ClientPool()
    try:
        await repeat(
            stopping,
            lambda: index_pending(clients=clients),
            every=LOOK_SECONDS,
            first_wait=LOOK_SECONDS,
            failure="Could not index the knowledge base: %s",
        )
    finally:
        await clients.close()


def start_indexing(sender, *, stopping: asyncio.Event, **_kwargs) -> asyncio.Task:
    """`bot.signals.serving_started`: index documents beside the updates."""
    return asyncio.create_task(keep_indexed(stopping), name="knowledge-indexing")
