"""Per-sender state stays bounded in a bot that runs for months and meets new people daily."""

import contextlib
import logging
import tracemalloc

from telegram.error import RetryAfter

from assistant.flood import CallLimiter
from assistant.gateway import ClientPool, ModelSpec
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
    clients = ClientPool(max_clients=16)
    for number in range(48):
        clients.client(spec_at(f"http://127.0.0.1:{9000 + number}/v1"))
    assert len(clients) == 16
    await clients.close()
    assert len(clients) == 0


def spec_at(base_url: str) -> ModelSpec:
    return ModelSpec(
        pk=1,
        model_id="m",
        display_name="M",
        base_url=base_url,
        api_key_env="",
        timeout_seconds=1,
        connect_timeout_seconds=1,
        temperature=0,
        max_output_tokens=10,
        context_window=100,
    )
