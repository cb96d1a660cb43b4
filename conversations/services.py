"""Every write to leads, conversations and messages goes through these functions.

The bot, the terminal chat, the admin and commands share them. They return plain
dataclasses so async callers never touch lazy ORM relations from the event loop.
Text from a person or a model is made `storable_text` here, where it enters storage.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.models import (
    Contact,
    Conversation,
    Message,
    Prompt,
    StaffNotice,
    lead_display_name,
)
from core.data_sources import (
    LoadResult,
    SourceRecord,
    deactivate_missing,
    reject_duplicates,
    upsert,
)
from core.storable import storable_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContactInfo:
    """What the assistant needs to know about a contact, detached from the ORM."""

    id: int
    channel: str
    external_id: str
    first_name: str
    last_name: str
    username: str
    language_code: str
    phone: str
    email: str
    status: str
    source: str
    is_blocked: bool
    consent_at: datetime | None

    @classmethod
    def from_contact(cls, contact: Contact) -> ContactInfo:
        return cls(
            id=contact.pk,
            channel=contact.channel,
            external_id=contact.external_id,
            first_name=contact.first_name,
            last_name=contact.last_name,
            username=contact.username,
            language_code=contact.language_code,
            phone=contact.phone,
            email=contact.email,
            status=contact.status,
            source=contact.source,
            is_blocked=contact.is_blocked,
            consent_at=contact.consent_at,
        )

    @property
    def display_name(self) -> str:
        return lead_display_name(
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            channel=self.channel,
            external_id=self.external_id,
        )

    @property
    def has_contact_details(self) -> bool:
        return bool(self.phone or self.email)


@dataclass(frozen=True)
class RecordedMessage:
    """The stored incoming message; `duplicate` is True for a redelivered update."""

    id: int
    conversation_id: int
    duplicate: bool


@dataclass(frozen=True)
class ContactUpdate:
    """Result of recording contact details: whether the lead just became reachable."""

    contact: ContactInfo
    became_reachable: bool
    changed: bool


def contact_touch(
    *,
    channel: str,
    external_id: str,
    username: str = "",
    first_name: str = "",
    last_name: str = "",
    language_code: str = "",
) -> tuple[ContactInfo, bool]:
    """Find or create the contact and refresh the names it shows on the channel."""
    defaults = {
        "username": storable_text(username or ""),
        "first_name": storable_text(first_name or ""),
        "last_name": storable_text(last_name or ""),
    }
    create_defaults = {**defaults, "language_code": language_code or "ru"}
    try:
        contact, created = Contact.objects.get_or_create(
            channel=channel, external_id=str(external_id), defaults=create_defaults
        )
    except IntegrityError:
        contact, created = Contact.objects.get(channel=channel, external_id=str(external_id)), False
    if created:
        logger.info("New contact %s on %s", contact.pk, channel)
    else:
        changed = [field for field, value in defaults.items() if getattr(contact, field) != value]
        if changed:
            for field in changed:
                setattr(contact, field, defaults[field])
            contact.save(update_fields=[*changed, "updated_at"])
    return ContactInfo.from_contact(contact), created


def message_record_incoming(
    *,
    contact_id: int,
    text: str,
    content_type: str = Message.ContentType.TEXT,
    telegram_update_id: int | None = None,
    telegram_message_id: int | None = None,
    idle_hours: int = 24,
    group_chat_id: str = "",
) -> RecordedMessage:
    """Store what the person sent, once per update, before anything that can fail.

    A redelivered update hits the unique (contact, update id) constraint; that rare case
    costs an exception instead of every message paying for a look-up first.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            conversation = _current_conversation(contact_id, group_chat_id, now, idle_hours)
            message = Message.objects.create(
                conversation=conversation,
                contact_id=contact_id,
                role=Message.Role.USER,
                text=storable_text(text),
                content_type=content_type,
                telegram_update_id=telegram_update_id,
                telegram_message_id=telegram_message_id,
            )
            _mark_activity(contact_id, conversation.pk, now)
    except IntegrityError:
        existing = Message.objects.get(contact_id=contact_id, telegram_update_id=telegram_update_id)
        return RecordedMessage(existing.pk, existing.conversation_id, duplicate=True)
    logger.debug("Stored message %s of contact %s", message.pk, contact_id)
    return RecordedMessage(message.pk, conversation.pk, duplicate=False)


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
        )
    return message.pk


def message_record_delivery(
    *, message_id: int, delivery: str, parts: list[dict], error: str = ""
) -> None:
    """What became of a message of the bot: each part's state and Telegram message id."""
    Message.objects.filter(pk=message_id).update(
        delivery=delivery, delivery_parts=parts, delivery_error=storable_text(error)[:500]
    )
    if delivery != Message.Delivery.DELIVERED:
        logger.warning("Message %s is %s: %s", message_id, delivery, error)


def conversation_start_new(*, contact_id: int, group_chat_id: str = "") -> int:
    """Close the current conversation so the next message starts with a clean context."""
    now = timezone.now()
    with transaction.atomic():
        Conversation.objects.filter(
            contact_id=contact_id, group_chat_id=group_chat_id, closed_at__isnull=True
        ).update(closed_at=now)
        return Conversation.objects.create(contact_id=contact_id, group_chat_id=group_chat_id).pk


def contact_set_language(*, contact_id: int, language_code: str) -> None:
    Contact.objects.filter(pk=contact_id).update(
        language_code=language_code, updated_at=timezone.now()
    )


def contact_set_source(*, contact_id: int, source: str) -> bool:
    """Remember where the lead came from; the first source wins, later links don't overwrite.

    Saved through the model, so the analytics rollup follows the lead to its source.
    """
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(pk=contact_id, source="").first()
        if contact is None:
            return False
        contact.source = storable_text(source)[:64]
        contact.save(update_fields=["source", "updated_at"])
    return True


def contact_mark_blocked(*, channel: str, external_id: str, blocked: bool = True) -> None:
    """Remember that the person blocked the bot (or came back), so we stop writing to them."""
    contacts = Contact.objects.filter(channel=channel, external_id=str(external_id))
    if contacts.exclude(is_blocked=blocked).update(is_blocked=blocked, updated_at=timezone.now()):
        state = "blocked" if blocked else "unblocked"
        logger.info("Contact %s:%s %s the bot", channel, external_id, state)


def contact_record_details(
    *, contact_id: int, phone: str | None = None, email: str | None = None, qualify: bool = True
) -> ContactUpdate:
    """Save a normalized phone and/or e-mail; sharing them is consent to be contacted.

    With `qualify` (no discovery scenario applies) a new lead becomes qualified once it is
    reachable; with a scenario, the scenario's required fields decide that instead.
    """
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id)
        was_reachable = bool(contact.phone or contact.email)
        changed = []
        if phone and contact.phone != phone:
            contact.phone = phone
            changed.append("phone")
        if email and contact.email != email:
            contact.email = email
            changed.append("email")
        if changed:
            if qualify and contact.status == Contact.Status.NEW:
                contact.status = Contact.Status.QUALIFIED
                contact.qualified_at = timezone.now()
                changed += ["status", "qualified_at"]
            if contact.consent_at is None:
                contact.consent_at = timezone.now()
                changed.append("consent_at")
            contact.save(update_fields=[*changed, "updated_at"])
    became_reachable = bool(changed) and not was_reachable
    if became_reachable:
        logger.info("Lead captured: contact %s", contact_id)
    return ContactUpdate(ContactInfo.from_contact(contact), became_reachable, bool(changed))


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


@dataclass(frozen=True)
class StaffNoticeClaim:
    """The right to tell staff one piece of news; `card_message_id` is the lead's card, if any."""

    notice_id: int
    card_message_id: int | None


def staff_notice_claim(
    *, contact_id: int, reason: str, subject: str = ""
) -> StaffNoticeClaim | None:
    """Reserve telling staff this news; None when they were told it already.

    The unique (contact, reason, subject) row is the reservation, so two updates of one lead
    cannot both tell the same news.
    """
    try:
        with transaction.atomic():
            notice = StaffNotice.objects.create(
                contact_id=contact_id, reason=reason, subject=subject
            )
    except IntegrityError:
        return None
    card = (
        StaffNotice.objects.filter(contact_id=contact_id, is_card=True)
        .exclude(telegram_message_id=None)
        .values_list("telegram_message_id", flat=True)
        .first()
    )
    return StaffNoticeClaim(notice.pk, card)


def staff_notice_record_sent(*, notice_id: int, telegram_message_id: int, is_card: bool) -> None:
    StaffNotice.objects.filter(pk=notice_id).update(
        telegram_message_id=telegram_message_id, is_card=is_card
    )


def staff_notice_release(*, notice_id: int) -> None:
    """The news did not reach staff: forget the reservation so a later event tells it."""
    StaffNotice.objects.filter(pk=notice_id).delete()


PROMPT_FIELDS = ("key", "language", "text", "is_active")


def prompts_load(
    *, records: list[SourceRecord], update: bool = True, prune: bool = False
) -> LoadResult:
    """Create or update prompts keyed by (key, language) from loaded records.

    Every record is checked before the first write; saving through the model keeps a
    history entry per change, so staff can see and restore what a load replaced.
    """
    rows = [_prompt_row(record) for record in records]
    reject_duplicates(records, [key for key, _values in rows])
    existing = {(prompt.key, prompt.language): prompt for prompt in Prompt.objects.all()}
    result = LoadResult()
    for (key, language), values in rows:
        upsert(
            model=Prompt,
            existing=existing,
            key=(key, language),
            lookup={"key": key, "language": language},
            values=values,
            update=update,
            result=result,
        )
    if prune:
        deactivate_missing(existing=existing, kept={key for key, _values in rows}, result=result)
    return result


def _prompt_row(record: SourceRecord) -> tuple[tuple[str, str], dict]:
    record.check_fields(PROMPT_FIELDS)
    key = record.text("key", required=True)
    language = record.text("language", required=True)
    values = {
        "text": record.text("text", required=True),
        "is_active": record.boolean("is_active", default=True),
    }
    record.validate(Prompt(key=key, language=language, **values))
    return (key, language), values
