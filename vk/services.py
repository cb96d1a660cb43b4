"""Writes of the VK side: events stored before VK is told they arrived, their end, and the
claim that makes one process serve a community."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from vk.models import VkCommunity, VkEvent

#: The kinds of events the channel takes; VK sends others a community subscribed to.
TAKEN = ("message_new", "message_event")


def _peer_of(event: dict) -> int:
    obj = event.get("object") or {}
    message = obj.get("message") or obj
    return int(message.get("peer_id") or 0)


def events_store(*, community_id: int, events: Iterable[dict], poll_ts: str | None = None) -> int:
    """Keep the events VK sent (each once, by its `event_id`) and, for the long poll, the
    position after them, in one transaction: the next poll asks from there only once they
    are stored. Returns how many were new."""
    rows = [
        VkEvent(
            community_id=community_id,
            event_id=str(event["event_id"])[:64],
            peer_id=_peer_of(event),
            kind=str(event.get("type", ""))[:40],
            payload=event,
        )
        for event in events
        if event.get("type") in TAKEN and event.get("event_id") and _peer_of(event)
    ]
    with transaction.atomic():
        known = set(
            VkEvent.objects.filter(
                community_id=community_id, event_id__in=[row.event_id for row in rows]
            ).values_list("event_id", flat=True)
        )
        new = [row for row in rows if row.event_id not in known]
        VkEvent.objects.bulk_create(new, ignore_conflicts=True)
        if poll_ts is not None:
            VkCommunity.objects.filter(pk=community_id).update(poll_ts=poll_ts)
    return len(new)


def events_settle(*, done: Iterable[int] = (), failed: Iterable[int] = ()) -> None:
    VkEvent.objects.filter(pk__in=list(done)).update(state=VkEvent.State.DONE)
    VkEvent.objects.filter(pk__in=list(failed)).update(state=VkEvent.State.FAILED)


def community_claim(*, community_id: int, now: datetime, lease: timedelta, holder: bool) -> bool:
    """Serve the community until `now + lease`: taken when nobody holds it (a process that
    died lets its claim run out), renewed by its holder."""
    communities = VkCommunity.objects.filter(pk=community_id)
    if not holder:
        communities = communities.filter(Q(served_until__isnull=True) | Q(served_until__lt=now))
    return communities.update(served_until=now + lease) == 1


def community_release(*, community_id: int) -> None:
    VkCommunity.objects.filter(pk=community_id).update(served_until=None)


def events_prune(*, before: datetime) -> int:
    """Handled events leave after a while (they hold the person's words)."""
    deleted, _kinds = VkEvent.objects.filter(
        received_at__lt=before, state__in=[VkEvent.State.DONE, VkEvent.State.FAILED]
    ).delete()
    return deleted
