"""Builders for analytics data at explicit times.

The models stamp `created_at` themselves, so each row is stored with the clock set to its time:
it then goes through the same saves, and the same rollup upkeep, as it would in production.
"""

from contextlib import contextmanager
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

from conversations.models import Contact, Conversation, Message
from discovery.models import ExtractionRun
from tests.factories import ContactFactory, ConversationFactory, MessageFactory

MOSCOW = ZoneInfo("Europe/Moscow")
UTC = ZoneInfo("UTC")


def moscow(day: str, clock: str = "12:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=MOSCOW)


@contextmanager
def clock_at(moment: datetime):
    """`timezone.now()` (which stamps `auto_now_add` fields and the services' times) is `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def lead(created_at: datetime, **fields) -> Contact:
    with clock_at(created_at):
        return ContactFactory(**fields)


def conversation(contact: Contact, started_at: datetime | None = None) -> Conversation:
    with clock_at(started_at or contact.created_at):
        return ConversationFactory(contact=contact)


def message(talk: Conversation, created_at: datetime | None = None, **fields) -> Message:
    with clock_at(created_at or talk.started_at):
        return MessageFactory(conversation=talk, **fields)


def extraction_run(contact: Contact, created_at: datetime, **fields) -> ExtractionRun:
    fields.setdefault("status", ExtractionRun.Status.OK)
    with clock_at(created_at):
        return ExtractionRun.objects.create(contact=contact, **fields)
