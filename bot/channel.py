"""Telegram as a channel of the assistant: notes, streamed answers and staff news.

Every message goes through a `Courier` (retries within the delivery deadline, each part's
outcome recorded); a person who blocked the bot is reported as unreachable, never raised.
"""

from __future__ import annotations

import logging

from django.conf import settings
from telegram import CallbackQuery, ReplyParameters
from telegram.error import TelegramError

from assistant.channel import AudioUnavailable, Channel, Keyboard, Note, Outcome, reach
from bot.delivery import Courier, Delivery
from bot.keyboards import inline_keyboard, reply_markup
from bot.streaming import ReplyStreamer
from conversations.models import Contact
from conversations.services import ContactInfo

logger = logging.getLogger(__name__)


def outcome_of(delivery: Delivery) -> Outcome:
    return Outcome(
        state=delivery.state,
        parts=tuple(part.as_record() for part in delivery.parts),
        error=delivery.error,
        unreachable=delivery.blocked_by is not None,
    )


class TelegramAnswerStream:
    """The assistant's answer stream on top of the `ReplyStreamer`."""

    def __init__(self, streamer: ReplyStreamer):
        self.streamer = streamer

    def start_thinking(self) -> None:
        self.streamer.start_thinking()

    async def update(self, text: str) -> None:
        await self.streamer.update(text)

    async def stop(self) -> bool:
        return await self.streamer.stop() is not None

    async def finish(self, text: str, buttons: Keyboard = ()) -> Outcome:
        markup = inline_keyboard(buttons) if buttons else None
        return outcome_of(await self.streamer.finish(text, reply_markup=markup))


class TelegramChannel:
    """One chat of the bot; `query` is the button press being answered, if any."""

    name = Contact.Channel.TELEGRAM
    plays_voice = True

    def __init__(
        self,
        bot,
        chat_id: int,
        *,
        private: bool,
        query: CallbackQuery | None = None,
        staff_chat_id: str = "",
    ):
        self.bot = bot
        self.chat_id = chat_id
        self.staff_chat_id = staff_chat_id
        self.private = private
        self.query = query
        self._early_stream: TelegramAnswerStream | None = None

    @property
    def has_staff_chat(self) -> bool:
        return bool(self.staff_chat_id)

    def _courier(self, chat_id: int | str | None = None, thread_id: int | None = None) -> Courier:
        return Courier(
            self.bot,
            self.chat_id if chat_id is None else chat_id,
            deadline_seconds=settings.TELEGRAM_DELIVERY_DEADLINE,
            thread_id=thread_id,
        )

    async def acknowledge(self, note: str = "") -> None:
        """Stop the button's spinner (with a short note); a failure here costs nothing."""
        if self.query is None:
            return
        try:
            await self.query.answer(note or None)
        except TelegramError as error:
            logger.info("Could not answer a button press: %s", error)

    async def say(self, note: Note) -> Outcome:
        markup = reply_markup(note)
        extra = {"reply_markup": markup} if markup is not None else {}
        return outcome_of(await self._courier().send_text(note.text, **extra))

    async def replace_buttons(self, buttons: Keyboard) -> None:
        """Edit the keyboard of the message whose button was pressed; a failure (the message
        is gone, or shows these buttons already) costs nothing. Only a press calls it."""
        try:
            await self.query.edit_message_reply_markup(
                inline_keyboard(buttons) if buttons else None
            )
        except TelegramError as error:
            logger.info("Could not replace the buttons of a message: %s", error)

    async def fetch_audio(self, ref: str) -> bytes:
        """getFile, then the download (Telegram lets bots fetch files up to 20 MB)."""
        try:
            file = await self.bot.get_file(ref)
            return bytes(await file.download_as_bytearray())
        except TelegramError as error:
            raise AudioUnavailable(str(error)) from error

    async def send_voice(self, audio: bytes) -> Outcome:
        return outcome_of(await self._courier().send_voice(audio))

    def answer_stream(self) -> TelegramAnswerStream:
        """The stream of the sign of life shown early, if any; else a new one."""
        stream, self._early_stream = self._early_stream, None
        return stream or TelegramAnswerStream(ReplyStreamer(self._courier(), private=self.private))

    def show_life(self) -> None:
        """A sign of life before any database work: the answer's stream, started early."""
        self._early_stream = self.answer_stream()
        self._early_stream.start_thinking()

    async def close(self) -> None:
        """End a sign of life no answer took over (the message got a note, or nothing)."""
        if self._early_stream is not None:
            await self._early_stream.stop()
            self._early_stream = None

    def private_address(self) -> tuple[str, str]:
        username = self.bot.username
        return f"@{username}", f"https://t.me/{username}"

    @property
    def staff_chat(self) -> str:
        return str(self.staff_chat_id or "")

    async def open_staff_topic(self, *, title: str, card: str) -> int | None:
        """A forum topic named after the lead, its first message the card. A staff chat
        without topics (or where the bot may not make them) gets the card as before."""
        try:
            topic = await self.bot.create_forum_topic(self.staff_chat_id, title[:128] or "—")
        except TelegramError as error:
            logger.warning("Could not make a topic in the staff chat: %s", error)
            return None
        await self.tell_topic(topic.message_thread_id, card)
        return topic.message_thread_id

    async def tell_topic(self, thread_id: int, text: str) -> Outcome:
        topic = self._courier(self.staff_chat_id, thread_id)
        return outcome_of(await topic.send_text(text))

    async def drop_staff_topic(self, thread_id: int) -> None:
        try:
            await self.bot.delete_forum_topic(self.staff_chat_id, thread_id)
        except TelegramError as error:
            logger.warning("Could not delete a topic of the staff chat: %s", error)

    def to_person(self, person: ContactInfo) -> Channel:
        if person.channel != Contact.Channel.TELEGRAM:
            return reach(person)
        return TelegramChannel(
            self.bot, int(person.external_id), private=True, staff_chat_id=self.staff_chat_id
        )

    async def tell_staff(self, *, card: str, news: str, card_message_id: int | None) -> Outcome:
        staff = self._courier(self.staff_chat_id)
        if card_message_id is None:
            return outcome_of(await staff.send_text(card))
        await staff.replace_text(card_message_id, card)
        reply = ReplyParameters(card_message_id, allow_sending_without_reply=True)
        return outcome_of(await staff.send_text(news, reply_parameters=reply))
