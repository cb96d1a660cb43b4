"""The durable message core as real processes: `runbot` (long polling and its job workers)
and a `runworker` beside it, on PostgreSQL, under redelivery, SIGKILL and a database outage.

Sizes are environment knobs with defaults that keep each test within a couple of minutes;
the issue's full sizes:

    PROCESS_TEST_UPDATES=10000 PROCESS_TEST_KILL_UPDATES=2000 PROCESS_TEST_KILLS=20 \
    PROCESS_TEST_OUTAGE_SECONDS=20 DATABASE_URL=postgres://... pytest -m processes
"""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest
from django.db import connection

from bot.job_queue import JOB_CONCURRENCY
from tests.processes.conftest import knob
from tests.processes.load import Load

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="workers in several processes need procrastinate's queue, which is PostgreSQL's",
    ),
]

SEED = 10


def asked_of_the_model(fake_openai) -> Counter:
    return Counter(
        next(m["content"] for m in reversed(r.body["messages"]) if m["role"] == "user")
        for r in fake_openai.completion_requests()
    )


def test_redelivered_updates_are_stored_asked_and_answered_once(
    bot_processes, fake_telegram, fake_openai
):
    """30% of the updates come again 1-3 times, while two processes work: one stored
    message, one LLM call and one reply per update."""
    rng = random.Random(SEED)
    load = Load(fake_telegram)
    bot_processes()
    total = knob("PROCESS_TEST_UPDATES", 1000)
    pushed: list[int] = []
    for _ in range(total):
        pushed += load.push(1)
        if rng.random() < 0.3:  # one of the latest, maybe being handled, maybe done
            again = rng.choice(pushed[-50:])
            for _ in range(rng.randint(1, 3)):
                fake_telegram.push_same_update_again(again)
    load.wait_settled()
    load.assert_each_stored_once()
    assert asked_of_the_model(fake_openai) == Counter(load.texts.values())
    assert not load.assert_answered_in_order()


def test_a_worker_killed_again_and_again_loses_no_update(bot_processes, fake_telegram):
    """SIGKILL, alternately the worker and the bot, while updates come: each is answered,
    in order. An answer Telegram took just before the kill, whose delivery was not yet
    recorded, is sent again (Telegram has no idempotency key): at most the answers in
    flight at the kills, JOB_CONCURRENCY per killed process. Seen: 0-2 for 5 kills, 6 for
    5 on a loaded CI machine, 6 for 20 (with one database thread for all jobs, before the
    database threads, 11 and 23 for 5 kills: the records of delivery waited in line)."""
    load = Load(fake_telegram)
    bot, worker = bot_processes()
    total = knob("PROCESS_TEST_KILL_UPDATES", 400)
    kills = knob("PROCESS_TEST_KILLS", 5)
    for kill in range(kills):
        load.push(total // kills)
        load.wait_for_replies(len(load.texts) - total // kills // 2)
        victim = bot if kill % 2 else worker
        victim.kill()
        victim.start()
    load.push(total - len(load.texts))
    load.wait_settled()
    load.assert_each_stored_once()
    repeated = load.assert_answered_in_order()
    print(f"{kills} kills; {repeated.total()} answers sent again")  # shown with -rP
    in_flight = kills * JOB_CONCURRENCY
    assert repeated.total() <= in_flight, f"{kills} kills; answers sent again: {repeated}"


def test_a_database_outage_under_load_loses_no_update(database_proxy, bot_processes, fake_telegram):
    """The database unreachable for a while (every connection broken, new ones refused)
    while updates keep coming: once it is back, every update is stored once and answered."""
    load = Load(fake_telegram)
    bot_processes(port=database_proxy.port)
    total = knob("PROCESS_TEST_OUTAGE_UPDATES", 300)
    load.push(total // 2)
    load.wait_for_replies(total // 4)
    database_proxy.cut()
    load.push(total - total // 2)
    time.sleep(knob("PROCESS_TEST_OUTAGE_SECONDS", 10))  # the outage, under load
    assert fake_telegram.pending_update_count() > 0  # kept by Telegram, not confirmed
    database_proxy.restore()
    load.wait_settled()
    load.assert_each_stored_once()
    load.assert_answered_in_order()
