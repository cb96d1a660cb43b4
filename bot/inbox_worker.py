"""Handling the inbox inside the bot's own process (the default on SQLite).

Each chat's updates are handled one at a time, in the order they were stored; different chats
run side by side. While the database is away an update is tried again with backoff, and the
chat's later updates wait behind it, so order is kept. Whatever is still waiting when the
process stops (or was killed) is taken up at the next start.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from bot.inbox import Stored, inbox_waiting
from bot.processing import DATABASE_UNAVAILABLE, UPDATE_RETRY_BACKOFF, Result, UpdateProcessor
from core.db import db_call
from core.pausing import pause

logger = logging.getLogger(__name__)

POLL_INTERVAL = 1.0
MAX_CONCURRENT_CHATS = 256
#: Waiting updates read at a time; a full page is followed at once by the next.
PAGE_SIZE = 500


class InboxWorker:
    """Takes waiting updates from the inbox and hands each to the processor, chat by chat.

    `notify()` wakes it when this process has just stored updates; otherwise it looks every
    `poll_interval` seconds (another process, such as the webhook, may have stored some).
    After `stop`, the updates being handled get `drain_seconds` to finish; what is cut short
    or still waiting stays in the inbox for the next start.
    """

    def __init__(
        self,
        processor: UpdateProcessor,
        *,
        drain_seconds: float,
        bot_ids: list[int] | None = None,
        poll_interval: float = POLL_INTERVAL,
        max_concurrent_chats: int = MAX_CONCURRENT_CHATS,
    ):
        self.processor = processor
        self.drain_seconds = drain_seconds
        self.bot_ids = bot_ids
        self.poll_interval = poll_interval
        self._slots = asyncio.Semaphore(max_concurrent_chats)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._queues: dict[str, deque[int]] = {}
        self._chats: dict[str, asyncio.Task] = {}
        self._last_seen = 0

    def notify(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Take updates until `stop` is called; then drain."""
        while not self._stopping.is_set():
            self._wake.clear()
            await self._take_waiting()
            await pause(self._wake, self.poll_interval)
        chats = list(self._chats.values())
        if chats:
            _done, pending = await asyncio.wait(chats, timeout=self.drain_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        """Take nothing new."""
        self._stopping.set()
        self._wake.set()

    async def _take_waiting(self) -> None:
        try:
            waiting = await db_call(inbox_waiting)(
                bot_ids=self.bot_ids, after_id=self._last_seen, limit=PAGE_SIZE
            )
        except DATABASE_UNAVAILABLE as error:
            logger.warning("Database unavailable; the inbox is read again shortly: %s", error)
            return
        for stored in waiting:
            self._enqueue(stored)
        if len(waiting) == PAGE_SIZE:
            self._wake.set()  # more are waiting: read on at once

    def _enqueue(self, stored: Stored) -> None:
        self._last_seen = max(self._last_seen, stored.id)
        key = stored.chat_key
        self._queues.setdefault(key, deque()).append(stored.id)
        if key not in self._chats:
            self._chats[key] = asyncio.create_task(self._handle_chat(key), name=f"chat {key}")

    async def _handle_chat(self, key: str) -> None:
        """Handle a chat's updates in order until none is waiting; then forget the chat."""
        queue = self._queues[key]
        try:
            async with self._slots:
                while queue and await self._settle(queue[0]):
                    queue.popleft()
        finally:
            del self._queues[key]
            del self._chats[key]

    async def _settle(self, inbound_id: int) -> bool:
        """Handle one update, trying again while the database is away; False when stopping
        first (the update waits in the inbox for the next start)."""
        retrying = UPDATE_RETRY_BACKOFF.retrying(self._stopping)
        while not self._stopping.is_set():
            if await self.processor.process(inbound_id) is not Result.RETRY:
                return True
            await retrying.pause()
        return False
