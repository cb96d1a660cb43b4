"""Writes of what either side said, and of the conversations it falls in."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.models import Contact, Conversation, Message
from core.storable import storable_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedMessage:
    """The stored incoming message; `duplicate` is True when it was stored before, and then
    `transcript` is the transcript stored by that earlier attempt, if it got that far."""

    id: int
    conversation_id: int
    duplicate: bool
    transcript: str | None = None


def message_record_incoming(
    *,
    contact_id: int,
    text: str,
    content_type: str = Message.ContentType.TEXT,
    event_key: str | None = None,
    telegram_update_id: int | None = None,
    telegram_message_id: int | None = None,
    idle_hours: int = 24,
    group_chat_id: str = "",
    media_file: str = "",
    media_seconds: int | None = None,
) -> RecordedMessage:
    """Store what the person sent, once per event, before anything that can fail.

    An event handled again (a redelivery, or a retry after a crash) hits the unique
    `event_key`; that rare case costs an exception instead of every message paying for a
    look-up first.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            conversation = _current_conversation(contact_id, group_chat_id, now, idle_hours)
            # Activity first: storing the message moves the analytics day counters, rows every
            # chat's messages update, so those locks are taken last and held the shortest.
            _mark_activity(contact_id, conversation.pk, now)
            message = Message.objects.create(
                conversation=conversation,
                contact_id=contact_id,
                role=Message.Role.USER,
                text=storable_text(text),
                content_type=content_type,
                event_key=event_key,
                telegram_update_id=telegram_update_id,
                telegram_message_id=telegram_message_id,
                media_file=media_file,
                media_seconds=media_seconds,
            )
    except IntegrityError:
        existing = Message.objects.get(event_key=event_key)
        transcript = existing.text if existing.transcribed else None
        return RecordedMessage(existing.pk, existing.conversation_id, True, transcript)
    logger.debug("Stored message %s of contact %s", message.pk, contact_id)
    return RecordedMessage(message.pk, conversation.pk, duplicate=False)


def message_record_transcript(*, message_id: int, text: str) -> None:
    """The words of a voice message or audio file become its text (kept after a caption), so
    it is answered, remembered and found like typed text; a message handled again reuses it."""
    Message.objects.filter(pk=message_id).update(text=storable_text(text), transcribed=True)


def message_record_reply(
    *,
    contact_id: int,
    text: str,
    conversation_id: int | None = None,
    reply_to_id: int | None = None,
    role: str = Message.Role.ASSISTANT,
    model_name: str = "",
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
    tokens_estimated: bool = False,
    latency_ms: int | None = None,
    status: str = Message.Status.COMPLETE,
    error: str = "",
    delivery: str = Message.Delivery.PENDING,
    prompt_versions: dict[str, int] | None = None,
    content_type: str = Message.ContentType.TEXT,
    sources: list[dict] | None = None,
) -> int:
    """Store what the assistant (or a note of the system) said, before it is sent.

    It goes into `conversation_id` (the conversation of the message it answers), else the
    open private one. Activity times follow the person's messages only, so they are not
    touched here. `delivery` starts as pending; `message_record_delivery` says what became of it.
    """
    with transaction.atomic():
        if conversation_id is None:
            conversation_id = _current_conversation(contact_id, "", timezone.now(), None).pk
        message = Message.objects.create(
            conversation_id=conversation_id,
            contact_id=contact_id,
            role=role,
            text=storable_text(text),
            reply_to_id=reply_to_id,
            model_name=model_name,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            tokens_estimated=tokens_estimated,
            latency_ms=latency_ms,
            status=status,
            error=storable_text(error)[:500],
            delivery=delivery,
            prompt_versions=prompt_versions or {},
            content_type=content_type,
            sources=sources or [],
        )
    return message.pk


def message_record_delivery(
    *, message_id: int, delivery: str, parts: list[dict], error: str = ""
) -> None:
    """What became of a message of the bot: each part's state and Telegram message id (or
    its buttons, for a window that fetches it later: *pending* is no failure, and a window
    that fetched the message before this was recorded already made it *delivered*)."""
    rows = Message.objects.filter(pk=message_id)
    recorded = {"delivery_parts": parts, "delivery_error": storable_text(error)[:500]}
    if delivery == Message.Delivery.PENDING:
        rows.update(**recorded)
        rows = rows.exclude(delivery=Message.Delivery.DELIVERED)
        recorded = {}
    rows.update(delivery=delivery, **recorded)
    if delivery in (Message.Delivery.UNCERTAIN, Message.Delivery.UNDELIVERED):
        logger.warning("Message %s is %s: %s", message_id, delivery, error)


def conversation_start_new(*, contact_id: int, group_chat_id: str = "") -> int:
    """Close the current conversation so the next message starts with a clean context."""
    now = timezone.now()
    with transaction.atomic():
        Conversation.objects.filter(
            contact_id=contact_id, group_chat_id=group_chat_id, closed_at__isnull=True
        ).update(closed_at=now)
        return Conversation.objects.create(contact_id=contact_id, group_chat_id=group_chat_id).pk


def _current_conversation(
    contact_id: int, group_chat_id: str, now: datetime, idle_hours: int | None
):
    """The open conversation in that chat, or a new one after /new or a long pause."""
    conversation = (
        Conversation.objects.filter(
            contact_id=contact_id, group_chat_id=group_chat_id, closed_at__isnull=True
        )
        .order_by("-started_at")
        .first()
    )
    if _is_idle(conversation, now, idle_hours):
        conversation.closed_at = now
        conversation.save(update_fields=["closed_at"])
        conversation = None
    return conversation or Conversation.objects.create(
        contact_id=contact_id, group_chat_id=group_chat_id
    )


def _is_idle(conversation, now: datetime, idle_hours: int | None) -> bool:
    if conversation is None or idle_hours is None or conversation.last_message_at is None:
        return False
    return now - conversation.last_message_at > timedelta(hours=idle_hours)


def _mark_activity(contact_id: int, conversation_id: int, now: datetime) -> None:
    Contact.objects.filter(pk=contact_id).update(last_message_at=now)
    Conversation.objects.filter(pk=conversation_id).update(last_message_at=now)
