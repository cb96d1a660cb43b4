"""Showing an answer while it grows, then delivering it as real messages.

While the model thinks, the person sees a sign of life at once: an empty draft ("Thinking...")
in a private chat, the typing action in a group, kept alive until the first words come.
Then private chats get `sendMessageDraft` and groups one placeholder message edited at most
once per interval (so do private chats where the server refuses drafts). The first preview
goes out within FIRST_PREVIEW_DELAY of the first words, later ones are throttled to stay
inside Telegram's limits, and an identical edit is never sent. An answer longer than one
Telegram message is sent part by part as soon as each part is complete, so nothing already
read disappears from view. Previews and the sign of life are best effort; every real message
goes through the `Courier`, which retries it and reports what arrived.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError

from bot.delivery import Courier, Delivery, PartOutcome
from bot.formatting import TelegramPart, render_for_telegram

logger = logging.getLogger(__name__)

FIRST_PREVIEW_DELAY = 0.02
PRIVATE_PREVIEW_INTERVAL = 1.0
GROUP_PREVIEW_INTERVAL = 3.0  # 20 edits a minute is Telegram's budget in groups
#: A draft is a 30-second preview and "typing" lasts 5 seconds: both are renewed before then.
THINKING_DRAFT_REFRESH = 20.0
TYPING_REFRESH = 4.0
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
        self.interval = PRIVATE_PREVIEW_INTERVAL if private else GROUP_PREVIEW_INTERVAL
        self.first_delay = FIRST_PREVIEW_DELAY
        #: Drafts show the answer in a private chat while the server takes them (see
        #: `_show_thinking`); otherwise typing and a placeholder message edited, as in groups.
        self.drafts = private
        self.draft_id = next(_draft_ids)
        self.placeholder_id: int | None = None
        self.shown = ""
        self.latest = ""
        #: Parts already sent as real messages: (their HTML, what became of them).
        self.sent: list[tuple[str, PartOutcome]] = []
        self._changed = asyncio.Event()
        self._first_words = asyncio.Event()
        self._finished = asyncio.Event()
        self._previews: asyncio.Task | None = None
        self._thinking: asyncio.Task | None = None
        self._blocked: Forbidden | None = None

    def start_thinking(self) -> None:
        """Show a sign of life now and keep it until the first words (or the end) arrive."""
        if self._thinking is None:
            self._thinking = asyncio.create_task(self._keep_thinking())

    async def _keep_thinking(self) -> None:
        while not (self._first_words.is_set() or self._finished.is_set()):
            try:
                await self._show_thinking()
            except Forbidden as error:
                self._blocked = error
                return
            except TelegramError as error:  # a sign of life is best effort
                logger.debug("No sign of life in chat %s: %s", self.chat_id, error)
            await self._any_news_within(THINKING_DRAFT_REFRESH if self.drafts else TYPING_REFRESH)

    async def _show_thinking(self) -> None:
        """The empty "Thinking..." draft, or typing where drafts are refused.

        A server that refuses even an empty draft has no drafts (a Bot API before 9.3, or an
        emulator without them): this answer then shows typing and a placeholder message, so
        the person still sees a sign of life and the answer growing.
        """
        if self._paused():
            return
        if self.drafts:
            try:
                await self.bot.send_message_draft(self.chat_id, self.draft_id, text="")
                return
            except (BadRequest, InvalidToken) as error:  # InvalidToken: PTB's name for a 404
                logger.info("No drafts in chat %s (%s): typing instead", self.chat_id, error)
                self.drafts = False
        await self.bot.send_chat_action(self.chat_id, ChatAction.TYPING)

    async def _any_news_within(self, seconds: float) -> None:
        news = [
            asyncio.ensure_future(event.wait()) for event in (self._first_words, self._finished)
        ]
        await asyncio.wait(news, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiter in news:
            waiter.cancel()

    async def update(self, text: str) -> None:
        """Remember the answer so far; never raises, so the LLM stream is not disturbed."""
        self.latest = text
        self._changed.set()
        self._first_words.set()
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
        parts = render_for_telegram(text)
        if len(parts) - 1 > len(self.sent):
            await self._send_complete_parts(parts[len(self.sent) : -1])
        if self._paused():
            return
        current = parts[-1] if parts else None
        if current is None or current.html == self.shown:
            return
        try:
            await self._show(current)
        except Forbidden:
            raise
        except TelegramError as error:  # a preview is best effort; the final message matters
            logger.debug("Preview skipped for chat %s: %s", self.chat_id, error)
            return
        self.shown = current.html

    async def _send_complete_parts(self, parts: list[TelegramPart]) -> None:
        """Parts followed by more text will not change: they go out as real messages now."""
        delivery = await self._deliver(parts)
        self.sent += [
            (part.html, outcome) for part, outcome in zip(parts, delivery.parts, strict=True)
        ]
        if delivery.blocked_by is not None:
            raise delivery.blocked_by

    async def _deliver(self, parts: list[TelegramPart], **extra) -> Delivery:
        """Send parts (`extra`, buttons, with the last); in a group the placeholder becomes
        the first of them."""
        if self.placeholder_id is None:
            return await self.courier.send_parts(parts, **extra)
        placeholder, self.placeholder_id = self.placeholder_id, None
        shown, self.shown = self.shown, ""
        return await self.courier.replace(placeholder, parts, shown_html=shown, **extra)

    def _paused(self) -> bool:
        limiter = getattr(self.bot, "rate_limiter", None)
        return bool(limiter) and limiter.pause_left(self.chat_id) > 0

    async def _show(self, preview: TelegramPart) -> None:
        if self.drafts:
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
        for task in (self._thinking, self._previews):
            if task is not None:
                await task
        return self._blocked

    async def finish(self, text: str, reply_markup=None) -> Delivery:
        """Deliver the final answer: what is not out yet, and corrections of what is;
        `reply_markup` (buttons) goes with its last part when that is still to be shown."""
        blocked = await self.stop()
        parts = render_for_telegram(text)
        if blocked is not None:
            unsent = Delivery.blocked(max(len(parts) - len(self.sent), 0), blocked)
            return Delivery((*self._sent_outcomes(), *unsent.parts), blocked_by=blocked)
        corrected = await self._correct_sent_parts(parts)
        extra = {"reply_markup": reply_markup} if reply_markup is not None else {}
        remaining = (
            await self._deliver(parts[len(self.sent) :], **extra)
            if parts[len(self.sent) :]
            else None
        )
        if remaining is None:
            return Delivery(tuple(corrected))
        return Delivery((*corrected, *remaining.parts), blocked_by=remaining.blocked_by)

    def _sent_outcomes(self) -> list[PartOutcome]:
        return [outcome for _html, outcome in self.sent]

    async def _correct_sent_parts(self, parts: list[TelegramPart]) -> list[PartOutcome]:
        """A retried answer may differ from the parts already sent: edit or remove those."""
        outcomes = []
        for index, (html, outcome) in enumerate(self.sent):
            message_id = outcome.message_id
            if message_id is None or (index < len(parts) and parts[index].html == html):
                outcomes.append(outcome)
            elif index < len(parts):
                edited = await self.courier.replace(message_id, [parts[index]], shown_html=html)
                outcomes += edited.parts
            else:
                await self.courier.delete_quietly(message_id)
        return outcomes
