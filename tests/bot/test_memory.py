"""Per-sender state stays bounded in a bot that runs for months and meets new people daily."""

import contextlib
import logging
import tracemalloc

from telegram.error import RetryAfter

from assistant import gateway
from assistant.flood import CallLimiter
from bot.ratelimit import ChatRetryAfterLimiter
from tests.running_bot import ManualClock

SENDERS = 100_000
SECONDS_BETWEEN_SENDERS = 0.01  # 100 new people a second, each writing once


async def refused(*args, **kwargs):
    raise RetryAfter(1)


async def meet(senders, clock, calls, pauses):
    """Each sender writes once (a flood-limit check) and Telegram pauses their chat once."""
    for sender in senders:
        calls.allow(sender)
        with contextlib.suppress(RetryAfter):
            await pauses.process_request(
                refused, (), {}, "sendMessageDraft", {"chat_id": sender}, None
            )
        clock.now += SECONDS_BETWEEN_SENDERS


async def test_memory_stays_flat_over_a_hundred_thousand_distinct_senders(caplog):
    caplog.set_level(logging.ERROR, logger="bot.ratelimit")  # the test's log capture keeps all
    clock = ManualClock()
    calls = CallLimiter(6, 60, clock=clock)
    pauses = ChatRetryAfterLimiter(clock=clock)
    tracemalloc.start()
    try:
        await meet(range(20_000), clock, calls, pauses)
        after_first = tracemalloc.get_traced_memory()[0]
        await meet(range(20_000, SENDERS), clock, calls, pauses)
        after_all = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    window_senders = 60 / SECONDS_BETWEEN_SENDERS
    assert calls.tracked_keys() <= 2 * window_senders + 1024
    assert pauses.tracked_chats() <= 2 * 1024 + 2 * 1 / SECONDS_BETWEEN_SENDERS
    assert after_all - after_first < 1_000_000, "memory grew with the number of senders"


async def test_only_a_few_llm_clients_stay_open_however_many_endpoints_are_used():
    for number in range(gateway.MAX_CLIENTS_PER_LOOP * 3):
        gateway._async_client(f"http://127.0.0.1:{9000 + number}/v1", "key")
    assert gateway.open_client_count() == gateway.MAX_CLIENTS_PER_LOOP
    await gateway.close_clients()
    assert gateway.open_client_count() == 0
