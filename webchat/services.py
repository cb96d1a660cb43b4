"""Writes of the web chat: the sending limits, and messages a window has fetched."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import F

from conversations.models import Message
from webchat.models import SendingWindow
from webchat.selectors import SiteInfo


def _count(site_id: int, sender: str, minute: datetime) -> int:
    """One more message of `sender` in `minute`; the count after it. The row is made once
    (two processes making it at once settle on one) and counted up in the database."""
    SendingWindow.objects.get_or_create(site_id=site_id, sender=sender, minute=minute)
    windows = SendingWindow.objects.filter(site_id=site_id, sender=sender, minute=minute)
    windows.update(count=F("count") + 1)
    return windows.values_list("count", flat=True).get()


def sending_count(*, site: SiteInfo, visitor: str, address: str, now: datetime) -> float:
    """Count a message of `visitor` from `address`: 0 when it is within both of the site's
    limits, else the seconds until the minute is over. Old minutes are removed on the way."""
    minute = now.replace(second=0, microsecond=0)
    SendingWindow.objects.filter(site_id=site.id, minute__lt=minute).delete()
    over = _count(site.id, f"visitor:{visitor}", minute) > site.visitor_messages_per_minute
    over |= _count(site.id, f"address:{address}", minute) > site.address_messages_per_minute
    return 60 - (now - minute).total_seconds() if over else 0


def messages_fetched(*, message_ids: Iterable[int]) -> None:
    """What was kept for the person while their window was away has now reached it (also
    what was fetched before its outcome was recorded: that record keeps it delivered)."""
    waiting = (Message.Delivery.PENDING, "")
    Message.objects.filter(pk__in=list(message_ids), delivery__in=waiting).exclude(
        role=Message.Role.USER
    ).update(delivery=Message.Delivery.DELIVERED)
