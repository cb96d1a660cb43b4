"""Recounting the rollup from the source rows: `manage.py rebuild_analytics`, migration 0003, and
leads that became a bot's own in one UPDATE (`conversations.signals.contacts_adopted`).

Needed where rows were written without signals (bulk loads, SQL) or `TIME_ZONE` changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import islice
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Model, QuerySet

from analytics.models import CountedConversation, CountedLead
from analytics.rollup.counters import BATCH, DAILY_MODELS, Changes, Segment, execute, table
from analytics.rollup.facts import (
    cell_facts,
    grouped_message_facts,
    grouped_run_facts,
    local_day,
    size_facts,
)
from analytics.stages import furthest_stage
from conversations.models import Contact, Conversation, Message
from discovery.models import ExtractionRun


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild counted."""

    leads: int
    conversations: int
    daily_rows: int


def rollup_rebuild(*, since: date | None = None) -> Rebuilt:
    """Recount every number from the source rows; with `since`, only the days from then on.

    It runs in one transaction that holds off every other writer of the rollup: each of them
    starts by locking a lead's row, and the rebuild locks the leads' table against that
    (EXCLUSIVE on PostgreSQL, where reading goes on; SQLite has one writer at a time anyway).
    Whatever is stored meanwhile waits, and is counted once, after the rebuild.
    """
    contacts, conversations = Contact.objects.all(), Conversation.objects.all()
    messages, runs = Message.objects.all(), ExtractionRun.objects.all()
    state = {model: model.objects.all() for model in (CountedLead, CountedConversation)}
    daily = {model: model.objects.all() for model in DAILY_MODELS}
    if since is not None:
        start = datetime.combine(since, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
        contacts = contacts.filter(created_at__gte=start)
        conversations = conversations.filter(started_at__gte=start)
        messages = messages.filter(created_at__gte=start)
        runs = runs.filter(created_at__gte=start)
        state = {model: rows.filter(day__gte=since) for model, rows in state.items()}
        daily = {model: rows.filter(day__gte=since) for model, rows in daily.items()}
    with transaction.atomic():
        _hold_off_writers()
        for rows in (*state.values(), *daily.values()):
            rows.delete()
        leads = _count_leads(contacts)
        talks = _count_conversations(conversations)
        changes = Changes()
        changes.add(cell_facts(state[CountedLead]))
        changes.add(size_facts(state[CountedConversation]))
        changes.add(grouped_message_facts(messages))
        changes.add(grouped_run_facts(runs))
        changes.write()
    return Rebuilt(leads, talks, sum(len(changes.rows(model)) for model in DAILY_MODELS))


def _hold_off_writers() -> None:
    if connection.vendor == "postgresql":
        execute(f"LOCK TABLE {table(Contact)} IN EXCLUSIVE MODE")


def _count_leads(contacts: QuerySet) -> int:
    rows = contacts.annotate(stage=furthest_stage()).values_list(
        "pk", "created_at", "bot_id", "source", "stage"
    )
    counted = (
        CountedLead(
            contact_id=pk,
            day=local_day(created_at),
            **Segment.of(bot_id, source)._asdict(),
            stage=stage,
        )
        for pk, created_at, bot_id, source, stage in rows.iterator(chunk_size=BATCH)
    )
    return _bulk_create(CountedLead, counted)


def _count_conversations(conversations: QuerySet) -> int:
    rows = conversations.annotate(size=Count("messages")).values_list(
        "pk", "started_at", "contact__bot_id", "contact__source", "size"
    )
    counted = (
        CountedConversation(
            conversation_id=pk,
            day=local_day(started_at),
            **Segment.of(bot_id, source)._asdict(),
            messages=size,
        )
        for pk, started_at, bot_id, source, size in rows.iterator(chunk_size=BATCH)
    )
    return _bulk_create(CountedConversation, counted)


def _bulk_create(model: type[Model], objects: Iterator[Model]) -> int:
    """Insert in batches, so a million rows never sit in memory at once."""
    created = 0
    while batch := list(islice(objects, BATCH)):
        model.objects.bulk_create(batch)
        created += len(batch)
    return created
