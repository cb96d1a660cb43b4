"""Keeps the analytics rollup (`analytics/models.py`) equal to what the source rows say.

`analytics/receivers.py` calls in here from the model signals of `Contact`, `Conversation`,
`Message` and `ExtractionRun`, in the transaction of the change (the services write one
`transaction.atomic()` per change; the admin's saves and deletes are atomic too).

Concurrent writers stay right because:

- every change to one lead's numbers first locks the lead's row (`FOR NO KEY UPDATE` on
  PostgreSQL, which does not wait for the key-share locks that inserting its messages takes;
  SQLite has one writer at a time), so reading what is counted for the lead and changing it
  cannot interleave with another change of the same lead;
- counters only ever change by additive upserts (`INSERT ... ON CONFLICT DO UPDATE SET
  n = n + excluded.n`, the same SQL on SQLite and PostgreSQL), written in key order, so
  writers of different leads that share a day's row add up instead of overwriting each
  other, and cannot deadlock on those rows.

What moves what:

- a lead: its funnel cell (day, source, furthest stage) in `DailyLeads`, remembered in
  `CountedLead`; a new source moves every number of the lead to it;
- a conversation: its size in `DailyConversations`, remembered in `CountedConversation`;
- a message: its conversation's size; a reply its tokens (`DailyUsage`) and latency bucket
  (`DailyLatency`); a person's first text moves the lead past "started";
- an extraction run: its tokens.

Messages and runs are never edited once stored (the admin shows them read-only). Writes that
send no signals (`bulk_create`, `update()`, raw SQL) and a change of `TIME_ZONE` need
`manage.py rebuild_analytics`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import islice
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DateField, Model, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate

from analytics.latency import bucket_of
from analytics.models import (
    CountedConversation,
    CountedLead,
    DailyConversations,
    DailyLatency,
    DailyLeads,
    DailyUsage,
)
from analytics.stages import STARTED, furthest_stage, is_question
from conversations.models import Contact, Conversation, Message
from discovery.models import ExtractionRun

DAILY_MODELS = (DailyLeads, DailyConversations, DailyUsage, DailyLatency)
_BATCH = 500


def local_day(moment: datetime) -> date:
    """The calendar day of `moment` in the project's time zone."""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _local_date(field: str) -> TruncDate:
    """`local_day` in SQL, for the grouped queries of a rebuild."""
    return TruncDate(field, tzinfo=ZoneInfo(settings.TIME_ZONE))


# The path every stored message takes runs plain SQL (table names from the models, values as
# parameters): building the ORM's queries was most of its cost.
_DAY = DateField()


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _fetch_one(sql: str, *params) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _fetch_none(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- Writing the daily counters -------------------------------------------------------------


#: One fact for a daily table: (model, day, source, the rest of the key, the counts).
Fact = tuple[type[Model], date, str, tuple, tuple[int, ...]]


def _key_fields(model: type[Model]) -> tuple[str, ...]:
    return tuple(model._meta.constraints[0].fields)


def _count_fields(model: type[Model]) -> tuple[str, ...]:
    keys = _key_fields(model)
    return tuple(
        field.name
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in keys
    )


class Changes:
    """Additions to the daily counters, summed per row, then written in one statement a table."""

    def __init__(self) -> None:
        self._rows: dict[type[Model], dict[tuple, list[int]]] = defaultdict(dict)

    def add(self, facts: Iterable[Fact], *, sign: int = 1, source: str | None = None) -> None:
        """Count `facts` (`sign=-1` takes them away), under `source` instead of their own."""
        for model, day, own_source, rest, counts in facts:
            key = (day, own_source if source is None else source, *rest)
            row = self._rows[model].setdefault(key, [0] * len(counts))
            for index, count in enumerate(counts):
                row[index] += sign * count

    def rows(self, model: type[Model]) -> dict[tuple, list[int]]:
        return {key: counts for key, counts in self._rows[model].items() if any(counts)}

    def write(self) -> None:
        for model in DAILY_MODELS:
            rows = sorted(self.rows(model).items())
            for start in range(0, len(rows), _BATCH):
                _upsert(model, rows[start : start + _BATCH])


def _upsert(model: type[Model], rows: list[tuple[tuple, list[int]]]) -> None:
    """Add `rows` to the table: a missing row is created, an existing one has the counts added."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    keys, counts = _key_fields(model), _count_fields(model)
    fields = [model._meta.get_field(name) for name in (*keys, *counts)]
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(field.column) for field in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row_sql] * len(rows))} "
        f"ON CONFLICT ({', '.join(quote(field.column) for field in fields[: len(keys)])}) "
        "DO UPDATE SET "
        + ", ".join(
            f"{column} = {table}.{column} + excluded.{column}"
            for column in (quote(field.column) for field in fields[len(keys) :])
        )
    )
    params = [
        field.get_db_prep_save(value, connection)
        for key, values in rows
        for field, value in zip(fields, (*key, *values), strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- What one row counts for ----------------------------------------------------------------


def message_facts(message: Message, source: str) -> list[Fact]:
    """A reply's tokens (when a model wrote it) and latency, on the day it was stored."""
    if message.role != Message.Role.ASSISTANT:
        return []
    day = local_day(message.created_at)
    facts: list[Fact] = []
    if message.model_name:
        usage = _usage_counts(message)
        facts.append((DailyUsage, day, source, (DailyUsage.Kind.REPLY, message.model_name), usage))
    if message.latency_ms is not None:
        facts.append((DailyLatency, day, source, (bucket_of(message.latency_ms),), (1,)))
    return facts


def run_facts(run: ExtractionRun, source: str) -> list[Fact]:
    if not run.model_name:
        return []
    usage = _usage_counts(run)
    kind = DailyUsage.Kind.EXTRACTION
    return [(DailyUsage, local_day(run.created_at), source, (kind, run.model_name), usage)]


def _usage_counts(call: Message | ExtractionRun) -> tuple[int, int, int, int]:
    """`DailyUsage`'s counts for one LLM call: calls, prompt and completion tokens, estimated."""
    tokens = (call.prompt_tokens or 0, call.completion_tokens or 0)
    return (1, *tokens, int(call.tokens_estimated))


def _size_fact(day: date, source: str, messages: int) -> Fact:
    return (DailyConversations, day, source, (messages,), (1,))


# --- The same, grouped in the database (rebuilds, and whole leads or conversations) ---------


def _grouped_usage(queryset: QuerySet, kind: str) -> Iterator[Fact]:
    rows = (
        queryset.exclude(model_name="")
        .annotate(day=_local_date("created_at"))
        .values_list("day", "contact__source", "model_name")
        .annotate(
            calls=Count("pk"),
            prompt=Coalesce(Sum("prompt_tokens"), 0),
            completion=Coalesce(Sum("completion_tokens"), 0),
            estimated=Count("pk", filter=Q(tokens_estimated=True)),
        )
        .order_by()
    )
    for day, source, model_name, *counts in rows:
        yield DailyUsage, day, source, (kind, model_name), tuple(counts)


def grouped_message_facts(messages: QuerySet) -> Iterator[Fact]:
    """`message_facts` of every message in `messages`, from a few grouped queries."""
    replies = messages.filter(role=Message.Role.ASSISTANT)
    yield from _grouped_usage(replies, DailyUsage.Kind.REPLY)
    latencies = (
        replies.filter(latency_ms__isnull=False)
        .annotate(day=_local_date("created_at"))
        .values_list("day", "contact__source", "latency_ms")
        .annotate(replies=Count("pk"))
        .order_by()
    )
    for day, source, milliseconds, count in latencies:
        yield DailyLatency, day, source, (bucket_of(milliseconds),), (count,)


def grouped_run_facts(runs: QuerySet) -> Iterator[Fact]:
    yield from _grouped_usage(runs, DailyUsage.Kind.EXTRACTION)


def cell_facts(counted_leads: QuerySet) -> Iterator[Fact]:
    """The funnel cells that `CountedLead` rows stand for."""
    cells = counted_leads.values_list("day", "source", "stage").annotate(n=Count("pk"))
    for day, source, stage, count in cells.order_by():
        yield DailyLeads, day, source, (stage,), (count,)


def size_facts(counted_conversations: QuerySet) -> Iterator[Fact]:
    """The conversation sizes that `CountedConversation` rows stand for."""
    sizes = counted_conversations.values_list("day", "source", "messages").annotate(n=Count("pk"))
    for day, source, messages, count in sizes.order_by():
        yield DailyConversations, day, source, (messages,), (count,)


# --- Leads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountedAs:
    """The source and furthest stage a lead is counted under."""

    source: str
    stage: int


def _lock_lead(contact_id: int) -> None:
    """Lock the lead's row until the transaction ends (PostgreSQL).

    What is counted for the lead is read by the next statements: in PostgreSQL's READ
    COMMITTED a statement that had to wait for the lock still reads the other rows (and
    subqueries) as they were when it started, but the next one sees what the lock's holder
    committed. SQLite needs no lock: the transaction began IMMEDIATE, holding the database's
    only write lock.
    """
    if connection.features.has_select_for_update:
        lock = f"SELECT 1 FROM {_table(Contact)} WHERE id = %s FOR NO KEY UPDATE"  # noqa: S608
        _fetch_one(lock, contact_id)


def locked_lead(contact_id: int) -> CountedAs:
    """Lock the lead's row; under which source and stage it is counted."""
    _lock_lead(contact_id)
    counted = _fetch_one(
        f"SELECT source, stage FROM {_table(CountedLead)} WHERE contact_id = %s",  # noqa: S608
        contact_id,
    )
    if counted is None:  # stored by a bulk write that sent no signal
        return lead_refresh(contact_id=contact_id)
    return CountedAs(*counted)


@transaction.atomic(savepoint=False)
def lead_refresh(*, contact_id: int) -> CountedAs:
    """Count the lead in the cell it belongs in now: its day, current source and stage.

    A new source takes every number of the lead along (conversations, replies, extraction).
    """
    _lock_lead(contact_id)
    current = Contact.objects.filter(pk=contact_id).annotate(stage=furthest_stage())
    created_at, source, stage = current.values_list("created_at", "source", "stage").get()
    cell = (local_day(created_at), source, stage)
    counted = CountedLead.objects.filter(pk=contact_id).values_list("day", "source", "stage")
    counted = counted.first()
    if counted == cell:
        return CountedAs(source, stage)
    changes = Changes()
    changes.add([(DailyLeads, cell[0], source, (stage,), (1,))])
    if counted is None:
        CountedLead.objects.create(contact_id=contact_id, day=cell[0], source=source, stage=stage)
    else:
        old_day, old_source, old_stage = counted
        changes.add([(DailyLeads, old_day, old_source, (old_stage,), (1,))], sign=-1)
        CountedLead.objects.filter(pk=contact_id).update(day=cell[0], source=source, stage=stage)
        if old_source != source:
            _move_numbers(changes, contact_id, old_source, source)
    changes.write()
    return CountedAs(source, stage)


def _move_numbers(changes: Changes, contact_id: int, old: str, new: str) -> None:
    """Every number of the lead but its funnel cell, from source `old` to `new`."""
    conversations = CountedConversation.objects.filter(conversation__contact_id=contact_id)
    facts = [
        *grouped_message_facts(Message.objects.filter(contact_id=contact_id)),
        *grouped_run_facts(ExtractionRun.objects.filter(contact_id=contact_id)),
        *size_facts(conversations),
    ]
    changes.add(facts, sign=-1, source=old)
    changes.add(facts, source=new)
    conversations.update(source=new)


@transaction.atomic(savepoint=False)
def lead_forget(*, contact_id: int) -> None:
    """Take away every number of a lead that is being deleted, with all it said."""
    counted = locked_lead(contact_id)
    changes = Changes()
    changes.add(
        [
            *cell_facts(CountedLead.objects.filter(pk=contact_id)),
            *size_facts(CountedConversation.objects.filter(conversation__contact_id=contact_id)),
            *grouped_message_facts(Message.objects.filter(contact_id=contact_id)),
            *grouped_run_facts(ExtractionRun.objects.filter(contact_id=contact_id)),
        ],
        sign=-1,
        source=counted.source,
    )
    changes.write()


# --- Conversations and messages -------------------------------------------------------------


@transaction.atomic(savepoint=False)
def conversation_refresh(*, conversation_id: int) -> None:
    """Count the conversation with its size now, on its day, under its lead's source."""
    conversation = Conversation.objects.filter(pk=conversation_id)
    counted_as = locked_lead(conversation.values_list("contact_id", flat=True).get())
    started_at, size = (
        conversation.annotate(size=Count("messages")).values_list("started_at", "size").get()
    )
    now = (local_day(started_at), counted_as.source, size)
    counted = CountedConversation.objects.filter(pk=conversation_id)
    before = counted.values_list("day", "source", "messages").first()
    if before == now:
        return
    changes = Changes()
    changes.add([_size_fact(*now)])
    if before is None:
        CountedConversation.objects.create(
            conversation_id=conversation_id, day=now[0], source=now[1], messages=size
        )
    else:
        changes.add([_size_fact(*before)], sign=-1)
        counted.update(day=now[0], source=now[1], messages=size)
    changes.write()


@transaction.atomic(savepoint=False)
def conversation_forget(*, conversation: Conversation) -> None:
    """Take away a conversation that is being deleted, with its messages."""
    counted_as = locked_lead(conversation.contact_id)
    changes = Changes()
    changes.add(
        [
            *size_facts(CountedConversation.objects.filter(pk=conversation.pk)),
            *grouped_message_facts(Message.objects.filter(conversation_id=conversation.pk)),
        ],
        sign=-1,
        source=counted_as.source,
    )
    changes.write()


@transaction.atomic(savepoint=False)
def message_stored(*, message: Message) -> None:
    """Count a new message: its conversation grows by one; a reply adds tokens and latency."""
    counted_as = locked_lead(message.contact_id)
    changes = Changes()
    changes.add(message_facts(message, counted_as.source))
    table = _table(CountedConversation)
    size = _fetch_one(
        f"SELECT day, source, messages FROM {table} WHERE conversation_id = %s",  # noqa: S608
        message.conversation_id,
    )
    if size is None:  # its conversation was stored by a bulk write
        changes.write()
        conversation_refresh(conversation_id=message.conversation_id)
    else:
        day, source, messages = _DAY.to_python(size[0]), size[1], size[2]
        _fetch_none(
            f"UPDATE {table} SET messages = %s WHERE conversation_id = %s",  # noqa: S608
            messages + 1,
            message.conversation_id,
        )
        changes.add([_size_fact(day, source, messages)], sign=-1)
        changes.add([_size_fact(day, source, messages + 1)])
        changes.write()
    if counted_as.stage == STARTED and is_question(
        role=message.role, content_type=message.content_type
    ):
        lead_refresh(contact_id=message.contact_id)


@transaction.atomic(savepoint=False)
def message_forget(*, message: Message) -> None:
    """Take away a message that is being deleted on its own (its conversation stays)."""
    counted_as = locked_lead(message.contact_id)
    changes = Changes()
    changes.add(message_facts(message, counted_as.source), sign=-1)
    changes.write()


@transaction.atomic(savepoint=False)
def run_stored(*, run: ExtractionRun) -> None:
    changes = Changes()
    changes.add(run_facts(run, locked_lead(run.contact_id).source))
    changes.write()


@transaction.atomic(savepoint=False)
def run_forget(*, run: ExtractionRun) -> None:
    counted_as = locked_lead(run.contact_id)
    changes = Changes()
    changes.add(run_facts(run, counted_as.source), sign=-1)
    changes.write()


# --- Rebuilding from the source rows --------------------------------------------------------


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
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Contact._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


def _count_leads(contacts: QuerySet) -> int:
    rows = contacts.annotate(stage=furthest_stage()).values_list(
        "pk", "created_at", "source", "stage"
    )
    counted = (
        CountedLead(contact_id=pk, day=local_day(created_at), source=source, stage=stage)
        for pk, created_at, source, stage in rows.iterator(chunk_size=_BATCH)
    )
    return _bulk_create(CountedLead, counted)


def _count_conversations(conversations: QuerySet) -> int:
    rows = conversations.annotate(size=Count("messages")).values_list(
        "pk", "started_at", "contact__source", "size"
    )
    counted = (
        CountedConversation(
            conversation_id=pk, day=local_day(started_at), source=source, messages=size
        )
        for pk, started_at, source, size in rows.iterator(chunk_size=_BATCH)
    )
    return _bulk_create(CountedConversation, counted)


def _bulk_create(model: type[Model], objects: Iterator[Model]) -> int:
    """Insert in batches, so a million rows never sit in memory at once."""
    created = 0
    while batch := list(islice(objects, _BATCH)):
        model.objects.bulk_create(batch)
        created += len(batch)
    return created
