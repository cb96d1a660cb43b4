"""Reading Telegram updates: who wrote, what, where, and whether it was meant for the bot."""

from __future__ import annotations

import re

from telegram import CallbackQuery, Update
from telegram.constants import ChatType, MessageEntityType

from assistant.usecases import INTEREST, Incoming, Media
from assistant.usecases.buttons import CHOSEN_MARK, parse_action
from conversations.models import Contact, Message

Kind = Message.ContentType
UNSUPPORTED_KINDS = {
    "sticker": Kind.STICKER,
    "photo": Kind.PHOTO,
    "document": Kind.DOCUMENT,
    "video": Kind.VIDEO,
    "video_note": Kind.VIDEO,
    "animation": Kind.VIDEO,
    "location": Kind.LOCATION,
    "venue": Kind.LOCATION,
}


def is_private(update: Update) -> bool:
    return update.effective_chat.type == ChatType.PRIVATE


def incoming_from(update: Update, content_type: str, *, bot_id: int) -> Incoming:
    """The update as the assistant reads it; `bot_id` is the bot's `bots.Bot`."""
    user = update.effective_user
    message = update.effective_message
    return Incoming(
        channel=Contact.Channel.TELEGRAM,
        external_id=str(user.id),
        text=update_text(update),
        content_type=content_type,
        username=user.username or "",
        first_name=user.first_name or "",
        last_name=user.last_name or "",
        language_code=user.language_code or "",
        update_id=update.update_id,
        message_id=message.message_id if message else None,
        group_chat_id="" if is_private(update) else str(update.effective_chat.id),
        event_key=f"telegram:{update.get_bot().id}:{update.update_id}",
        bot_id=bot_id,
        media=media_of(message) if message else None,
    )


def media_of(message) -> Media | None:
    """A voice note or audio file as Telegram announces it: its file id, duration and size
    (checked against the limits before anything is downloaded)."""
    if message.voice is not None:
        voice = message.voice
        return Media(voice.file_id, voice.duration, voice.file_size, "voice.ogg")
    if message.audio is not None:
        audio = message.audio
        # The name's extension tells a transcription model the format; Telegram's music is
        # mostly MP3 when a sender's app gives no name.
        name = audio.file_name or "audio.mp3"
        return Media(audio.file_id, audio.duration, audio.file_size, name)
    return None


def update_text(update: Update) -> str:
    """What is stored as the person's words: a press's label, a card's phone, the text."""
    if update.callback_query is not None:
        return pressed_label(update.callback_query)
    message = update.effective_message
    if message.contact is not None:
        return message.contact.phone_number or ""
    if message.location is not None:
        return f"{message.location.latitude},{message.location.longitude}"
    text = message.text or message.caption or ""
    if not is_private(update):
        mention = re.compile(rf"@{re.escape(update.get_bot().username)}\b", re.IGNORECASE)
        text = mention.sub("", text).strip()
    return text


def pressed_label(query: CallbackQuery) -> str:
    """What the person pressed, as they saw it, for the transcript: the button's text, and for
    "I'm interested" the title of the service card it was under. Data the bot never offered
    (an old or forged button) is kept as it came."""
    message = query.message
    markup = getattr(message, "reply_markup", None)
    rows = markup.inline_keyboard if markup else ()
    button = next((b for row in rows for b in row if b.callback_data == query.data), None)
    if button is None:
        return query.data or ""
    label = button.text.removeprefix(CHOSEN_MARK)
    kind, _value = parse_action(query.data)
    heading = (getattr(message, "text", None) or "").split("\n", 1)[0].strip()
    return f"{label} — {heading}" if kind == INTEREST and heading else label


def addressed_to_bot(update: Update) -> bool:
    """In groups the bot answers only when mentioned (in any letter case) or replied to."""
    if is_private(update):
        return True
    bot = update.get_bot()
    message = update.effective_message
    replied = message.reply_to_message
    if replied is not None and replied.from_user and replied.from_user.id == bot.id:
        return True
    mentions = message.parse_entities([MessageEntityType.MENTION]).values()
    return f"@{bot.username}".lower() in (mention.lower() for mention in mentions)


def unsupported_kind(update: Update) -> str:
    message = update.effective_message
    for attribute, kind in UNSUPPORTED_KINDS.items():
        if getattr(message, attribute, None):
            return kind
    return Kind.OTHER
