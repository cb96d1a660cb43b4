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
from analytics.rollup.counters import Changes, Segment, execute, fetch_one, table, write_facts
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
    """The segment (bot and source) and furthest stage a lead is counted under."""

    segment: Segment
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
    """Lock the lead's row; under which segment and stage it is counted."""
    _lock_lead(contact_id)
    counted = fetch_one(
        f"SELECT bot_id, source, stage FROM {table(CountedLead)} WHERE contact_id = %s",  # noqa: S608
        contact_id,
    )
    if counted is None:  # stored by a bulk write that sent no signal
        return lead_refresh(contact_id=contact_id)
    bot_id, source, stage = counted
    return CountedAs(Segment(bot_id, source), stage)


@transaction.atomic(savepoint=False)
def lead_refresh(*, contact_id: int) -> CountedAs:
    """Count the lead in the cell it belongs in now: its day, bot, current source and stage.

    A new source (or bot) takes every number of the lead along (conversations, replies,
    extraction).
    """
    _lock_lead(contact_id)
    current = Contact.objects.filter(pk=contact_id).annotate(stage=furthest_stage())
    created_at, bot_id, source, stage = current.values_list(
        "created_at", "bot_id", "source", "stage"
    ).get()
    day, segment = local_day(created_at), Segment.of(bot_id, source)
    counted = CountedLead.objects.filter(pk=contact_id)
    before = counted.values_list("day", "bot_id", "source", "stage").first()
    if before == (day, *segment, stage):
        return CountedAs(segment, stage)
    changes = Changes()
    changes.add([(DailyLeads, day, segment, (stage,), (1,))])
    cell = {"day": day, "bot_id": segment.bot_id, "source": segment.source, "stage": stage}
    if before is None:
        CountedLead.objects.create(contact_id=contact_id, **cell)
    else:
        old_day, *old_segment, old_stage = before
        old_segment = Segment(*old_segment)
        changes.add([(DailyLeads, old_day, old_segment, (old_stage,), (1,))], sign=-1)
        counted.update(**cell)
        if old_segment != segment:
            _move_numbers(changes, contact_id, old_segment, segment)
    changes.write()
    return CountedAs(segment, stage)


def _move_numbers(changes: Changes, contact_id: int, old: Segment, new: Segment) -> None:
    """Every number of the lead but its funnel cell, from segment `old` to `new`."""
    conversations = CountedConversation.objects.filter(conversation__contact_id=contact_id)
    facts = [
        *grouped_message_facts(Message.objects.filter(contact_id=contact_id)),
        *grouped_run_facts(ExtractionRun.objects.filter(contact_id=contact_id)),
        *size_facts(conversations),
    ]
    changes.add(facts, sign=-1, segment=old)
    changes.add(facts, segment=new)
    conversations.update(bot_id=new.bot_id, source=new.source)


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
        segment=counted.segment,
    )


# --- Conversations and messages -------------------------------------------------------------


@transaction.atomic(savepoint=False)
def conversation_refresh(*, conversation_id: int) -> None:
    """Count the conversation with its size now, on its day, under its lead's segment."""
    conversation = Conversation.objects.filter(pk=conversation_id)
    segment = locked_lead(conversation.values_list("contact_id", flat=True).get()).segment
    started_at, size = (
        conversation.annotate(size=Count("messages")).values_list("started_at", "size").get()
    )
    day = local_day(started_at)
    counted = CountedConversation.objects.filter(pk=conversation_id)
    before = counted.values_list("day", "bot_id", "source", "messages").first()
    if before == (day, *segment, size):
        return
    changes = Changes()
    changes.add([size_fact(day, segment, size)])
    now = {"day": day, "bot_id": segment.bot_id, "source": segment.source, "messages": size}
    if before is None:
        CountedConversation.objects.create(conversation_id=conversation_id, **now)
    else:
        old_day, bot_id, source, messages = before
        changes.add([size_fact(old_day, Segment(bot_id, source), messages)], sign=-1)
        counted.update(**now)
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
        segment=counted_as.segment,
    )


@transaction.atomic(savepoint=False)
def message_stored(*, message: Message) -> None:
    """Count a new message: its conversation grows by one; a reply adds tokens and latency."""
    counted_as = locked_lead(message.contact_id)
    changes = Changes()
    changes.add(message_facts(message, counted_as.segment))
    counted = table(CountedConversation)
    size = fetch_one(
        f"SELECT day, bot_id, source, messages FROM {counted} WHERE conversation_id = %s",  # noqa: S608
        message.conversation_id,
    )
    if size is None:  # its conversation was stored by a bulk write
        changes.write()
        conversation_refresh(conversation_id=message.conversation_id)
    else:
        day, segment, messages = _DAY.to_python(size[0]), Segment(size[1], size[2]), size[3]
        execute(
            f"UPDATE {counted} SET messages = %s WHERE conversation_id = %s",  # noqa: S608
            messages + 1,
            message.conversation_id,
        )
        changes.add([size_fact(day, segment, messages)], sign=-1)
        changes.add([size_fact(day, segment, messages + 1)])
        changes.write()
    if counted_as.stage == STARTED and is_question(
        role=message.role, content_type=message.content_type
    ):
        lead_refresh(contact_id=message.contact_id)


@transaction.atomic(savepoint=False)
def message_forget(*, message: Message) -> None:
    """Take away a message that is being deleted on its own (its conversation stays)."""
    write_facts(message_facts(message, locked_lead(message.contact_id).segment), sign=-1)


@transaction.atomic(savepoint=False)
def run_stored(*, run: ExtractionRun) -> None:
    write_facts(run_facts(run, locked_lead(run.contact_id).segment))


@transaction.atomic(savepoint=False)
def run_forget(*, run: ExtractionRun) -> None:
    write_facts(run_facts(run, locked_lead(run.contact_id).segment), sign=-1)
