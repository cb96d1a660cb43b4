"""Delivering the bot's messages: retried until a deadline, every part's outcome known.

A send that cannot have reached Telegram (a 5xx or 429 answer, a refused connection, a
connection pool that was full) is retried with backoff, waiting out `retry_after`, until the
delivery deadline. A send that may have arrived (the answer timed out, the connection broke
mid-request) is never repeated: it is recorded as *uncertain*, so the person neither gets a
message twice nor an apology for one they did get. Edits are idempotent (an identical edit
is "not modified"), so they are retried even then; an edit Telegram refuses becomes a new
message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.formatting import TelegramPart, render_for_telegram
from bot.ratelimit import RETRIED_BY_CALLER, retry_after_seconds
from conversations.models import Message
from core.backoff import Backoff

logger = logging.getLogger(__name__)

State = Message.Delivery
#: Pauses between sends that cannot have reached Telegram (5xx, refused connection, full pool).
SEND_RETRY_BACKOFF = Backoff(first=0.5, longest=8.0)
#: httpx errors raised before a single byte of the request left: safe to send again.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class PartOutcome:
    state: str
    message_id: int | None = None
    error: str = ""

    def as_record(self) -> dict:
        return {"state": self.state, "message_id": self.message_id}


@dataclass(frozen=True)
class Delivery:
    """What became of one text (one or more Telegram messages)."""

    parts: tuple[PartOutcome, ...]
    blocked_by: Forbidden | None = None

    @property
    def state(self) -> str:
        states = {part.state for part in self.parts}
        if not states or states == {State.DELIVERED}:
            return State.DELIVERED
        if State.UNDELIVERED in states:
            return State.UNDELIVERED
        return State.UNCERTAIN

    @property
    def error(self) -> str:
        return "; ".join(part.error for part in self.parts if part.error)

    @property
    def message_ids(self) -> list[int]:
        return [part.message_id for part in self.parts if part.message_id is not None]

    @classmethod
    def blocked(cls, part_count: int, error: Forbidden) -> Delivery:
        """Nothing of `part_count` parts can arrive: the person blocked the bot."""
        lost = PartOutcome(State.UNDELIVERED, error=_describe(error))
        return cls((lost,) * part_count, blocked_by=error)

    def raise_if_blocked(self) -> None:
        """The person blocked the bot: nothing more of this update can reach them."""
        if self.blocked_by is not None:
            raise self.blocked_by


class _Undelivered(Exception):
    """Telegram refused the call for good, or the deadline ran out."""


class _Uncertain(Exception):
    """The call may have been carried out; repeating it could duplicate a message."""


def _is_retryable(error: NetworkError) -> bool:
    """True when the request cannot have been carried out by Telegram."""
    cause = error.__cause__
    if cause is None:
        return True  # Telegram itself answered with an error status (5xx)
    return isinstance(cause, _NEVER_SENT)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:200]


class Courier:
    """Sends to one chat (or one topic of a forum: `thread_id`) within a deadline that starts
    with the first attempt of each text."""

    def __init__(
        self,
        bot,
        chat_id: int | str,
        *,
        deadline_seconds: float,
        thread_id: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.bot = bot
        self.chat_id = chat_id
        self.thread_id = thread_id
        self.deadline_seconds = deadline_seconds
        self.clock = clock
        self.sleep = sleep

    async def send_text(self, text: str, **extra) -> Delivery:
        """Markdown-ish text of any length; `extra` (buttons) goes with the last part."""
        return await self.send_parts(render_for_telegram(text), **extra)

    async def send_parts(self, parts: list[TelegramPart], **extra) -> Delivery:
        return await self._send_all(parts, self.clock() + self.deadline_seconds, extra)

    async def replace_text(self, message_id: int, text: str) -> Delivery:
        """Show Markdown-ish `text` in a message sent before (parts past the first follow)."""
        return await self.replace(message_id, render_for_telegram(text))

    async def replace(
        self, message_id: int, parts: list[TelegramPart], *, shown_html: str = "", **extra
    ) -> Delivery:
        """Turn a shown message into the first part, the rest as new messages; `extra`
        (buttons) goes with the last part.

        `shown_html` is what the message shows now: no edit is needed when it is the first
        part already (and gets no buttons). When the message cannot be edited (deleted, too
        old), the text is sent anew and the stale message is removed if Telegram lets us.
        """
        deadline = self.clock() + self.deadline_seconds
        first_extra = extra if len(parts) == 1 else {}
        try:
            if parts[0].html != shown_html or first_extra:
                await self._edit_part(message_id, parts[0], deadline, first_extra)
        except Forbidden as error:
            return Delivery.blocked(len(parts), error)
        except _Undelivered as error:
            logger.warning("Could not edit message %s in %s: %s", message_id, self.chat_id, error)
            await self.delete_quietly(message_id)
            return await self._send_all(parts, deadline, extra)
        following = await self._send_all(parts[1:], deadline, extra)
        edited = PartOutcome(State.DELIVERED, message_id)
        return Delivery((edited, *following.parts), following.blocked_by)

    async def send_voice(self, audio: bytes) -> Delivery:
        """A voice message (OGG/Opus); retried like a text within the deadline."""
        deadline = self.clock() + self.deadline_seconds

        def send():
            return self.bot.send_voice(
                self.chat_id,
                audio,
                message_thread_id=self.thread_id,
                rate_limit_args=RETRIED_BY_CALLER,
            )

        try:
            message = await self._attempt(send, deadline)
        except Forbidden as error:
            return Delivery.blocked(1, error)
        except _Uncertain as error:
            return Delivery((PartOutcome(State.UNCERTAIN, error=str(error)),))
        except (_Undelivered, _Refused) as error:
            return Delivery((PartOutcome(State.UNDELIVERED, error=str(error)),))
        return Delivery((PartOutcome(State.DELIVERED, message.message_id),))

    async def _send_all(self, parts: list[TelegramPart], deadline: float, extra: dict) -> Delivery:
        outcomes: list[PartOutcome] = []
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            try:
                message_id = await self._send_part(part, deadline, extra if last else {})
            except Forbidden as error:
                lost = Delivery.blocked(len(parts) - index, error)
                return Delivery((*outcomes, *lost.parts), blocked_by=error)
            except _Uncertain as error:
                outcomes.append(PartOutcome(State.UNCERTAIN, error=str(error)))
                continue
            except _Undelivered as error:
                lost = PartOutcome(State.UNDELIVERED, error=str(error))
                outcomes += [lost] * (len(parts) - index)
                break
            outcomes.append(PartOutcome(State.DELIVERED, message_id))
        return Delivery(tuple(outcomes))

    async def _send_part(self, part: TelegramPart, deadline: float, extra: dict) -> int:
        def send(text: str, parse_mode: str | None):
            return self.bot.send_message(
                self.chat_id,
                text,
                parse_mode=parse_mode,
                message_thread_id=self.thread_id,
                rate_limit_args=RETRIED_BY_CALLER,
                **extra,
            )

        try:
            message = await self._attempt(lambda: send(part.html, ParseMode.HTML), deadline)
        except _Refused as refused:
            if not refused.bad_request:
                raise _Undelivered(refused.reason) from None
            logger.warning("HTML rejected (%s); sending plain text to %s", refused, self.chat_id)
            try:
                message = await self._attempt(lambda: send(part.plain, None), deadline)
            except _Refused as plain_refused:
                raise _Undelivered(plain_refused.reason) from None
        return message.message_id

    async def _edit_part(
        self, message_id: int, part: TelegramPart, deadline: float, extra: dict
    ) -> None:
        """Edit in place; "not modified" means the text is already there."""

        def edit(text: str, parse_mode: str | None):
            return self.bot.edit_message_text(
                text,
                self.chat_id,
                message_id,
                parse_mode=parse_mode,
                rate_limit_args=RETRIED_BY_CALLER,
                **extra,
            )

        try:
            await self._attempt(lambda: edit(part.html, ParseMode.HTML), deadline, idempotent=True)
        except _Refused as refused:
            if refused.not_modified:
                return
            if not refused.parse_error:
                raise _Undelivered(refused.reason) from None
            try:
                await self._attempt(lambda: edit(part.plain, None), deadline, idempotent=True)
            except _Refused as plain_refused:
                if not plain_refused.not_modified:
                    raise _Undelivered(plain_refused.reason) from None

    async def _attempt(self, call, deadline: float, *, idempotent: bool = False):
        """Call until it succeeds; raise _Refused, _Uncertain, _Undelivered or Forbidden.

        An idempotent call (an edit) is repeated even when it may have been carried out.
        """
        attempt = 0
        while True:
            try:
                return await call()
            except Forbidden:
                raise
            except RetryAfter as error:
                wait, reason = retry_after_seconds(error), _describe(error)
            except ChatMigrated as error:
                self.chat_id, wait, reason = error.new_chat_id, 0.0, _describe(error)
            except BadRequest as error:
                raise _Refused(error) from error
            except NetworkError as error:  # TimedOut included
                if not (idempotent or _is_retryable(error)):
                    raise _Uncertain(_describe(error)) from error
                wait, reason = SEND_RETRY_BACKOFF.delay(attempt), _describe(error)
            except TelegramError as error:
                raise _Refused(error) from error
            if self.clock() + wait > deadline:
                raise _Undelivered(f"deadline exceeded; last error {reason}")
            logger.warning(
                "Telegram call for %s failed (%s); retry in %.1f s", self.chat_id, reason, wait
            )
            await self.sleep(wait)
            attempt += 1

    async def delete_quietly(self, message_id: int) -> None:
        """Remove a stale message if Telegram lets us; it is only tidying up."""
        try:
            await self.bot.delete_message(self.chat_id, message_id)
        except TelegramError as error:
            logger.info("Stale message %s in chat %s stays: %s", message_id, self.chat_id, error)


class _Refused(Exception):
    """Telegram answered the call with an error that repeating it cannot fix."""

    def __init__(self, error: TelegramError):
        super().__init__(_describe(error))
        self.reason = _describe(error)
        self.bad_request = isinstance(error, BadRequest)
        self.not_modified = "not modified" in str(error).lower()
        self.parse_error = "can't parse" in str(error).lower()
