"""Following each change of a lead, conversation, message or run, in its own transaction.

Each change first locks its lead (`locked_lead`), reads what is counted for it, and moves the
counts from what was counted to what is true now (see the package's docstring for why that
keeps concurrent writers right).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, DateField

from analytics.models import CountedConversation, CountedLead, DailyLeads
from analytics.rollup.counters import Changes, execute, fetch_one, table, write_facts
from analytics.rollup.facts import (
    cell_facts,
    grouped_message_facts,
    grouped_run_facts,
    local_day,
    message_facts,
    run_facts,
    size_fact,
    size_facts,
)
from analytics.stages import STARTED, furthest_stage, is_question
from conversations.models import Contact, Conversation, Message
from discovery.models import ExtractionRun

_DAY = DateField()


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
        lock = f"SELECT 1 FROM {table(Contact)} WHERE id = %s FOR NO KEY UPDATE"  # noqa: S608
        fetch_one(lock, contact_id)


def locked_lead(contact_id: int) -> CountedAs:
    """Lock the lead's row; under which source and stage it is counted."""
    _lock_lead(contact_id)
    counted = fetch_one(
        f"SELECT source, stage FROM {table(CountedLead)} WHERE contact_id = %s",  # noqa: S608
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
    write_facts(
        [
            *cell_facts(CountedLead.objects.filter(pk=contact_id)),
            *size_facts(CountedConversation.objects.filter(conversation__contact_id=contact_id)),
            *grouped_message_facts(Message.objects.filter(contact_id=contact_id)),
            *grouped_run_facts(ExtractionRun.objects.filter(contact_id=contact_id)),
        ],
        sign=-1,
        source=counted.source,
    )


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
    changes.add([size_fact(*now)])
    if before is None:
        CountedConversation.objects.create(
            conversation_id=conversation_id, day=now[0], source=now[1], messages=size
        )
    else:
        changes.add([size_fact(*before)], sign=-1)
        counted.update(day=now[0], source=now[1], messages=size)
    changes.write()


@transaction.atomic(savepoint=False)
def conversation_forget(*, conversation: Conversation) -> None:
    """Take away a conversation that is being deleted, with its messages."""
    counted_as = locked_lead(conversation.contact_id)
    write_facts(
        [
            *size_facts(CountedConversation.objects.filter(pk=conversation.pk)),
            *grouped_message_facts(Message.objects.filter(conversation_id=conversation.pk)),
        ],
        sign=-1,
        source=counted_as.source,
    )


@transaction.atomic(savepoint=False)
def message_stored(*, message: Message) -> None:
    """Count a new message: its conversation grows by one; a reply adds tokens and latency."""
    counted_as = locked_lead(message.contact_id)
    changes = Changes()
    changes.add(message_facts(message, counted_as.source))
    counted = table(CountedConversation)
    size = fetch_one(
        f"SELECT day, source, messages FROM {counted} WHERE conversation_id = %s",  # noqa: S608
        message.conversation_id,
    )
    if size is None:  # its conversation was stored by a bulk write
        changes.write()
        conversation_refresh(conversation_id=message.conversation_id)
    else:
        day, source, messages = _DAY.to_python(size[0]), size[1], size[2]
        execute(
            f"UPDATE {counted} SET messages = %s WHERE conversation_id = %s",  # noqa: S608
            messages + 1,
            message.conversation_id,
        )
        changes.add([size_fact(day, source, messages)], sign=-1)
        changes.add([size_fact(day, source, messages + 1)])
        changes.write()
    if counted_as.stage == STARTED and is_question(
        role=message.role, content_type=message.content_type
    ):
        lead_refresh(contact_id=message.contact_id)


@transaction.atomic(savepoint=False)
def message_forget(*, message: Message) -> None:
    """Take away a message that is being deleted on its own (its conversation stays)."""
    write_facts(message_facts(message, locked_lead(message.contact_id).source), sign=-1)


@transaction.atomic(savepoint=False)
def run_stored(*, run: ExtractionRun) -> None:
    write_facts(run_facts(run, locked_lead(run.contact_id).source))


@transaction.atomic(savepoint=False)
def run_forget(*, run: ExtractionRun) -> None:
    write_facts(run_facts(run, locked_lead(run.contact_id).source), sign=-1)
