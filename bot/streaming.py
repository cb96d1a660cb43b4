"""Showing an answer while it grows, then delivering it as real messages.

Private chats get `sendMessageDraft` (the draft disappears when the message is sent);
groups get one placeholder message edited at most once per interval. The first preview
goes out at once (the person sees the bot is answering), later ones are throttled to stay
inside Telegram's limits, and an identical edit is never sent.
"""

from __future__ import annotations

import itertools
import logging
import time

from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.formatting import TelegramPart, render_for_telegram

logger = logging.getLogger(__name__)

PRIVATE_PREVIEW_INTERVAL = 1.0
GROUP_PREVIEW_INTERVAL = 3.0  # 20 edits a minute is Telegram's budget in groups
_draft_ids = itertools.count(1)


async def send_parts(bot, chat_id: int, parts: list[TelegramPart], **extra) -> list[int]:
    """Send parts as messages, falling back to plain text if Telegram rejects the HTML."""
    message_ids = []
    for part in parts:
        try:
            message = await bot.send_message(chat_id, part.html, parse_mode=ParseMode.HTML, **extra)
        except BadRequest as error:
            logger.warning("HTML rejected (%s); sending plain text to chat %s", error, chat_id)
            message = await bot.send_message(chat_id, part.plain, **extra)
        message_ids.append(message.message_id)
        extra.pop("reply_to_message_id", None)
    return message_ids


async def send_text(bot, chat_id: int, text: str, **extra) -> list[int]:
    """Send Markdown-ish text of any length as one or more formatted messages."""
    return await send_parts(bot, chat_id, render_for_telegram(text), **extra)


class ReplyStreamer:
    """Receives the whole answer so far (`update`) and the final answer (`finish`)."""

    def __init__(self, bot, chat_id: int, *, private: bool, clock=time.monotonic):
        self.bot = bot
        self.chat_id = chat_id
        self.private = private
        self.clock = clock
        self.interval = PRIVATE_PREVIEW_INTERVAL if private else GROUP_PREVIEW_INTERVAL
        self.draft_id = next(_draft_ids)
        self.placeholder_id: int | None = None
        self.shown = ""
        self.last_shown_at: float | None = None

    async def update(self, text: str) -> None:
        """Show a preview of `text` unless one was shown too recently."""
        now = self.clock()
        if self.last_shown_at is not None and now - self.last_shown_at < self.interval:
            return
        if self._paused():
            return
        parts = render_for_telegram(text)
        if not parts or parts[-1].html == self.shown:
            return
        preview = parts[-1]
        try:
            await self._show(preview)
        except Forbidden:
            raise
        except (BadRequest, RetryAfter, TelegramError) as error:
            logger.debug("Preview skipped for chat %s: %s", self.chat_id, error)
            return
        self.shown = preview.html
        self.last_shown_at = now

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

    async def finish(self, text: str) -> None:
        """Deliver the final answer: the group placeholder becomes its first part."""
        parts = render_for_telegram(text)
        if not parts:
            return
        if self.placeholder_id is not None:
            first, parts = parts[0], parts[1:]
            await self._finish_placeholder(first)
        await send_parts(self.bot, self.chat_id, parts)

    async def _finish_placeholder(self, part: TelegramPart) -> None:
        if part.html == self.shown:
            return
        try:
            await self.bot.edit_message_text(
                part.html, self.chat_id, self.placeholder_id, parse_mode=ParseMode.HTML
            )
        except BadRequest:
            await self.bot.edit_message_text(part.plain, self.chat_id, self.placeholder_id)
