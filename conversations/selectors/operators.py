"""What the bot processes carry out for operators, and whom they remind."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from conversations.models import Handoff, Message, OutboxEntry
from conversations.selectors.admin import SHOWN_MESSAGE_FIELDS
from conversations.services import ContactInfo


def recent_messages(*, contact_id: int, limit: int) -> list[Message]:
    """A lead's last `limit` messages, oldest first: what an operator reads before answering.
    Read backwards along the (contact, created_at, id) index."""
    newest_first = (
        Message.objects.filter(contact_id=contact_id)
        .only(*SHOWN_MESSAGE_FIELDS)
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(newest_first))


@dataclass(frozen=True)
class OutboxItem:
    """An entry of the operators' outbox (`OutboxEntry`) with what carrying it out needs."""

    id: int
    kind: str
    contact: ContactInfo
    author_name: str
    message_id: int | None
    text: str


def outbox_next(*, bot_ids: Collection[int]) -> list[OutboxItem]:
    """The oldest entry of each lead on one of `bot_ids`, unless another process holds it.

    A lead's entries are carried out one at a time in the order written (while its oldest is
    held, the rest wait), so two replies reach the person in order whichever processes take
    them. Done entries leave the table: this reads only what waits.
    """
    now = timezone.now()
    entries = (
        OutboxEntry.objects.filter(contact__bot_id__in=bot_ids)
        .select_related("contact", "message")
        .order_by("id")
    )
    oldest: dict[int, OutboxEntry] = {}
    for entry in entries:
        oldest.setdefault(entry.contact_id, entry)
    return [
        OutboxItem(
            entry.pk,
            entry.kind,
            ContactInfo.from_contact(entry.contact),
            entry.author_name,
            entry.message_id,
            entry.message.text if entry.message else "",
        )
        for entry in oldest.values()
        if entry.claimed_until is None or entry.claimed_until < now
    ]


@dataclass(frozen=True)
class WaitingLead:
    """A lead on one of the served bots waiting for an operator's reply."""

    handoff_id: int
    waiting_since: datetime
    contact: ContactInfo


def _waiting(bot_ids: Collection[int], before: datetime, not_yet: str) -> list[WaitingLead]:
    handoffs = (
        Handoff.objects.filter(
            state__in=Handoff.OPEN,
            waiting_since__lte=before,
            contact__bot_id__in=bot_ids,
            **{f"{not_yet}__isnull": True},
        )
        .select_related("contact")
        .order_by("waiting_since")
    )
    return [
        WaitingLead(handoff.pk, handoff.waiting_since, ContactInfo.from_contact(handoff.contact))
        for handoff in handoffs
    ]


def leads_to_remind(*, bot_ids: Collection[int], waiting_before: datetime) -> list[WaitingLead]:
    """Leads waiting since before `waiting_before` whose operators were not reminded yet (read
    along the partial index `handoff_open`)."""
    return _waiting(bot_ids, waiting_before, "reminded_at")


def leads_to_tell(*, bot_ids: Collection[int], waiting_before: datetime) -> list[WaitingLead]:
    """Leads waiting since before `waiting_before` who were not told yet that it takes longer."""
    return _waiting(bot_ids, waiting_before, "escalated_at")
