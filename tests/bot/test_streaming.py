"""The streamer shows growing answers within Telegram's limits and delivers the final one."""

import asyncio

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden

from bot.delivery import Courier
from bot.streaming import ReplyStreamer
from conversations.models import Message

PRIVATE = 111
GROUP = -222


def new_streamer(bot, chat_id, *, private):
    return ReplyStreamer(Courier(bot, chat_id, deadline_seconds=5), private=private)


def streamer_for(bot, chat_id, *, private, interval=0.2):
    streamer = new_streamer(bot, chat_id, private=private)
    streamer.first_delay = 0
    streamer.interval = interval
    return streamer


async def settle(seconds=0.05):
    await asyncio.sleep(seconds)


async def test_private_previews_are_throttled_to_one_per_interval(ext_bot, fake_telegram):
    streamer = streamer_for(ext_bot, PRIVATE, private=True, interval=3600)
    await streamer.update("Пер")
    await streamer.update("Перв")
    await fake_telegram.wait_for_async(lambda: fake_telegram.drafts(PRIVATE))
    await streamer.update("Первый ответ")
    await streamer.update("Первый ответ!")
    await settle()
    assert [draft.text for draft in fake_telegram.drafts(PRIVATE)] == ["Перв"]
    await streamer.finish("Первый ответ!")
    assert [m.text for m in fake_telegram.sent_messages(PRIVATE)] == ["Первый ответ!"]


async def test_after_the_interval_the_latest_text_is_previewed(ext_bot, fake_telegram):
    streamer = streamer_for(ext_bot, PRIVATE, private=True, interval=0.05)
    await streamer.update("Перв")
    await fake_telegram.wait_for_async(lambda: fake_telegram.drafts(PRIVATE))
    await streamer.update("Первый ответ")
    await streamer.update("Первый ответ!")
    await fake_telegram.wait_for_async(lambda: len(fake_telegram.drafts(PRIVATE)) == 2)
    await streamer.finish("Первый ответ!")
    assert [draft.text for draft in fake_telegram.drafts(PRIVATE)] == ["Перв", "Первый ответ!"]


async def test_the_first_preview_waits_briefly_for_more_text(ext_bot, fake_telegram):
    streamer = new_streamer(ext_bot, PRIVATE, private=True)
    await streamer.update("Да")
    await streamer.finish("Да, конечно.")
    assert fake_telegram.drafts(PRIVATE) == []
    assert [m.text for m in fake_telegram.sent_messages(PRIVATE)] == ["Да, конечно."]


async def test_an_identical_preview_is_never_sent_twice(ext_bot, fake_telegram):
    streamer = streamer_for(ext_bot, GROUP, private=False, interval=0)
    await streamer.update("Текст")
    await fake_telegram.wait_for_async(lambda: fake_telegram.sent_messages(GROUP))
    await streamer.update("Текст ")
    await settle()
    await streamer.update("Текст дальше")
    await fake_telegram.wait_for_async(lambda: fake_telegram.edits(GROUP))
    assert [edit.text for edit in fake_telegram.edits(GROUP)] == ["Текст дальше"]


async def test_group_previews_edit_the_placeholder_after_the_interval(ext_bot, fake_telegram):
    streamer = streamer_for(ext_bot, GROUP, private=False, interval=0.05)
    await streamer.update("Начало")
    await fake_telegram.wait_for_async(lambda: fake_telegram.sent_messages(GROUP))
    await streamer.update("Начало ответа")
    await fake_telegram.wait_for_async(lambda: fake_telegram.edits(GROUP))
    assert [edit.text for edit in fake_telegram.edits(GROUP)] == ["Начало ответа"]


async def test_previews_pause_while_telegram_asks_the_chat_to_wait(ext_bot, fake_telegram):
    ext_bot.rate_limiter.pause(PRIVATE, 10)
    streamer = streamer_for(ext_bot, PRIVATE, private=True)
    await streamer.update("Ответ")
    await settle()
    assert fake_telegram.drafts(PRIVATE) == []


async def test_a_failed_preview_is_skipped_without_breaking_the_answer(ext_bot, fake_telegram):
    fake_telegram.fail_next("sendMessageDraft", error_code=400, description="Bad Request: oops")
    streamer = streamer_for(ext_bot, PRIVATE, private=True)
    await streamer.update("Ответ")
    await settle()
    await streamer.finish("Ответ")
    assert [m.text for m in fake_telegram.sent_messages(PRIVATE)] == ["Ответ"]


async def test_a_blocked_bot_during_preview_is_reported_when_the_answer_ends(
    ext_bot, fake_telegram
):
    fake_telegram.fail_next("sendMessageDraft", error_code=403)
    streamer = streamer_for(ext_bot, PRIVATE, private=True)
    await streamer.update("Ответ")
    await settle()
    await streamer.update("Ответ длиннее")
    delivery = await streamer.finish("Ответ длиннее")
    assert delivery.state == Message.Delivery.UNDELIVERED
    with pytest.raises(Forbidden):
        delivery.raise_if_blocked()
    assert fake_telegram.sent_messages(PRIVATE) == []


async def test_nothing_is_sent_for_an_empty_final_answer(ext_bot, fake_telegram):
    await new_streamer(ext_bot, PRIVATE, private=True).finish("   ")
    assert fake_telegram.sent_messages(PRIVATE) == []


async def test_the_group_placeholder_already_showing_the_answer_is_left_alone(
    ext_bot, fake_telegram
):
    streamer = streamer_for(ext_bot, GROUP, private=False)
    await streamer.update("Готовый ответ")
    await settle()
    await streamer.finish("Готовый ответ")
    assert len(fake_telegram.sent_messages(GROUP)) == 1
    assert fake_telegram.edits(GROUP) == []


async def test_the_group_placeholder_falls_back_to_plain_text_when_html_is_rejected(
    ext_bot, fake_telegram
):
    streamer = streamer_for(ext_bot, GROUP, private=False)
    await streamer.update("Начало")
    await settle()
    fake_telegram.fail_next(
        "editMessageText", error_code=400, description="Bad Request: can't parse entities"
    )
    await streamer.finish("**Итог** готов")
    assert fake_telegram.sent_messages(GROUP)[0].text == "Итог готов"


async def test_a_placeholder_being_sent_when_the_answer_ends_is_reused(ext_bot, fake_telegram):
    streamer = streamer_for(ext_bot, GROUP, private=False)
    await streamer.update("Начало")
    await asyncio.sleep(0)
    await streamer.finish("Начало и конец")
    assert [m.text for m in fake_telegram.sent_messages(GROUP)] == ["Начало и конец"]


def long_text(mark, paragraphs=6):
    return "\n\n".join(f"{mark} {number}. " + "слово " * 150 for number in range(paragraphs))


async def until_sent(fake_telegram, chat, count):
    await fake_telegram.wait_for_async(lambda: len(fake_telegram.sent_messages(chat)) >= count)


async def test_in_a_group_a_finished_part_takes_over_the_placeholder(ext_bot, fake_telegram):
    streamer = streamer_for(ext_bot, GROUP, private=False, interval=0)
    await streamer.update("Начало")
    await until_sent(fake_telegram, GROUP, 1)
    text = long_text("Часть")
    await streamer.update(text)
    await until_sent(fake_telegram, GROUP, 2)
    delivery = await streamer.finish(text)
    messages = fake_telegram.sent_messages(GROUP)
    assert messages[0].visible_text.startswith("Часть 0.")
    assert " ".join(m.visible_text for m in messages).split() == text.split()
    assert delivery.message_ids == [m.message_id for m in messages]


async def test_a_sent_part_is_corrected_when_the_final_answer_differs(ext_bot, fake_telegram):
    streamer = streamer_for(ext_bot, PRIVATE, private=True, interval=0)
    await streamer.update(long_text("Черновик"))
    await until_sent(fake_telegram, PRIVATE, 1)
    delivery = await streamer.finish("Короткий окончательный ответ.")
    visible = [m.visible_text for m in fake_telegram.sent_messages(PRIVATE)]
    assert visible == ["Короткий окончательный ответ."]
    assert delivery.state == Message.Delivery.DELIVERED


async def test_sent_parts_the_final_answer_no_longer_has_are_removed(ext_bot, fake_telegram):
    streamer = streamer_for(ext_bot, PRIVATE, private=True, interval=0)
    await streamer.update(long_text("Черновик", paragraphs=12))
    await until_sent(fake_telegram, PRIVATE, 2)
    final = long_text("Черновик", paragraphs=1)
    await streamer.finish(final)
    assert [m.visible_text.split() for m in fake_telegram.sent_messages(PRIVATE)] == [final.split()]


async def test_a_bot_blocked_while_thinking_loses_the_answer(ext_bot, fake_telegram):
    fake_telegram.fail_next("sendMessageDraft", error_code=403)
    streamer = new_streamer(ext_bot, PRIVATE, private=True)
    streamer.start_thinking()
    await fake_telegram.wait_for_async(lambda: fake_telegram.calls_of("sendMessageDraft"))
    delivery = await streamer.finish("Ответ")
    assert delivery.state == Message.Delivery.UNDELIVERED
    assert delivery.blocked_by is not None
    assert fake_telegram.sent_messages(PRIVATE) == []


async def test_a_sign_of_life_that_fails_does_not_stop_the_answer(ext_bot, fake_telegram):
    fake_telegram.fail_next("sendChatAction", error_code=400)
    streamer = new_streamer(ext_bot, GROUP, private=False)
    streamer.start_thinking()
    await fake_telegram.wait_for_async(lambda: fake_telegram.calls_of("sendChatAction"))
    delivery = await streamer.finish("Ответ")
    assert delivery.state == Message.Delivery.DELIVERED


async def test_no_sign_of_life_while_telegram_asks_the_chat_to_wait(ext_bot, fake_telegram):
    ext_bot.rate_limiter.pause(GROUP, 10)
    streamer = new_streamer(ext_bot, GROUP, private=False)
    streamer.start_thinking()
    await settle()
    await streamer.stop()
    assert fake_telegram.calls_of("sendChatAction") == []


@pytest.mark.parametrize(
    ("error_code", "description"),
    [(400, "Bad Request: method is not supported"), (404, "Not Found")],
    ids=["refused", "unknown method"],
)
async def test_where_drafts_are_refused_the_person_sees_typing_and_a_growing_message(
    ext_bot, fake_telegram, error_code, description
):
    """A Bot API before drafts (or an emulator without them) still shows a sign of life and
    the answer growing: typing, then a placeholder message that becomes the answer."""
    fake_telegram.fail_next("sendMessageDraft", error_code=error_code, description=description)
    streamer = streamer_for(ext_bot, PRIVATE, private=True)
    streamer.start_thinking()
    await fake_telegram.wait_for_async(lambda: fake_telegram.calls_of("sendChatAction"))
    await streamer.update("Начало ответа")
    await until_sent(fake_telegram, PRIVATE, 1)
    delivery = await streamer.finish("Начало ответа и конец")
    assert delivery.state == Message.Delivery.DELIVERED
    assert [m.visible_text for m in fake_telegram.sent_messages(PRIVATE)] == [
        "Начало ответа и конец"
    ]
    assert len(fake_telegram.calls_of("sendMessageDraft")) == 1


BUTTONS = {"inline_keyboard": [[{"text": "👍", "callback_data": "rate:1:up"}]]}


def markup():
    return InlineKeyboardMarkup([[InlineKeyboardButton("👍", callback_data="rate:1:up")]])


async def test_a_placeholder_already_showing_the_answer_gets_its_buttons(ext_bot, fake_telegram):
    streamer = streamer_for(ext_bot, GROUP, private=False)
    await streamer.update("Ответ")
    await fake_telegram.wait_for_async(lambda: fake_telegram.sent_messages(GROUP))
    await streamer.finish("Ответ", reply_markup=markup())
    [shown] = fake_telegram.sent_messages(GROUP)
    assert (shown.text, shown.reply_markup) == ("Ответ", BUTTONS)


async def test_the_buttons_go_under_the_last_part_of_a_placeholder_answer(ext_bot, fake_telegram):
    streamer = streamer_for(ext_bot, GROUP, private=False)
    await streamer.update("Начало")
    await fake_telegram.wait_for_async(lambda: fake_telegram.sent_messages(GROUP))
    long_answer = "\n\n".join(["Слово " * 300] * 4)
    await streamer.finish(long_answer, reply_markup=markup())
    parts = fake_telegram.sent_messages(GROUP)
    assert len(parts) > 1
    assert [part.reply_markup for part in parts] == [None] * (len(parts) - 1) + [BUTTONS]
