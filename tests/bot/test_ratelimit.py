"""Telegram 429 handling: pauses per chat, or for the whole bot, with bounded retries."""

import asyncio

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.ratelimit import WHOLE_BOT, ChatRetryAfterLimiter
from tests.fakes.telegram_server import TOKEN


@pytest.fixture
async def bot(fake_telegram):
    async with ExtBot(
        TOKEN, base_url=fake_telegram.api_url, rate_limiter=ChatRetryAfterLimiter(max_retries=1)
    ) as ext_bot:
        yield ext_bot


async def test_a_pause_for_the_whole_bot_delays_calls_to_every_chat(bot, fake_telegram):
    fake_telegram.fail_next("getMe", error_code=429, retry_after=1)

    async def message_a_chat_during_the_pause():
        while not bot.rate_limiter.pause_left(12345):
            await asyncio.sleep(0.01)
        await bot.send_message(12345, "текст")

    await asyncio.gather(bot.get_me(), message_a_chat_during_the_pause())
    first_get_me = fake_telegram.calls_of("getMe")[0]
    message = fake_telegram.calls_of("sendMessage")[0]
    assert message.at - first_get_me.at >= 1.0
    assert bot.rate_limiter.pause_left(WHOLE_BOT) == 0


async def test_retries_are_bounded(bot, fake_telegram):
    fake_telegram.fail_next("sendMessage", error_code=429, retry_after=1, times=2)
    with pytest.raises(RetryAfter):
        await bot.send_message(1, "текст")
    assert len(fake_telegram.calls_of("sendMessage")) == 2


async def test_a_draft_during_a_pause_is_refused_at_once(bot, fake_telegram):
    bot.rate_limiter.pause(1, 30)
    with pytest.raises(RetryAfter):
        await bot.send_message_draft(1, 7, text="черновик")
    assert fake_telegram.calls_of("sendMessageDraft") == []


async def test_a_429_on_a_draft_is_not_retried(bot, fake_telegram):
    fake_telegram.fail_next("sendMessageDraft", error_code=429, retry_after=1)
    with pytest.raises(RetryAfter):
        await bot.send_message_draft(1, 7, text="черновик")
    assert len(fake_telegram.calls_of("sendMessageDraft")) == 1


async def test_pauses_are_forgotten_on_shutdown():
    limiter = ChatRetryAfterLimiter()
    limiter.pause(1, 30)
    await limiter.shutdown()
    assert limiter.pause_left(1) == 0
