"""The in-process inbox worker: each chat in order, chats side by side, nothing dropped."""

import asyncio

import pytest
from django.db import OperationalError

from bot import inbox_worker
from bot.inbox import inbox_store
from bot.inbox_worker import InboxWorker
from bot.processing import Result
from core.backoff import Backoff
from tests.running_bot import in_thread

pytestmark = pytest.mark.django_db(transaction=True)

BOT = 7
QUICK_RETRIES = Backoff(first=0.01, longest=0.04)


class ScriptedProcessor:
    """Records what it was given; `retries[id]` RETRY results before DONE; `held` blocks."""

    def __init__(self, retries=None, held=None):
        self.handled = []
        self.attempts = []
        self.retries = dict(retries or {})
        self.held = held or {}

    async def process(self, inbound_id):
        self.attempts.append(inbound_id)
        if inbound_id in self.held:
            await self.held[inbound_id].wait()
        if self.retries.get(inbound_id):
            self.retries[inbound_id] -= 1
            return Result.RETRY
        self.handled.append(inbound_id)
        return Result.DONE


def store(*chats):
    payloads = [
        {"update_id": number, "message": {"chat": {"id": chat}}}
        for number, chat in enumerate(chats, start=1)
    ]
    return [stored.id for stored in inbox_store(bot_id=BOT, payloads=payloads)]


async def until(condition, timeout=30.0):
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def started(worker):
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0)
    return task


async def stopped(worker, task):
    worker.stop()
    await asyncio.wait_for(task, 10)


def worker_for(processor, drain=5.0, poll_interval=0.01):
    return InboxWorker(processor, bot_ids=[BOT], poll_interval=poll_interval, drain_seconds=drain)


@pytest.fixture
def quick_retries(monkeypatch):
    monkeypatch.setattr(inbox_worker, "UPDATE_RETRY_BACKOFF", QUICK_RETRIES)


async def test_a_chat_waiting_for_the_database_keeps_its_order_and_holds_up_no_other(
    quick_retries,
):
    a1, b1, a2 = await in_thread(store, 1, 2, 1)
    processor = ScriptedProcessor(retries={a1: 3})
    worker = worker_for(processor)
    task = await started(worker)
    await until(lambda: len(processor.handled) == 3)
    await stopped(worker, task)
    assert processor.handled.index(a1) < processor.handled.index(a2)
    assert processor.handled.index(b1) < processor.handled.index(a1)  # b did not wait for a
    assert processor.attempts.count(a1) == 4


async def test_stopping_lets_answers_in_flight_finish_and_takes_nothing_new():
    [held] = await in_thread(store, 1)
    release = asyncio.Event()
    processor = ScriptedProcessor(held={held: release})
    worker = worker_for(processor)
    task = await started(worker)
    await until(lambda: processor.attempts)
    worker.stop()
    await in_thread(store, 2)
    release.set()
    await asyncio.wait_for(task, 10)
    assert processor.handled == [held]  # finished; the one stored while stopping waits


async def test_an_answer_cut_short_by_the_drain_timeout_waits_for_the_next_start():
    first, second = await in_thread(store, 1, 1)
    processor = ScriptedProcessor(held={first: asyncio.Event()})
    worker = worker_for(processor, drain=0.01)
    task = await started(worker)
    await until(lambda: processor.attempts)
    await stopped(worker, task)
    assert processor.handled == []
    restarted = ScriptedProcessor()
    worker = worker_for(restarted)
    task = await started(worker)
    await until(lambda: len(restarted.handled) == 2)
    await stopped(worker, task)
    assert restarted.handled == [first, second]


async def test_stopping_while_an_update_waits_for_the_database_leaves_it_for_later(
    quick_retries,
):
    [waiting] = await in_thread(store, 1)
    processor = ScriptedProcessor(retries={waiting: 10**6})
    worker = worker_for(processor)
    task = await started(worker)
    await until(lambda: len(processor.attempts) >= 2)
    await stopped(worker, task)
    assert processor.handled == []


async def test_the_inbox_is_read_again_when_the_database_was_away(monkeypatch):
    real = inbox_worker.inbox_waiting
    failures = []

    def away_once(**kwargs):
        if not failures:
            failures.append(1)
            raise OperationalError("connection refused")
        return real(**kwargs)

    monkeypatch.setattr(inbox_worker, "inbox_waiting", away_once)
    [waiting] = await in_thread(store, 1)
    processor = ScriptedProcessor()
    worker = worker_for(processor)
    task = await started(worker)
    await until(lambda: processor.handled)
    await stopped(worker, task)
    assert processor.handled == [waiting]


async def test_a_full_page_of_waiting_updates_is_followed_at_once_by_the_next(monkeypatch):
    monkeypatch.setattr(inbox_worker, "PAGE_SIZE", 2)
    ids = await in_thread(store, 1, 2, 3, 4, 5)
    processor = ScriptedProcessor()
    worker = worker_for(processor, poll_interval=3600)
    worker.notify()
    task = await started(worker)
    await until(lambda: len(processor.handled) == 5)
    await stopped(worker, task)
    assert sorted(processor.handled) == ids
