"""Builders for analytics data with explicit times (the models stamp `created_at` themselves)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from conversations.models import Contact, Conversation, Message
from discovery.models import ExtractionRun
from tests.factories import ContactFactory, ConversationFactory, MessageFactory

MOSCOW = ZoneInfo("Europe/Moscow")
UTC = ZoneInfo("UTC")


def moscow(day: str, clock: str = "12:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=MOSCOW)


def lead(created_at: datetime, **fields) -> Contact:
    contact = ContactFactory(**fields)
    Contact.objects.filter(pk=contact.pk).update(created_at=created_at)
    contact.created_at = created_at
    return contact


def conversation(contact: Contact, started_at: datetime | None = None) -> Conversation:
    started_at = started_at or contact.created_at
    talk = ConversationFactory(contact=contact)
    Conversation.objects.filter(pk=talk.pk).update(started_at=started_at)
    talk.started_at = started_at
    return talk


def message(talk: Conversation, created_at: datetime | None = None, **fields) -> Message:
    created_at = created_at or talk.started_at
    item = MessageFactory(conversation=talk, **fields)
    Message.objects.filter(pk=item.pk).update(created_at=created_at)
    return item


def extraction_run(contact: Contact, created_at: datetime, **fields) -> ExtractionRun:
    fields.setdefault("status", ExtractionRun.Status.OK)
    run = ExtractionRun.objects.create(contact=contact, **fields)
    ExtractionRun.objects.filter(pk=run.pk).update(created_at=created_at)
    return run
