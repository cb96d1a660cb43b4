"""Long polling that confirms an update to Telegram only after it is stored.

`getUpdates` with an offset tells Telegram that every update below it arrived. The poller asks
for the next batch only once the last one is committed to the inbox, so while the database is
down nothing is confirmed and Telegram keeps the updates (for up to 24 hours).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from django.db import DatabaseError
from telegram import Bot
from telegram.error import Conflict, Forbidden, InvalidToken, RetryAfter, TelegramError

from bot.inbox import Stored
from bot.processing import DATABASE_UNAVAILABLE
from core.backoff import Backoff
from core.pausing import pause

logger = logging.getLogger(__name__)

LONG_POLL_SECONDS = 10
#: Seconds past the long poll to wait for Telegram's answer (what `get_updates` allowed).
FETCH_TIMEOUT_MARGIN = 15
#: Pauses while Telegram or the database is away (fetching and storing alike).
RETRY_BACKOFF = Backoff(first=0.5, longest=30.0)


class Poller:
    """Fetch updates, store them (`store` commits them to the inbox), then confirm them.

    `stored` hears of each committed batch that held new updates (to wake the worker).
    """

    def __init__(
        self,
        bot: Bot,
        *,
        store: Callable[[list[dict]], Awaitable[list[Stored]]],
        stored: Callable[[list[Stored]], None],
        allowed_updates: list[str],
        long_poll_seconds: int = LONG_POLL_SECONDS,
    ):
        self.bot = bot
        self.store = store
        self.stored = stored
        self.allowed_updates = allowed_updates
        self.long_poll_seconds = long_poll_seconds
        self._offset: int | None = None
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Ask no more; a batch already fetched but not stored is sent again by Telegram."""
        self._stopping.set()

    async def run(self) -> None:
        retrying = RETRY_BACKOFF.retrying(self._stopping)
        while not self._stopping.is_set():
            try:
                batch = await self._fetch()
            except (InvalidToken, Forbidden):
                raise
            except RetryAfter as error:
                await pause(self._stopping, _seconds(error.retry_after))
                continue
            except TelegramError as error:
                level = logging.ERROR if isinstance(error, Conflict) else logging.WARNING
                logger.log(
                    level,
                    "Could not fetch updates (retrying in %.1f s): %s",
                    retrying.next_delay,
                    error,
                )
                await retrying.pause()
                continue
            retrying.succeeded()
            if batch:
                await self._keep(batch)

    async def _fetch(self) -> list[dict]:
        """The batch as Telegram sent it. Not `Bot.get_updates`: it reads the batch into PTB's
        objects, and one update PTB cannot read (a newer schema, a Bot API emulator's error)
        failed every fetch, unstored and unconfirmed, stopping the bot at every start until
        Telegram dropped it a day later. Stored as sent, the worker marks it failed.
        `_post` is what `get_updates` calls (same connection pool, same errors)."""
        parameters = {
            "offset": self._offset,
            "timeout": self.long_poll_seconds,
            "allowed_updates": self.allowed_updates,
        }
        read_timeout = self.long_poll_seconds + FETCH_TIMEOUT_MARGIN
        return await self.bot._post("getUpdates", parameters, read_timeout=read_timeout)

    async def _store_batch(self, batch: list[dict]) -> list[Stored]:
        try:
            return await self.store(batch)
        except DATABASE_UNAVAILABLE:
            raise
        except DatabaseError:
            return await self._keep_each(batch)

    async def _keep_each(self, batch: list[dict]) -> list[Stored]:
        """The database refused the batch for what is in it (not for being away): store the
        updates one by one, so one it cannot take does not hold up every update after it."""
        new = []
        for update in batch:
            try:
                new += await self.store([update])
            except DATABASE_UNAVAILABLE:
                raise
            except DatabaseError as error:
                logger.error("Update %s cannot be stored: %s", update.get("update_id"), error)
        return new

    async def _keep(self, batch: list[dict]) -> None:
        """Store the batch, trying again while the database is away; then move the offset on."""
        retrying = RETRY_BACKOFF.retrying(self._stopping)
        while not self._stopping.is_set():
            try:
                new = await self._store_batch(batch)
            except DATABASE_UNAVAILABLE as error:
                logger.warning(
                    "Database unavailable; %s updates are not confirmed and wait in Telegram "
                    "(retrying in %.1f s): %s",
                    len(batch),
                    retrying.next_delay,
                    error,
                )
                await retrying.pause()
                continue
            self._offset = max(update["update_id"] for update in batch) + 1
            if new:
                self.stored(new)
            return


def _seconds(retry_after) -> float:
    return retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else retry_after
