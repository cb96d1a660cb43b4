"""Writes of CRM delivery: lead events with their deliveries (in the transaction of the change),
claiming a delivery, what became of an attempt, sending again, pruning."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from conversations.models import Contact
from core.backoff import Backoff
from core.storable import storable_text
from integrations.models import CrmRecord, Delivery, LeadEvent
from integrations.selectors import active_routes, integrations_for, lead_snapshot

logger = logging.getLogger(__name__)

#: The ceiling of the pauses between attempts doubles from 10 s up to an hour.
RETRY_BACKOFF = Backoff(first=10.0, longest=3600.0)
#: How much of a CRM's answer is kept on the delivery for staff to read.
RESPONSE_CHARS = 500


def lead_events_record(*, contact_id: int, events: list[tuple[str, dict]]) -> int:
    """Put `events` (kind, details) of a lead into the outbox, one delivery per integration
    that takes the lead's events; nothing when none does. Returns the deliveries made.

    Runs inside the transaction of the change (a model signal), so the events commit or roll
    back with it. The lead's row is locked first, so two changes of one lead get their numbers
    (and delivery ids) in the order they commit.
    """
    if not active_routes():
        return 0
    with transaction.atomic():
        contact = (
            Contact.objects.select_for_update(no_key=True, of=("self",))
            .select_related("bot")
            .get(pk=contact_id)
        )
        integration_ids = integrations_for(bot_id=contact.bot_id)
        if not integration_ids:
            return 0
        last = LeadEvent.objects.filter(contact_id=contact_id).aggregate(n=Max("sequence"))["n"]
        lead, now = lead_snapshot(contact), timezone.now()
        give_up_at = now + dt.timedelta(hours=settings.CRM_RETRY_HOURS)
        made = LeadEvent.objects.bulk_create(
            LeadEvent(
                contact_id=contact_id,
                sequence=(last or 0) + number,
                kind=kind,
                data=data,
                lead=lead,
                created_at=now,
            )
            for number, (kind, data) in enumerate(events, start=1)
        )
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                event=event,
                integration_id=integration_id,
                contact_id=contact_id,
                created_at=now,
                give_up_at=give_up_at,
                next_attempt_at=now,
            )
            for event in made
            for integration_id in integration_ids
        )
    return len(deliveries)


def delivery_claim(*, delivery_id: int, now: dt.datetime, lease_seconds: float) -> bool:
    """Take an open delivery for `lease_seconds`, unless another process holds it: one
    conditional UPDATE, so of two processes one gets it; a dead process's claim runs out."""
    claimed = Delivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=delivery_id,
        status__in=Delivery.OPEN,
    ).update(claimed_until=now + dt.timedelta(seconds=lease_seconds))
    return bool(claimed)


class Result(Enum):
    DELIVERED = "delivered"
    RETRY = "retry"  # the CRM is down, slow or busy; it may have the event (a timeout)
    REJECTED = "rejected"  # the CRM refused it; sending it again as it is would not help


@dataclass(frozen=True)
class Outcome:
    """What an attempt came to: the result, the CRM's answer, the lead's ids there (when it
    was added: kept even if a later request of the attempt failed, so a retry updates it)."""

    result: Result
    response: str
    response_code: int | None = None
    external_id: str = ""
    external_contact_id: str = ""


def delivery_record(*, delivery_id: int, outcome: Outcome, now: dt.datetime, jitter: float) -> str:
    """Write what an attempt came to and release the claim; returns the delivery's status.

    A failed attempt is retried after a pause of `jitter` (0 to 1, random) times the ceiling
    for this many attempts: full jitter, so leads that failed together spread out when the CRM
    comes back. Not after its retry window ends: the last try is at its end,
    and a delivery that fails then (or is rejected) is a dead letter. The lead's later events
    go on after a dead one, so one bad event does not hold the lead back for good.
    """
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        delivery.attempts += 1
        delivery.claimed_until = None
        delivery.response_code = outcome.response_code
        delivery.response = storable_text(outcome.response)[:RESPONSE_CHARS]
        if outcome.external_id:
            CrmRecord.objects.update_or_create(
                integration_id=delivery.integration_id,
                contact_id=delivery.contact_id,
                defaults={
                    "external_id": outcome.external_id,
                    "external_contact_id": outcome.external_contact_id,
                },
            )
        if outcome.result is Result.DELIVERED:
            delivery.status, delivery.delivered_at = Delivery.Status.DELIVERED, now
        elif outcome.result is Result.REJECTED or now >= delivery.give_up_at:
            delivery.status = Delivery.Status.DEAD
        else:
            delivery.status = Delivery.Status.RETRYING
            pause = dt.timedelta(seconds=jitter * RETRY_BACKOFF.delay(delivery.attempts - 1))
            delivery.next_attempt_at = min(now + pause, delivery.give_up_at)
        delivery.save()
    if delivery.status == Delivery.Status.DEAD:
        logger.warning(
            "Delivery %s to integration %s failed for good after %s attempts",
            delivery_id,
            delivery.integration_id,
            delivery.attempts,
        )
    return delivery.status


def deliveries_resend(*, delivery_ids: list[int], now: dt.datetime | None = None) -> int:
    """Staff's "send again": dead deliveries are tried again, with a new retry window."""
    now = now or timezone.now()
    return Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.DEAD).update(
        status=Delivery.Status.PENDING,
        next_attempt_at=now,
        give_up_at=now + dt.timedelta(hours=settings.CRM_RETRY_HOURS),
        claimed_until=None,
    )


def lead_events_forget(*, contact_id: int) -> None:
    """A person's data deleted at their request: the lead's events go (each holds the lead as it
    was: names, contact details, card), undelivered ones too, with the lead's ids in the CRMs."""
    LeadEvent.objects.filter(contact_id=contact_id).delete()
    CrmRecord.objects.filter(contact_id=contact_id).delete()


def lead_events_prune(*, now: dt.datetime | None = None) -> int:
    """Delete events older than CRM_KEEP_DAYS whose deliveries are all done (delivered), keeping
    each lead's newest event, which its next event's number continues from."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.CRM_KEEP_DAYS)
    undelivered = Delivery.objects.filter(event=OuterRef("pk")).exclude(
        status=Delivery.Status.DELIVERED
    )
    later = LeadEvent.objects.filter(contact_id=OuterRef("contact_id"), pk__gt=OuterRef("pk"))
    old = LeadEvent.objects.filter(created_at__lt=cutoff).filter(
        ~Exists(undelivered), Exists(later)
    )
    _deleted, per_model = old.delete()
    return per_model.get(LeadEvent._meta.label, 0)
