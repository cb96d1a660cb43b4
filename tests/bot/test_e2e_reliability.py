"""End-to-end: redelivery, ordering, Telegram flood control, blocked bots, floods, long input."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, connections

from conversations.models import Contact, Message
from core.db import db_call
from tests.bot.test_e2e_basics import wait_messages
from tests.fakes.openai_server import Reply
from tests.running_bot import in_thread, inbox_settled, renew_runtime

CHAT = 8001
OTHER_CHAT = 8002


def user_messages():
    return list(Message.objects.filter(role="user").values_list("text", flat=True))


async def test_an_update_delivered_twice_is_stored_and_answered_once(
    running_bot, fake_telegram, fake_openai
):
    update_id = fake_telegram.push_message(CHAT, "Вопрос")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_same_update_again(update_id)
    fake_telegram.push_message(CHAT, "/help")
    await wait_messages(fake_telegram, CHAT, 2)
    assert len(fake_telegram.sent_messages(CHAT)) == 2
    assert await sync_to_async(user_messages)() == ["Вопрос", "/help"]
    assert len(fake_openai.completion_requests()) == 1


async def test_the_users_message_is_saved_before_the_model_is_called(
    running_bot, fake_telegram, fake_openai
):
    fake_openai.queue(Reply(text="Ответ", delay_between_chunks=0.3))
    fake_telegram.push_message(CHAT, "Сохрани меня")
    await asyncio.to_thread(fake_openai.wait_for_requests, 1)
    assert await sync_to_async(user_messages)() == ["Сохрани меня"]
    await wait_messages(fake_telegram, CHAT, 1)


async def test_one_chats_messages_are_answered_in_order(running_bot, fake_telegram, fake_openai):
    fake_openai.default = lambda body: Reply(
        text="re: " + body["messages"][-1]["content"], delay_between_chunks=0.02
    )
    for number in range(3):
        fake_telegram.push_message(CHAT, f"вопрос {number}")
    replies = await wait_messages(fake_telegram, CHAT, 3)
    assert [reply.visible_text for reply in replies] == [f"re: вопрос {n}" for n in range(3)]
    second_request = fake_openai.completion_requests()[1].body["messages"]
    assert "re: вопрос 0" in [message["content"] for message in second_request]


async def test_a_slow_chat_does_not_hold_up_other_chats(running_bot, fake_telegram, fake_openai):
    slow_answer_may_end = threading.Event()
    fake_openai.default = lambda body: (
        Reply(text="медленно", chunk_size=1, held_until=slow_answer_may_end)
        if "медленный" in body["messages"][-1]["content"]
        else Reply(text="быстро")
    )
    fake_telegram.push_message(CHAT, "медленный вопрос")
    await asyncio.to_thread(fake_openai.wait_for_requests, 1)
    fake_telegram.push_message(OTHER_CHAT, "быстрый вопрос")
    fast = (await wait_messages(fake_telegram, OTHER_CHAT, 1))[0]
    assert not fake_telegram.sent_messages(CHAT), "the fast chat should not wait for the slow one"
    slow_answer_may_end.set()
    slow = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert fast.at < slow.at


async def test_telegram_flood_control_pauses_the_chat_then_delivers(
    running_bot, fake_telegram, fake_openai
):
    fake_openai.queue(Reply(text="Доставлено."))
    fake_telegram.fail_next("sendMessage", error_code=429, retry_after=1, chat_id=CHAT)
    fake_telegram.push_message(CHAT, "Вопрос")
    final = (await wait_messages(fake_telegram, CHAT, 1, timeout=5))[0]
    assert final.visible_text == "Доставлено."
    attempts = fake_telegram.calls_of("sendMessage")
    assert len(attempts) == 2
    assert attempts[1].at - attempts[0].at >= 1.0
    chat_calls = [call for call in fake_telegram.calls if call.params.get("chat_id") == CHAT]
    between = [c for c in chat_calls if attempts[0].at < c.at < attempts[1].at]
    assert between == []


async def wait_until_blocked(chat_id, blocked, timeout=5.0):
    blocked_now = sync_to_async(
        lambda: Contact.objects.filter(external_id=str(chat_id), is_blocked=blocked).exists()
    )
    for _ in range(int(timeout / 0.01)):
        if await blocked_now():
            return True
        await asyncio.sleep(0.01)
    raise AssertionError(f"contact {chat_id} is_blocked never became {blocked}")


async def test_a_user_who_blocked_the_bot_is_marked_blocked_and_unmarked_on_return(
    running_bot, fake_telegram
):
    fake_telegram.fail_next("sendMessage", error_code=403, chat_id=CHAT)
    fake_telegram.push_message(CHAT, "/start")
    assert await wait_until_blocked(CHAT, True)
    fake_telegram.push_message(CHAT, "/help")
    await wait_messages(fake_telegram, CHAT, 1)
    assert await wait_until_blocked(CHAT, False)


async def test_a_flooding_user_gets_limited_calls_and_one_slow_down_note(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    bot_settings.ASSISTANT_RATE_LIMIT_CALLS = 2
    renew_runtime(running_bot)
    for number in range(5):
        fake_telegram.push_message(CHAT, f"спам {number}", language_code="en")
    fake_telegram.push_message(OTHER_CHAT, "обычный вопрос")
    await wait_messages(fake_telegram, OTHER_CHAT, 1)
    await wait_messages(fake_telegram, CHAT, 3)
    await inbox_settled()  # every update handled: nothing more is coming
    texts = [message.visible_text for message in fake_telegram.sent_messages(CHAT)]
    assert len(texts) == 3
    assert sum("faster than I can answer" in text for text in texts) == 1
    chat_requests = [
        r for r in fake_openai.completion_requests() if "спам" in str(r.body["messages"])
    ]
    assert len(chat_requests) == 2
    assert len(await sync_to_async(user_messages)()) == 6


async def test_very_long_input_is_cut_with_a_note(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    bot_settings.ASSISTANT_MAX_INPUT_CHARS = 100
    fake_telegram.push_message(CHAT, "а" * 4000, language_code="en")
    note, _answer = await wait_messages(fake_telegram, CHAT, 2)
    assert "first 100 characters" in note.visible_text
    sent = fake_openai.completion_requests()[0].body["messages"][-1]["content"]
    assert sent == "а" * 100
    assert await sync_to_async(user_messages)() == ["а" * 4000]


async def connections_of_the_database_threads() -> list[int]:
    """The server's process ids of the bot's database connections, one per thread: each
    thread holds at a barrier until all have said theirs."""
    meeting = threading.Barrier(settings.DATABASE_THREADS, timeout=30)

    def backend_pid():
        connections["default"].ensure_connection()
        meeting.wait()
        return connections["default"].connection.info.backend_pid

    return list(
        await asyncio.gather(*(db_call(backend_pid)() for _ in range(settings.DATABASE_THREADS)))
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="an in-memory SQLite test database cannot lose its connection",
)
async def test_a_dropped_database_connection_is_recovered_on_the_next_update(
    running_bot, fake_telegram
):
    fake_telegram.push_message(CHAT, "/help")
    await wait_messages(fake_telegram, CHAT, 1)

    bots = await connections_of_the_database_threads()

    def terminate_the_bots_connections():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s) AS pid", [bots])
            return cursor.rowcount

    assert await in_thread(terminate_the_bots_connections)
    fake_telegram.push_message(CHAT, "/help")
    await wait_messages(fake_telegram, CHAT, 2)
