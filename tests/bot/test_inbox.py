"""The inbox: each update stored once per bot, queued in the same transaction, then settled."""

import json

import pytest
from django.db import IntegrityError

from bot import inbox
from bot.inbox import (
    Taken,
    chat_of,
    inbox_fail,
    inbox_finish,
    inbox_store,
    inbox_take,
)
from bot.models import InboundUpdate
from bots.tokens import telegram_id_of

pytestmark = pytest.mark.django_db

BOT = 111


def message(update_id: int, chat_id: int = 5, kind: str = "message") -> dict:
    return {"update_id": update_id, kind: {"message_id": 1, "chat": {"id": chat_id}, "text": "x"}}


def test_a_bots_id_is_the_number_its_token_starts_with():
    assert telegram_id_of("123456789:AAEhBOweik6ad6PsWkyVgHmHgjgzVe2bYaP") == 123456789


@pytest.mark.parametrize(
    ("payload", "chat"),
    [
        (message(1, 7), 7),
        (message(1, -100, kind="edited_message"), -100),
        (
            {"update_id": 1, "callback_query": {"from": {"id": 3}, "message": {"chat": {"id": 9}}}},
            9,
        ),
        ({"update_id": 1, "callback_query": {"from": {"id": 3}}}, 3),
        ({"update_id": 1, "my_chat_member": {}}, None),
    ],
)
def test_the_chat_of_an_update_keeps_its_order(payload, chat):
    assert chat_of(payload) == chat


def test_updates_are_stored_once_and_only_new_ones_are_reported():
    first = inbox_store(bot_id=BOT, payloads=[message(1), message(2, chat_id=6)])
    again = inbox_store(bot_id=BOT, payloads=[message(2, chat_id=6), message(3)])
    assert [stored.chat_key for stored in first] == [f"{BOT}:5", f"{BOT}:6"]
    assert len(again) == 1
    assert sorted(InboundUpdate.objects.values_list("update_id", flat=True)) == [1, 2, 3]


def test_an_update_without_an_id_telegram_could_have_given_is_not_stored():
    garbage = [{"update_id": "x"}, {"message": {}}, {"update_id": -1}, {"update_id": 2**63}]
    assert inbox_store(bot_id=BOT, payloads=garbage) == []
    assert not InboundUpdate.objects.exists()


def test_the_same_update_id_from_two_bots_is_kept_for_each():
    inbox_store(bot_id=BOT, payloads=[message(1)])
    assert len(inbox_store(bot_id=BOT + 1, payloads=[message(1)])) == 1
    assert InboundUpdate.objects.count() == 2


def test_queueing_happens_in_the_same_transaction_as_storing():
    """If the job cannot be queued, the update is not stored either (Telegram sends it again)."""

    def queue_down(stored):
        raise RuntimeError("queue unavailable")

    with pytest.raises(RuntimeError):
        inbox_store(bot_id=BOT, payloads=[message(1)], on_stored=queue_down)
    assert not InboundUpdate.objects.exists()
    queued = []
    inbox_store(bot_id=BOT, payloads=[message(1)], on_stored=queued.extend)
    assert [stored.id for stored in queued] == list(
        InboundUpdate.objects.values_list("pk", flat=True)
    )


def test_an_update_stored_concurrently_by_another_process_is_not_stored_twice(monkeypatch):
    real = inbox._store_new
    calls = []

    def another_process_was_first(bot_id, batch, on_stored):
        calls.append(1)
        if len(calls) == 1:
            InboundUpdate.objects.create(bot_id=bot_id, update_id=1, payload=json.dumps(message(1)))
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(bot_id, batch, on_stored)

    monkeypatch.setattr(inbox, "_store_new", another_process_was_first)
    stored = inbox_store(bot_id=BOT, payloads=[message(1), message(2)])
    assert len(stored) == 1
    assert InboundUpdate.objects.count() == 2


def test_taking_counts_attempts_and_a_handled_update_is_not_taken_again():
    [stored] = inbox_store(bot_id=BOT, payloads=[message(1)])
    assert inbox_take(inbound_id=stored.id) == Taken(BOT, message(1))
    inbox_fail(inbound_id=stored.id, error="OperationalError: gone", final=False)
    assert inbox_take(inbound_id=stored.id) == Taken(BOT, message(1))
    row = InboundUpdate.objects.get()
    assert (row.attempts, row.state, row.last_error) == (2, "queued", "OperationalError: gone")
    inbox_finish(inbound_id=stored.id)
    assert inbox_take(inbound_id=stored.id) is None
    row.refresh_from_db()
    assert (row.state, row.last_error) == ("done", "")
    assert row.handled_at is not None


def test_a_final_failure_is_kept_with_its_reason_and_not_taken_again():
    [stored] = inbox_store(bot_id=BOT, payloads=[message(1)])
    inbox_fail(inbound_id=stored.id, error="E" * 900, final=True)
    row = InboundUpdate.objects.get()
    assert row.state == "failed"
    assert len(row.last_error) == 500
    assert inbox_take(inbound_id=stored.id) is None


def test_waiting_updates_come_oldest_first_for_the_bots_asked_about():
    inbox_store(bot_id=BOT, payloads=[message(1), message(2)])
    inbox_store(bot_id=BOT + 1, payloads=[message(1)])
    first, second = inbox.inbox_waiting(bot_ids=[BOT])
    assert first.id < second.id
    assert inbox.inbox_waiting(bot_ids=[BOT], after_id=first.id) == [second]
    inbox_finish(inbound_id=first.id)
    assert len(inbox.inbox_waiting()) == 2


def test_an_update_with_characters_a_database_refuses_is_stored_as_sent():
    """A NUL or a lone surrogate in a person's text: PostgreSQL's JSON columns refuse both."""
    update = message(1)
    update["message"]["text"] = "a\x00b\ud800c"
    [stored] = inbox_store(bot_id=BOT, payloads=[update])
    assert inbox_take(inbound_id=stored.id).payload == update
