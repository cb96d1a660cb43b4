"""End-to-end: every answer is delivered despite Telegram's hiccups, or recorded as not."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Message
from tests.bot.test_e2e_basics import wait_messages
from tests.fakes.openai_server import Reply

CHAT = 8101
GROUP = -8102
APOLOGY = "Sorry, something went wrong"


def first_of(role):
    return Message.objects.filter(role=role).first()


async def reply_when_settled(role=Message.Role.ASSISTANT):
    """The first stored message of the bot once its delivery is no longer pending."""
    for _ in range(1000):
        reply = await sync_to_async(first_of)(role)
        if reply is not None and reply.delivery != Message.Delivery.PENDING:
            return reply
        await asyncio.sleep(0.01)
    raise AssertionError("the reply's delivery never settled")


@pytest.mark.parametrize("status", [500, 502])
async def test_one_server_error_on_send_is_retried_and_the_answer_arrives(
    running_bot, fake_telegram, fake_openai, status
):
    fake_openai.queue(Reply(text="Ответ дошёл."))
    fake_telegram.fail_next("sendMessage", error_code=status, chat_id=CHAT)
    fake_telegram.push_message(CHAT, "Вопрос", language_code="en")
    final = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert final.visible_text == "Ответ дошёл."
    reply = await reply_when_settled()
    assert reply.delivery == Message.Delivery.DELIVERED
    assert reply.delivery_parts == [{"state": "delivered", "message_id": final.message_id}]
    await asyncio.sleep(0.1)
    assert [m.visible_text for m in fake_telegram.sent_messages(CHAT)] == ["Ответ дошёл."]


async def test_five_flood_waits_in_a_row_are_waited_out(running_bot, fake_telegram, fake_openai):
    fake_openai.queue(Reply(text="Терпение."))
    fake_telegram.fail_next("sendMessage", error_code=429, retry_after=1, chat_id=CHAT, times=5)
    fake_telegram.push_message(CHAT, "Вопрос")
    final = (await wait_messages(fake_telegram, CHAT, 1, timeout=15))[0]
    assert final.visible_text == "Терпение."
    assert len(fake_telegram.calls_of("sendMessage")) == 6
    assert (await reply_when_settled()).delivery == Message.Delivery.DELIVERED


async def test_an_answer_telegram_never_takes_is_recorded_undelivered_without_an_apology(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    bot_settings.TELEGRAM_DELIVERY_DEADLINE = 1
    fake_openai.queue(Reply(text="Не дойдёт."))
    fake_telegram.fail_next("sendMessage", error_code=500, chat_id=CHAT, times=1000)
    fake_telegram.push_message(CHAT, "Вопрос", language_code="en")
    reply = await reply_when_settled()
    assert reply.delivery == Message.Delivery.UNDELIVERED
    assert reply.delivery_parts == [{"state": "undelivered", "message_id": None}]
    assert "deadline" in reply.delivery_error
    assert reply.status == Message.Status.COMPLETE
    assert fake_telegram.sent_messages(CHAT) == []


@pytest.mark.parametrize("read_timeout", [0.3])
async def test_a_send_answered_too_late_is_not_repeated_nor_apologised_for(
    running_bot, fake_telegram, fake_openai
):
    fake_openai.queue(Reply(text="Медленный Телеграм."))
    fake_telegram.answer_late("sendMessage", seconds=1.0, chat_id=CHAT)
    fake_telegram.push_message(CHAT, "Вопрос", language_code="en")
    reply = await reply_when_settled()
    assert reply.delivery == Message.Delivery.UNCERTAIN
    fake_telegram.push_message(CHAT, "/help", language_code="en")
    await wait_messages(fake_telegram, CHAT, 2)
    texts = [m.visible_text for m in fake_telegram.sent_messages(CHAT)]
    assert texts[0] == "Медленный Телеграм."
    assert texts.count("Медленный Телеграм.") == 1
    assert not any(APOLOGY in text for text in texts)


async def group_answer_with_placeholder(fake_telegram, fake_openai, final_text):
    """A slow group answer: the placeholder shows the start before the final text comes."""
    fake_openai.queue(Reply(text=final_text, chunk_size=6, delay_between_chunks=0.1))
    fake_telegram.push_message(GROUP, "@fake_test_bot вопрос", chat_type="group")
    await fake_telegram.wait_for_async(lambda: fake_telegram.sent_messages(GROUP), 5, "placeholder")


async def test_a_failed_final_edit_in_a_group_is_retried(running_bot, fake_telegram, fake_openai):
    fake_telegram.fail_next("editMessageText", error_code=500, chat_id=GROUP)
    await group_answer_with_placeholder(fake_telegram, fake_openai, "Полный ответ для группы.")
    reply = await reply_when_settled()
    shown = fake_telegram.sent_messages(GROUP)
    assert [m.visible_text for m in shown] == ["Полный ответ для группы."]
    assert reply.delivery == Message.Delivery.DELIVERED
    assert reply.delivery_parts[0]["message_id"] == shown[0].message_id


async def test_a_placeholder_that_cannot_be_edited_is_replaced_by_a_new_message(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.fail_next(
        "editMessageText",
        error_code=400,
        description="Bad Request: message to edit not found",
        chat_id=GROUP,
        times=1000,
    )
    await group_answer_with_placeholder(fake_telegram, fake_openai, "Полный ответ для группы.")
    reply = await reply_when_settled()
    visible = [m.visible_text for m in fake_telegram.sent_messages(GROUP)]
    assert visible == ["Полный ответ для группы."]
    assert not any(APOLOGY in text for text in visible)
    assert reply.delivery == Message.Delivery.DELIVERED


async def test_a_fixed_note_records_its_delivery_too(running_bot, fake_telegram):
    fake_telegram.fail_next("sendMessage", error_code=502, chat_id=CHAT)
    fake_telegram.push_message(CHAT, "/help", language_code="en")
    help_text = (await wait_messages(fake_telegram, CHAT, 1))[0]
    note = await reply_when_settled(Message.Role.SYSTEM)
    assert note.delivery == Message.Delivery.DELIVERED
    assert note.delivery_parts == [{"state": "delivered", "message_id": help_text.message_id}]


async def test_an_answer_to_someone_who_blocked_the_bot_is_recorded_undelivered(
    running_bot, fake_telegram, fake_openai
):
    fake_openai.queue(Reply(text="Вы нас заблокировали."))
    fake_telegram.fail_next("sendMessage", error_code=403, chat_id=CHAT)
    fake_telegram.push_message(CHAT, "Вопрос")
    reply = await reply_when_settled()
    assert reply.delivery == Message.Delivery.UNDELIVERED
    assert "Forbidden" in reply.delivery_error


async def test_a_bot_blocked_before_the_answer_records_the_answer_undelivered(
    running_bot, fake_telegram, fake_openai, bot_settings
):
    bot_settings.ASSISTANT_MAX_INPUT_CHARS = 100
    fake_openai.queue(Reply(text="Ответ после заметки."))
    fake_telegram.fail_next("sendMessage", error_code=403, chat_id=CHAT)
    fake_telegram.push_message(CHAT, "а" * 200, language_code="en")
    reply = await reply_when_settled()
    assert reply.delivery == Message.Delivery.UNDELIVERED
    assert fake_telegram.sent_messages(CHAT) == []
