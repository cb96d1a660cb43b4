"""The retention period: old texts removed and handled Telegram updates deleted, by the bot's
processes once an hour and by `manage.py apply_retention`."""

import asyncio
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from bot import serving
from bot.inbox import inbox_forget_chat, inbox_prune
from bot.models import InboundUpdate
from bot.retention import apply_retention
from conversations.models import Message
from tests.bot.test_inbox_worker import until
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def update(number, *, days_ago=0, state="done", chat=1, bot=9):
    row = InboundUpdate.objects.create(
        bot_id=bot,
        update_id=number,
        chat_id=chat,
        payload=json.dumps({"update_id": number, "message": {"text": "hi"}}),
        state=state,
    )
    InboundUpdate.objects.filter(pk=row.pk).update(received_at=NOW - timedelta(days=days_ago))
    return row


def message(text, days_ago):
    row = MessageFactory(text=text)
    Message.objects.filter(pk=row.pk).update(created_at=NOW - timedelta(days=days_ago))
    return row


def test_handled_updates_are_kept_two_days_and_waiting_ones_always(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 0
    update(1, days_ago=3)
    update(2, days_ago=3, state="failed")
    update(3, days_ago=3, state="queued")
    update(4, days_ago=1)
    old = message("kept: no retention period", days_ago=400)

    retained = apply_retention(NOW)

    assert retained.updates_deleted == 2
    assert sorted(InboundUpdate.objects.values_list("update_id", flat=True)) == [3, 4]
    assert Message.objects.get(pk=old.pk).text == "kept: no retention period"


def test_a_retention_period_removes_older_texts_and_bounds_the_updates_too(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 1
    old, recent = message("old", days_ago=2), message("recent", days_ago=0)
    update(1, days_ago=1.5)

    retained = apply_retention(NOW)

    assert (retained.messages_redacted, retained.updates_deleted) == (1, 1)
    assert Message.objects.get(pk=old.pk).redacted
    assert Message.objects.get(pk=recent.pk).text == "recent"


def test_many_handled_updates_are_deleted_in_batches():
    for number in range(5):
        update(number, days_ago=3)
    assert inbox_prune(before=NOW - timedelta(days=2), batch_size=2) == 5
    assert not InboundUpdate.objects.exists()


def test_the_command_says_what_it_did(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    settings.LANGUAGE_CODE = "en"
    message("old", days_ago=31)
    update(1, days_ago=3)
    output = StringIO()
    call_command("apply_retention", stdout=output)
    assert output.getvalue().splitlines() == [
        "Text removed from 1 message older than 30 days.",
        "Handled Telegram updates deleted: 1.",
    ]


def test_the_command_says_when_texts_are_kept(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 0
    settings.LANGUAGE_CODE = "en"
    output = StringIO()
    call_command("apply_retention", stdout=output)
    assert "PERSONAL_DATA_RETENTION_DAYS is 0: message texts are kept." in output.getvalue()


def test_a_forgotten_chat_keeps_only_its_ids_and_the_messages_written_after():
    done, current, later = update(1), update(2, state="queued"), update(3, state="queued")
    other_chat = update(4, chat=2)

    inbox_forget_chat(bot_id=9, chat_id=1)

    payloads = dict(InboundUpdate.objects.values_list("pk", "payload"))
    assert [payloads[row.pk] for row in (done, current)] == ["{}", "{}"]
    assert json.loads(payloads[later.pk])["update_id"] == 3
    assert json.loads(payloads[other_chat.pk])["update_id"] == 4


async def test_the_bot_processes_apply_it_and_go_on_when_it_fails(monkeypatch, caplog):
    calls = []

    def failing_then_fine():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database is away")

    monkeypatch.setattr(serving, "apply_retention", failing_then_fine)
    monkeypatch.setattr(serving, "RETENTION_SECONDS", 0.01)
    monkeypatch.setattr(serving, "RETENTION_FIRST_SECONDS", 0.01)
    stopping = asyncio.Event()
    task = asyncio.create_task(serving._keep_within_retention(stopping))
    await until(lambda: len(calls) >= 2)
    stopping.set()
    await asyncio.wait_for(task, 10)
    assert "Could not apply the retention period: the database is away" in caplog.text
