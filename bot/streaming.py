"""Showing an answer while it grows, then delivering it as real messages.

Private chats get `sendMessageDraft` (the draft disappears when the message is sent);
groups get one placeholder message edited at most once per interval. The first preview
goes out within FIRST_PREVIEW_DELAY of the first words, later ones are throttled to stay
inside Telegram's limits, and an identical edit is never sent. Previews are best effort;
the final answer goes through the `Courier`, which retries it and reports what arrived.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError

from bot.delivery import Courier, Delivery
from bot.formatting import TelegramPart, render_for_telegram

logger = logging.getLogger(__name__)

FIRST_PREVIEW_DELAY = 0.02
PRIVATE_PREVIEW_INTERVAL = 1.0
GROUP_PREVIEW_INTERVAL = 3.0  # 20 edits a minute is Telegram's budget in groups
_draft_ids = itertools.count(1)


class ReplyStreamer:
    """Receives the whole answer so far (`update`) and the final answer (`finish`).

    Previews are shown by a background task, so a stream that pauses still shows its latest
    text, and an answer that is complete within FIRST_PREVIEW_DELAY goes straight out as
    the final message without a draft nobody would see.
    """

    def __init__(self, courier: Courier, *, private: bool):
        self.courier = courier
        self.bot = courier.bot
        self.chat_id = courier.chat_id
        self.private = private
        self.interval = PRIVATE_PREVIEW_INTERVAL if private else GROUP_PREVIEW_INTERVAL
        self.first_delay = FIRST_PREVIEW_DELAY
        self.draft_id = next(_draft_ids)
        self.placeholder_id: int | None = None
        self.shown = ""
        self.latest = ""
        self._changed = asyncio.Event()
        self._finished = asyncio.Event()
        self._previews: asyncio.Task | None = None
        self._blocked: Forbidden | None = None

    async def update(self, text: str) -> None:
        """Remember the answer so far; never raises, so the LLM stream is not disturbed."""
        self.latest = text
        self._changed.set()
        if self._previews is None:
            self._previews = asyncio.create_task(self._show_previews())

    async def _show_previews(self) -> None:
        delay = self.first_delay
        while not self._finished.is_set():
            await self._changed.wait()
            if await self._finishes_within(delay):
                return
            self._changed.clear()
            try:
                await self._preview(self.latest)
            except Forbidden as error:
                self._blocked = error
                return
            delay = self.interval

    async def _finishes_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._finished.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _preview(self, text: str) -> None:
        if self._paused():
            return
        parts = render_for_telegram(text)
        if not parts or parts[-1].html == self.shown:
            return
        try:
            await self._show(parts[-1])
        except Forbidden:
            raise
        except TelegramError as error:  # a preview is best effort; the final message matters
            logger.debug("Preview skipped for chat %s: %s", self.chat_id, error)
            return
        self.shown = parts[-1].html

    def _paused(self) -> bool:
        limiter = getattr(self.bot, "rate_limiter", None)
        return bool(limiter) and limiter.pause_left(self.chat_id) > 0

    async def _show(self, preview: TelegramPart) -> None:
        if self.private:
            await self.bot.send_message_draft(
                self.chat_id, self.draft_id, text=preview.html, parse_mode=ParseMode.HTML
            )
        elif self.placeholder_id is None:
            message = await self.bot.send_message(
                self.chat_id, preview.html, parse_mode=ParseMode.HTML
            )
            self.placeholder_id = message.message_id
        else:
            await self.bot.edit_message_text(
                preview.html, self.chat_id, self.placeholder_id, parse_mode=ParseMode.HTML
            )

    async def stop(self) -> Forbidden | None:
        """Let a preview in flight complete (a group placeholder must get its id), then stop.

        Returns the refusal when a preview found that the person blocked the bot.
        """
        self._finished.set()
        self._changed.set()
        if self._previews is not None:
            await self._previews
        return self._blocked

    async def finish(self, text: str) -> Delivery:
        """Deliver the final answer: the group placeholder becomes its first part."""
        blocked = await self.stop()
        parts = render_for_telegram(text)
        if blocked is not None:
            return Delivery.blocked(len(parts), blocked)
        if self.placeholder_id is not None and parts:
            return await self.courier.replace(self.placeholder_id, parts, shown_html=self.shown)
        return await self.courier.send_parts(parts)
