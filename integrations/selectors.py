"""Reads of CRM delivery: which integrations take a lead's events, the lead as an event carries
it, the deliveries due, one delivery with all it needs to be sent, and the numbers /metrics
shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min, Q

from core.config_cache import cached_config
from discovery.models import LeadDiscovery, LeadFieldValue, ScenarioField
from integrations.models import CrmRecord, Delivery, Integration


@dataclass(frozen=True)
class Route:
    """An active integration and the bot whose leads it takes (None: every bot's)."""

    integration_id: int
    bot_id: int | None


@cached_config
def active_routes() -> tuple[Route, ...]:
    """Read once per configuration change: every save of a lead asks it."""
    rows = Integration.objects.filter(is_active=True).values_list("pk", "bot_id")
    return tuple(Route(pk, bot_id) for pk, bot_id in rows)


def integrations_for(*, bot_id: int | None) -> list[int]:
    return [
        route.integration_id
        for route in active_routes()
        if route.bot_id is None or route.bot_id == bot_id
    ]


def lead_snapshot(contact) -> dict:
    """The lead as an event carries it: its own details, its bot, its card (JSON-ready)."""
    discovery = LeadDiscovery.objects.filter(contact_id=contact.pk).first()
    bot = contact.bot
    return {
        "id": contact.pk,
        "channel": contact.channel,
        "external_id": contact.external_id,
        "bot": {"id": bot.pk, "name": bot.name, "username": bot.username} if bot else None,
        "name": contact.display_name,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "username": contact.username,
        "language": contact.language_code,
        "phone": contact.phone,
        "email": contact.email,
        "status": contact.status,
        "source": contact.source,
        "created_at": _iso(contact.created_at),
        "qualified_at": _iso(contact.qualified_at),
        "card_confirmed_at": _iso(discovery.card_confirmed_at if discovery else None),
        "card": _card(contact.pk, discovery.scenario_id if discovery else None),
    }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _card(contact_id: int, scenario_id: int | None) -> list[dict]:
    """The card's current values in the scenario's order, each with its label in the site's
    language; a refusal to say is marked `declined`."""
    fields = {
        field.key: (field.position, field.label(settings.LANGUAGE_CODE))
        for field in ScenarioField.objects.filter(scenario_id=scenario_id)
    }
    rows = LeadFieldValue.objects.filter(contact_id=contact_id, is_current=True)
    values = sorted(
        rows.values_list("key", "value", "display"),
        key=lambda row: (fields.get(row[0], (10**6, ""))[0], row[0]),
    )
    return [
        {
            "key": key,
            "label": fields.get(key, (0, key))[1],
            "value": None if _declined(value) else value,
            "display": display,
            "declined": _declined(value),
        }
        for key, value, display in values
    ]


def _declined(value) -> bool:
    return isinstance(value, dict) and value.get("declined") is True


def deliveries_due(*, now: dt.datetime, limit: int) -> list[int]:
    """The oldest open delivery of each lead and active integration, when it is due and nobody
    holds it: one lead's events go to one integration in order, a retrying one holds the
    later ones behind it."""
    heads = (
        Delivery.objects.filter(status__in=Delivery.OPEN)
        .values("integration_id", "contact_id")
        .annotate(first=Min("id"))
        .values("first")
    )
    due = Delivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk__in=heads,
        next_attempt_at__lte=now,
        integration__is_active=True,
    )
    return list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])


@dataclass(frozen=True)
class Target:
    """Where a delivery goes and how: the integration with its secret and field mapping."""

    id: int
    kind: str
    url: str
    secret: str
    mapping: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EventInfo:
    uid: str
    kind: str
    sequence: int
    occurred_at: dt.datetime
    data: dict
    lead: dict


@dataclass(frozen=True)
class DeliveryJob:
    """One delivery with everything its request needs; `external_id` (and for amoCRM
    `external_contact_id`) is the CRM's id of the lead when an earlier event created it there."""

    delivery_id: int
    attempts: int
    target: Target
    event: EventInfo
    external_id: str
    external_contact_id: str


def delivery_job(*, delivery_id: int) -> DeliveryJob:
    """Raises `bots.tokens.TokenUnavailable` when the integration's secret cannot be read."""
    delivery = Delivery.objects.select_related("event", "integration").get(pk=delivery_id)
    integration, event = delivery.integration, delivery.event
    record = CrmRecord.objects.filter(
        integration_id=integration.pk, contact_id=delivery.contact_id
    ).first()
    return DeliveryJob(
        delivery_id=delivery.pk,
        attempts=delivery.attempts,
        target=Target(
            id=integration.pk,
            kind=integration.kind,
            url=integration.url,
            secret=integration.secret(),
            mapping=tuple(integration.mappings.values_list("card_key", "crm_field")),
        ),
        event=EventInfo(
            uid=str(event.uid),
            kind=event.kind,
            sequence=event.sequence,
            occurred_at=event.created_at,
            data=event.data,
            lead=event.lead,
        ),
        external_id=record.external_id if record else "",
        external_contact_id=record.external_contact_id if record else "",
    )


@dataclass(frozen=True)
class DeliveryNumbers:
    """What /metrics shows: deliveries open or dead by status, and how long the oldest open
    one has waited."""

    by_status: dict[str, int]
    oldest_open_at: dt.datetime | None


def delivery_numbers() -> DeliveryNumbers:
    waiting = (*Delivery.OPEN, Delivery.Status.DEAD)  # delivered ones are not counted
    counts = (
        Delivery.objects.filter(status__in=waiting)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_status = dict.fromkeys(waiting, 0)
    by_status.update({row["status"]: row["n"] for row in counts})
    oldest = Delivery.objects.filter(status__in=Delivery.OPEN).aggregate(at=Min("created_at"))
    return DeliveryNumbers(by_status=by_status, oldest_open_at=oldest["at"])
