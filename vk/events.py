"""What a VK event means to the assistant: an `Incoming` and the use case to run."""

from __future__ import annotations

import json

from assistant import usecases
from conversations.models import Contact, Message
from vk.channel import Community, Press, external_id
from vk.selectors import QueuedEvent

#: VK's peer ids from here on are chats of several people, not one person.
CHAT_PEERS = 2_000_000_000
#: VK's client language ids the bot may speak (https://dev.vk.com/ru/reference/objects/lang).
LANGUAGES = {0: "ru", 3: "en"}
#: What a message without words carried, by VK's attachment type.
ATTACHMENT_KINDS = {
    "photo": Message.ContentType.PHOTO,
    "sticker": Message.ContentType.STICKER,
    "doc": Message.ContentType.DOCUMENT,
    "audio_message": Message.ContentType.VOICE,
    "video": Message.ContentType.VIDEO,
}
Kind = Message.ContentType


def incoming_of(event: QueuedEvent, community: Community, names: tuple[str, str]):
    """`(incoming, act, press)` for a message or a button press; None for what is not the
    assistant's (the community's own messages)."""
    obj = event.payload.get("object") or {}
    if event.kind == "message_event":
        return _press(event, obj, community, names)
    message = obj.get("message") or {}
    user_id = int(message.get("from_id") or 0)
    if user_id <= 0:
        return None
    text = str(message.get("text") or "")
    if text.strip():
        kind = Kind.COMMAND if text.startswith("/") else Kind.TEXT
        act = usecases.command_act(text) if kind == Kind.COMMAND else usecases.answer_text
    else:
        kind, act = _attachment_kind(message), usecases.note_unsupported
    language = LANGUAGES.get((obj.get("client_info") or {}).get("lang_id"), "")
    incoming = _incoming(event, community, user_id, text, kind, names, language, message)
    return incoming, act, None


def _press(event: QueuedEvent, obj: dict, community: Community, names):
    payload = obj.get("payload")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            payload = {}
    payload = payload if isinstance(payload, dict) else {}
    action, label = str(payload.get("a", ""))[:64], str(payload.get("l", ""))[:200]
    user_id = int(obj.get("user_id") or 0)
    incoming = _incoming(event, community, user_id, label or action, Kind.CALLBACK, names, "", obj)
    press = Press(str(obj.get("event_id", "")), user_id)
    return incoming, usecases.press_act(action), press


def _attachment_kind(message: dict) -> str:
    attachments = message.get("attachments") or []
    if message.get("geo"):
        return Kind.LOCATION
    first = attachments[0].get("type") if attachments else ""
    return ATTACHMENT_KINDS.get(first, Kind.OTHER)


def _incoming(event, community, user_id, text, kind, names, language, message):
    peer_id = int(message.get("peer_id") or user_id)
    return usecases.Incoming(
        channel=Contact.Channel.VK,
        external_id=external_id(community.group_id, user_id),
        text=text,
        content_type=kind,
        first_name=names[0],
        last_name=names[1],
        language_code=language,
        group_chat_id=str(peer_id) if peer_id >= CHAT_PEERS else "",
        event_key=usecases.event_key("vk", community.id, event.event_id),
        bot_id=community.bot_id,
    )
