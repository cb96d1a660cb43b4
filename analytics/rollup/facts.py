"""What a row counts for in the daily tables: one row at a time, or many grouped in the database.

A stored message or run is counted from the object at hand; a whole lead, a conversation or
a rebuild is counted by a few grouped queries instead of reading every row into Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate

from analytics.latency import bucket_of
from analytics.models import DailyConversations, DailyLatency, DailyLeads, DailyUsage
from analytics.rollup.counters import Fact, Segment
from conversations.models import Message
from discovery.models import ExtractionRun


def local_day(moment: datetime) -> date:
    """The calendar day of `moment` in the project's time zone."""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _local_date(field: str) -> TruncDate:
    """`local_day` in SQL, for the grouped queries."""
    return TruncDate(field, tzinfo=ZoneInfo(settings.TIME_ZONE))


# --- One row --------------------------------------------------------------------------------


def message_facts(message: Message, segment: Segment) -> list[Fact]:
    """A reply's tokens (when a model wrote it) and latency, on the day it was stored."""
    if message.role != Message.Role.ASSISTANT:
        return []
    day = local_day(message.created_at)
    facts: list[Fact] = []
    if message.model_name:
        usage = _usage_counts(message)
        kind = DailyUsage.Kind.REPLY
        facts.append((DailyUsage, day, segment, (kind, message.model_name), usage))
    if message.latency_ms is not None:
        facts.append((DailyLatency, day, segment, (bucket_of(message.latency_ms),), (1,)))
    return facts


def run_facts(run: ExtractionRun, segment: Segment) -> list[Fact]:
    if not run.model_name:
        return []
    usage = _usage_counts(run)
    kind = DailyUsage.Kind.EXTRACTION
    return [(DailyUsage, local_day(run.created_at), segment, (kind, run.model_name), usage)]


def _usage_counts(call: Message | ExtractionRun) -> tuple[int, int, int, int]:
    """`DailyUsage`'s counts for one LLM call: calls, prompt and completion tokens, estimated."""
    tokens = (call.prompt_tokens or 0, call.completion_tokens or 0)
    return (1, *tokens, int(call.tokens_estimated))


def size_fact(day: date, segment: Segment, messages: int) -> Fact:
    """One conversation of `messages` messages, started on `day`."""
    return (DailyConversations, day, segment, (messages,), (1,))


# --- Grouped in the database ----------------------------------------------------------------


def _grouped_usage(queryset: QuerySet, kind: str) -> Iterator[Fact]:
    rows = (
        queryset.exclude(model_name="")
        .annotate(day=_local_date("created_at"))
        .values_list("day", "contact__bot_id", "contact__source", "model_name")
        .annotate(
            calls=Count("pk"),
            prompt=Coalesce(Sum("prompt_tokens"), 0),
            completion=Coalesce(Sum("completion_tokens"), 0),
            estimated=Count("pk", filter=Q(tokens_estimated=True)),
        )
        .order_by()
    )
    for day, bot_id, source, model_name, *counts in rows:
        yield DailyUsage, day, Segment.of(bot_id, source), (kind, model_name), tuple(counts)


def grouped_message_facts(messages: QuerySet) -> Iterator[Fact]:
    """`message_facts` of every message in `messages`, from a few grouped queries."""
    replies = messages.filter(role=Message.Role.ASSISTANT)
    yield from _grouped_usage(replies, DailyUsage.Kind.REPLY)
    latencies = (
        replies.filter(latency_ms__isnull=False)
        .annotate(day=_local_date("created_at"))
        .values_list("day", "contact__bot_id", "contact__source", "latency_ms")
        .annotate(replies=Count("pk"))
        .order_by()
    )
    for day, bot_id, source, milliseconds, count in latencies:
        segment = Segment.of(bot_id, source)
        yield DailyLatency, day, segment, (bucket_of(milliseconds),), (count,)


def grouped_run_facts(runs: QuerySet) -> Iterator[Fact]:
    yield from _grouped_usage(runs, DailyUsage.Kind.EXTRACTION)


def cell_facts(counted_leads: QuerySet) -> Iterator[Fact]:
    """The funnel cells that `CountedLead` rows stand for."""
    cells = counted_leads.values_list("day", "bot_id", "source", "stage").annotate(n=Count("pk"))
    for day, bot_id, source, stage, count in cells.order_by():
        yield DailyLeads, day, Segment(bot_id, source), (stage,), (count,)


def size_facts(counted_conversations: QuerySet) -> Iterator[Fact]:
    """The conversation sizes that `CountedConversation` rows stand for."""
    sizes = counted_conversations.values_list("day", "bot_id", "source", "messages")
    for day, bot_id, source, messages, count in sizes.annotate(n=Count("pk")).order_by():
        yield DailyConversations, day, Segment(bot_id, source), (messages,), (count,)
