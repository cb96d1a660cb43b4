"""Writes of handoffs to operators: asked for, taken, released; what operators write; the
lead's topic in the staff chat."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.models import Handoff, Message, StaffTopic
from conversations.services.messages import message_record_reply
from core.storable import storable_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandoffInfo:
    id: int
    contact_id: int
    state: str
    reason: str
    requested_at: datetime
    #: True when this call opened it (the person and staff are told once).
    opened: bool = False

    @property
    def taken(self) -> bool:
        return self.state == Handoff.State.TAKEN

    @classmethod
    def from_handoff(cls, handoff: Handoff, opened: bool = False) -> HandoffInfo:
        return cls(
            handoff.pk,
            handoff.contact_id,
            handoff.state,
            handoff.reason,
            handoff.requested_at,
            opened,
        )


def _open(contact_id: int):
    return Handoff.objects.filter(contact_id=contact_id, state__in=Handoff.OPEN)


def handoff_open(*, contact_id: int) -> HandoffInfo | None:
    handoff = _open(contact_id).first()
    return HandoffInfo.from_handoff(handoff) if handoff else None


def handoff_request(*, contact_id: int, reason: str, why: str = "") -> HandoffInfo:
    """The lead's open handoff; a new one waiting for an operator when none is open."""
    existing = _open(contact_id).first()
    if existing is not None:
        return HandoffInfo.from_handoff(existing)
    now = timezone.now()
    try:
        with transaction.atomic():
            handoff = Handoff.objects.create(
                contact_id=contact_id,
                reason=reason,
                why=storable_text(why)[:300],
                waiting_since=now,
            )
    except IntegrityError:  # opened at the same moment by another message
        return HandoffInfo.from_handoff(_open(contact_id).get())
    logger.info("Contact %s handed to operators (%s)", contact_id, reason)
    return HandoffInfo.from_handoff(handoff, opened=True)


def handoff_take(*, contact_id: int, user_id: int | None = None) -> HandoffInfo:
    """An operator takes the conversation (opening a handoff when staff step in unasked)."""
    with transaction.atomic():
        handoff = _open(contact_id).select_for_update().first()
        if handoff is None:
            handoff = Handoff.objects.create(
                contact_id=contact_id, reason=Handoff.Reason.STAFF, waiting_since=None
            )
        if handoff.state != Handoff.State.TAKEN:
            handoff.state = Handoff.State.TAKEN
            handoff.taken_at = timezone.now()
            handoff.taken_by_id = user_id
            handoff.save(update_fields=["state", "taken_at", "taken_by"])
    return HandoffInfo.from_handoff(handoff)


def handoff_release(*, contact_id: int) -> bool:
    """The conversation goes back to the assistant; False when none was open."""
    released = _open(contact_id).update(
        state=Handoff.State.CLOSED, closed_at=timezone.now(), waiting_since=None
    )
    if released:
        logger.info("Contact %s is back with the assistant", contact_id)
    return bool(released)


def handoff_person_waits(*, contact_id: int) -> None:
    """The person wrote while handed over: they wait for a reply from now, unless already."""
    _open(contact_id).filter(waiting_since__isnull=True).update(waiting_since=timezone.now())


@dataclass(frozen=True)
class OperatorMessage:
    id: int
    #: Stored before (the same event handled again) and delivered or maybe delivered then.
    delivered_before: bool = False


def operator_record_message(
    *,
    contact_id: int,
    text: str,
    author_name: str,
    author_id: int | None = None,
    role: str = Message.Role.OPERATOR,
    event_key: str | None = None,
) -> OperatorMessage:
    """Store what an operator wrote to the person (delivery pending), or an internal note
    (never sent), once per event; an operator's message takes the conversation and answers
    the person's wait."""
    if event_key is not None:
        earlier = Message.objects.filter(event_key=event_key).values_list("pk", "delivery")
        if (found := earlier.first()) is not None:
            pk, delivery = found
            return OperatorMessage(pk, delivery != Message.Delivery.PENDING)
    now = timezone.now()
    with transaction.atomic():
        message_id = message_record_reply(
            contact_id=contact_id,
            text=text,
            role=role,
            delivery="" if role == Message.Role.NOTE else Message.Delivery.PENDING,
        )
        Message.objects.filter(pk=message_id).update(
            author_id=author_id,
            author_name=storable_text(author_name)[:128],
            event_key=event_key,
        )
        if role == Message.Role.OPERATOR:
            handoff_take(contact_id=contact_id, user_id=author_id)
            _open(contact_id).filter(first_reply_at__isnull=True).update(first_reply_at=now)
            _open(contact_id).update(waiting_since=None, reminded_at=None, escalated_at=None)
    return OperatorMessage(message_id)


@dataclass(frozen=True)
class TopicInfo:
    contact_id: int
    chat_id: str
    thread_id: int


def staff_topic_of(*, contact_id: int) -> TopicInfo | None:
    topic = StaffTopic.objects.filter(contact_id=contact_id).first()
    return TopicInfo(topic.contact_id, topic.chat_id, topic.thread_id) if topic else None


def staff_topic_lead(*, chat_id: str, thread_id: int) -> int | None:
    """The lead whose topic this is, if any."""
    rows = StaffTopic.objects.filter(chat_id=str(chat_id), thread_id=thread_id)
    return rows.values_list("contact_id", flat=True).first()


def staff_topic_save(*, contact_id: int, chat_id: str, thread_id: int) -> TopicInfo:
    """Remember the lead's topic, and return the one kept: the first saved in this staff chat
    (two processes may each have made one at once), else this one (a new staff chat replaces
    the old one's topic)."""
    with transaction.atomic():
        topic, created = StaffTopic.objects.select_for_update().get_or_create(
            contact_id=contact_id, defaults={"chat_id": str(chat_id), "thread_id": thread_id}
        )
        if not created and topic.chat_id != str(chat_id):
            topic.chat_id, topic.thread_id = str(chat_id), thread_id
            topic.save(update_fields=["chat_id", "thread_id"])
    return TopicInfo(contact_id, topic.chat_id, topic.thread_id)
