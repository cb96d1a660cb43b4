"""End-to-end: updates are stored before Telegram is told, and handling resumes, never repeats."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError

from bot.channel import TelegramAnswerStream
from conversations.models import Message
from tests.bot.test_e2e_basics import wait_messages
from tests.running_bot import inbox_settled

CHAT = 8101
CHATS = (8101, 8102, 8103)


def break_the_first_delivery(monkeypatch) -> list[str]:
    """The database goes away just as the first answer is to be delivered (its handling breaks
    off and is tried again); the list gets the text that was not delivered then."""
    real_finish = TelegramAnswerStream.finish
    failures = []

    async def finish_once_broken(self, text, buttons=()):
        if not failures:
            failures.append(text)
            raise OperationalError("server closed the connection unexpectedly")
        return await real_finish(self, text, buttons)

    monkeypatch.setattr(TelegramAnswerStream, "finish", finish_once_broken)
    return failures


def stored(role: str) -> list[str]:
    return list(Message.objects.filter(role=role).order_by("pk").values_list("text", flat=True))


async def test_while_the_database_is_away_telegram_keeps_the_updates_and_none_is_lost(
    running_bot, fake_telegram, fake_openai, monkeypatch
):
    from bot import serving

    real_store = serving.store_updates
    database_away = threading.Event()
    database_away.set()
    attempts = []

    def store(**kwargs):
        attempts.append(1)
        if database_away.is_set():
            raise OperationalError("connection refused")
        return real_store(**kwargs)

    monkeypatch.setattr(serving, "store_updates", store)
    for chat in CHATS:
        fake_telegram.push_message(chat, f"вопрос из {chat}")
    await fake_telegram.wait_for_async(lambda: len(attempts) >= 2, 10, "store attempts")
    assert fake_telegram.pending_update_count() == len(CHATS)  # nothing confirmed
    assert await sync_to_async(stored)("user") == []
    database_away.clear()
    for chat in CHATS:
        await wait_messages(fake_telegram, chat, 1, timeout=15)
    await fake_telegram.wait_for_async(lambda: fake_telegram.pending_update_count() == 0, 10)
    assert sorted(await sync_to_async(stored)("user")) == [f"вопрос из {c}" for c in CHATS]
    assert len(fake_openai.completion_requests()) == len(CHATS)
    assert {row.state for row in await inbox_settled()} == {"done"}


async def test_an_answer_stored_before_a_failure_is_delivered_not_generated_again(
    running_bot, fake_telegram, fake_openai, bot_settings, monkeypatch
):
    """The worker broke after the answer and a note were stored and the note was sent: the
    retry delivers the stored answer, does not repeat the note and does not ask the model."""
    bot_settings.ASSISTANT_MAX_INPUT_CHARS = 10
    failures = break_the_first_delivery(monkeypatch)
    fake_telegram.push_message(CHAT, "очень длинный вопрос", language_code="en")
    note, answer = await wait_messages(fake_telegram, CHAT, 2, timeout=15)
    [inbound] = await inbox_settled()
    assert "first 10 characters" in note.visible_text
    assert answer.visible_text == failures[0]
    assert len(fake_telegram.sent_messages(CHAT)) == 2
    assert len(fake_openai.completion_requests()) == 1
    assert (inbound.state, inbound.attempts) == ("done", 2)
    replies = await sync_to_async(
        lambda: list(Message.objects.filter(role="assistant").values_list("delivery", flat=True))
    )()
    assert replies == ["delivered"]


@pytest.mark.parametrize("broken_call", ["inbox_take", "inbox_finish"])
async def test_a_database_blip_around_handling_neither_loses_nor_repeats_the_answer(
    running_bot, fake_telegram, fake_openai, monkeypatch, broken_call
):
    from bot import processing

    real = getattr(processing, broken_call)
    failures = []

    def once_broken(**kwargs):
        if not failures:
            failures.append(1)
            raise OperationalError("the database system is starting up")
        return real(**kwargs)

    monkeypatch.setattr(processing, broken_call, once_broken)
    fake_telegram.push_message(CHAT, "вопрос")
    await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    if broken_call == "inbox_finish":  # handled, not marked: the retry finds all said before
        await fake_telegram.wait_for_async(lambda: len(failures) == 1, 10)
    await inbox_settled()
    assert len(fake_telegram.sent_messages(CHAT)) == 1
    assert len(fake_openai.completion_requests()) == 1
    assert await sync_to_async(stored)("user") == ["вопрос"]


async def test_the_sign_of_life_does_not_wait_for_the_database(
    running_bot, fake_telegram, monkeypatch
):
    """Storing the message waits until the draft has reached Telegram: were the draft to
    wait for the database, neither would come."""
    from assistant.usecases import exchange

    real_receive = exchange.receive

    def receive_after_the_draft(incoming):
        fake_telegram.wait_for(
            lambda: fake_telegram.calls_of("sendMessageDraft"), 10, "a draft before storing"
        )
        return real_receive(incoming)

    monkeypatch.setattr(exchange, "receive", receive_after_the_draft)
    fake_telegram.push_message(CHAT, "вопрос")
    await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    assert [row.state for row in await inbox_settled()] == ["done"]


async def test_a_sign_of_life_no_answer_took_over_ends_with_the_note(
    running_bot, fake_telegram, fake_openai
):
    """A message that gets only a note (here: blank text) leaves no draft being renewed."""
    fake_telegram.push_message(CHAT, "   ", language_code="en")
    [note] = await wait_messages(fake_telegram, CHAT, 1, timeout=15)
    await inbox_settled()
    assert "in words" in note.visible_text
    assert not fake_openai.completion_requests()
    tasks = [t for t in asyncio.all_tasks() if "_keep_thinking" in repr(t.get_coro())]
    assert all(task.done() for task in tasks)
