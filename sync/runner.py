"""Syncing in the bot processes: each due source is claimed by one process and synced.

A claim is one conditional UPDATE (`claimed_until`), so two processes never sync a source at
once, and a process killed mid-sync leaves a claim that runs out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from django.db.models import Q
from django.utils import timezone

from core.db import db_call
from core.pausing import repeat
from sync.models import SyncSource
from sync.services import sync_source

logger = logging.getLogger(__name__)

#: How often the processes look for sources due a sync.
LOOK_SECONDS = 30.0
#: Longer than a sync can take (a download gives up after 15 s).
CLAIM = dt.timedelta(minutes=5)


def _due(now: dt.datetime):
    not_held = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = Q(next_run_at__isnull=True) | Q(next_run_at__lte=now)
    return SyncSource.objects.filter(not_held, due, is_active=True)


def due_source_ids(now: dt.datetime) -> list[int]:
    return list(_due(now).order_by("next_run_at", "pk").values_list("pk", flat=True))


def claim(source_id: int, now: dt.datetime) -> bool:
    return _due(now).filter(pk=source_id).update(claimed_until=now + CLAIM) == 1


async def sync_due_sources() -> None:
    now = timezone.now()
    for source_id in await db_call(due_source_ids)(now):
        if await db_call(claim)(source_id, now):
            await db_call(sync_source)(source_id)


async def keep_in_sync(stopping: asyncio.Event) -> None:
    await repeat(
        stopping,
        sync_due_sources,
        every=LOOK_SECONDS,
        first_wait=LOOK_SECONDS,
        failure="Could not sync the sources: %s",
    )


def start_syncing(sender, *, stopping: asyncio.Event, **_kwargs) -> asyncio.Task:
    """`bot.signals.serving_started`: sync due sources beside the updates."""
    return asyncio.create_task(keep_in_sync(stopping), name="sync")
