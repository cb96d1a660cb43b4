"""Writes of the operator desk in admin, and of the bot processes that carry it out.

The admin stores what an operator did (a reply, a note, taking over, releasing) and, for a
lead on a bot, an `OutboxEntry` in the same transaction; a process serving that bot claims
the entry, does the Telegram part and deletes it. Reminders when nobody answers are claimed
on the handoff itself (`reminded_at`, `escalated_at`), so one process reminds, once per wait.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conversations.models import Contact, Handoff, Message, OutboxEntry
from conversations.services.handoffs import (
    HandoffInfo,
    handoff_release,
    handoff_take,
    operator_record_message,
)
from core.storable import storable_text

logger = logging.getLogger(__name__)

#: Longer replies would be cut into several Telegram messages; a reply is one message.
DESK_TEXT_MAX = 4000


def desk_author_name(user) -> str:
    """How the person and the staff chat see an operator writing from admin (or through the
    API, as the token's issuer): their first name."""
    return user.first_name or user.get_username()


def _enqueue(contact_id: int, kind: str, author_name: str, message_id: int | None = None):
    """Leave the Telegram part to the bot processes; a lead of no bot (the terminal chat) has
    none."""
    if Contact.objects.filter(pk=contact_id, bot__isnull=False).exists():
        OutboxEntry.objects.create(
            contact_id=contact_id,
            kind=kind,
            message_id=message_id,
            author_name=storable_text(author_name)[:128],
        )


def desk_reply(*, contact_id: int, user_id: int, author_name: str, text: str) -> int:
    """An operator's reply written in admin: stored (delivery pending; it takes the
    conversation) and queued for delivery to the person. Returns the message's id."""
    with transaction.atomic():
        stored = operator_record_message(
            contact_id=contact_id, text=text, author_name=author_name, author_id=user_id
        )
        _enqueue(contact_id, OutboxEntry.Kind.REPLY, author_name, stored.id)
    logger.info("Operator %s replied to contact %s from admin", user_id, contact_id)
    return stored.id


def desk_note(*, contact_id: int, user_id: int, author_name: str, text: str) -> int:
    """An internal note written in admin: never sent to the person, shown in the lead's topic."""
    with transaction.atomic():
        stored = operator_record_message(
            contact_id=contact_id,
            text=text,
            author_name=author_name,
            author_id=user_id,
            role=Message.Role.NOTE,
        )
        _enqueue(contact_id, OutboxEntry.Kind.NOTE, author_name, stored.id)
    return stored.id


def desk_take(*, contact_id: int, user_id: int, author_name: str) -> HandoffInfo:
    """Take over from admin: the assistant falls silent, the conversation is this operator's
    (also when another held it), and the lead's topic hears who took it."""
    with transaction.atomic():
        handoff = handoff_take(contact_id=contact_id, user_id=user_id)
        Handoff.objects.filter(pk=handoff.id).exclude(taken_by_id=user_id).update(
            taken_by_id=user_id, taken_at=timezone.now()
        )
        _enqueue(contact_id, OutboxEntry.Kind.TAKEN, author_name)
    logger.info("Operator %s took over contact %s from admin", user_id, contact_id)
    return handoff


def desk_release(*, contact_id: int, author_name: str) -> bool:
    """Release from admin: back to the assistant; False when nothing was open."""
    with transaction.atomic():
        released = handoff_release(contact_id=contact_id)
        if released:
            _enqueue(contact_id, OutboxEntry.Kind.RELEASED, author_name)
    return released


# --- The bot processes' side ------------------------------------------------------------------


def outbox_claim(*, entry_id: int, lease_seconds: float) -> bool:
    """Claim an entry for `lease_seconds` unless another process holds it: one conditional
    update, so of two processes asking at once exactly one gets True."""
    now = timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    claimed = OutboxEntry.objects.filter(free, pk=entry_id).update(
        claimed_until=now + timedelta(seconds=lease_seconds)
    )
    return claimed == 1


def outbox_done(*, entry_id: int) -> None:
    OutboxEntry.objects.filter(pk=entry_id).delete()


def _claim_once(handoff_id: int, waiting_since: datetime, field: str) -> bool:
    """Set `field` to now on a handoff still waiting since `waiting_since` where it is unset:
    True for the one process that did (an operator's reply in between ends the wait)."""
    rows = Handoff.objects.filter(
        pk=handoff_id,
        state__in=Handoff.OPEN,
        waiting_since=waiting_since,
        **{f"{field}__isnull": True},
    )
    return rows.update(**{field: timezone.now()}) == 1


def handoff_claim_reminder(*, handoff_id: int, waiting_since: datetime) -> bool:
    return _claim_once(handoff_id, waiting_since, "reminded_at")


def handoff_claim_escalation(*, handoff_id: int, waiting_since: datetime) -> bool:
    return _claim_once(handoff_id, waiting_since, "escalated_at")
