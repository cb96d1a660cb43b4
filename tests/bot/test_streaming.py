"""The streamer shows growing answers within Telegram's limits and delivers the final one."""

import pytest
from telegram.error import Forbidden

from bot.streaming import ReplyStreamer
from tests.bot.conftest import ManualClock

PRIVATE = 111
GROUP = -222


async def test_private_previews_are_throttled_to_one_per_interval(ext_bot, fake_telegram):
    clock = ManualClock()
    streamer = ReplyStreamer(ext_bot, PRIVATE, private=True, clock=clock)
    await streamer.update("Пер")
    await streamer.update("Перв")
    clock.now += 1.5
    await streamer.update("Первый ответ")
    assert [draft.text for draft in fake_telegram.drafts(PRIVATE)] == ["Пер", "Первый ответ"]


async def test_an_identical_preview_is_never_sent_twice(ext_bot, fake_telegram):
    clock = ManualClock()
    streamer = ReplyStreamer(ext_bot, GROUP, private=False, clock=clock)
    await streamer.update("Текст")
    clock.now += 5
    await streamer.update("Текст ")
    assert fake_telegram.edits(GROUP) == []


async def test_previews_pause_while_telegram_asks_the_chat_to_wait(ext_bot, fake_telegram):
    ext_bot.rate_limiter._paused_until[PRIVATE] = ext_bot.rate_limiter.clock() + 10
    streamer = ReplyStreamer(ext_bot, PRIVATE, private=True)
    await streamer.update("Ответ")
    assert fake_telegram.drafts(PRIVATE) == []


async def test_a_failed_preview_is_skipped_without_breaking_the_answer(ext_bot, fake_telegram):
    fake_telegram.fail_next("sendMessageDraft", error_code=400, description="Bad Request: oops")
    streamer = ReplyStreamer(ext_bot, PRIVATE, private=True)
    await streamer.update("Ответ")
    await streamer.finish("Ответ")
    assert [m.text for m in fake_telegram.sent_messages(PRIVATE)] == ["Ответ"]


async def test_a_blocked_bot_during_preview_is_reported(ext_bot, fake_telegram):
    fake_telegram.fail_next("sendMessageDraft", error_code=403)
    streamer = ReplyStreamer(ext_bot, PRIVATE, private=True)
    with pytest.raises(Forbidden):
        await streamer.update("Ответ")


async def test_nothing_is_sent_for_an_empty_final_answer(ext_bot, fake_telegram):
    await ReplyStreamer(ext_bot, PRIVATE, private=True).finish("   ")
    assert fake_telegram.sent_messages(PRIVATE) == []


async def test_the_group_placeholder_already_showing_the_answer_is_left_alone(
    ext_bot, fake_telegram
):
    streamer = ReplyStreamer(ext_bot, GROUP, private=False)
    await streamer.update("Готовый ответ")
    await streamer.finish("Готовый ответ")
    assert len(fake_telegram.sent_messages(GROUP)) == 1
    assert fake_telegram.edits(GROUP) == []


async def test_the_group_placeholder_falls_back_to_plain_text_when_html_is_rejected(
    ext_bot, fake_telegram
):
    streamer = ReplyStreamer(ext_bot, GROUP, private=False)
    await streamer.update("Начало")
    fake_telegram.fail_next(
        "editMessageText", error_code=400, description="Bad Request: can't parse entities"
    )
    await streamer.finish("**Итог** готов")
    assert fake_telegram.sent_messages(GROUP)[0].text == "Итог готов"
