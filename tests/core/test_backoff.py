"""Backoff: doubling pauses up to a ceiling, started over after a success, cut short by a stop.

A fake wait records the pauses instead of sleeping, so no test depends on the clock.
"""

import asyncio

import pytest

from core.backoff import Backoff


class FakeWait:
    """Records each pause asked for; the stop it is given ends the wait at once when set."""

    def __init__(self):
        self.pauses = []

    async def __call__(self, stop: asyncio.Event, seconds: float) -> bool:
        self.pauses.append(seconds)
        return stop.is_set()


def test_the_pause_doubles_from_the_first_up_to_the_ceiling():
    backoff = Backoff(first=0.5, longest=15.0)
    assert [backoff.delay(n) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0]


def test_thousands_of_retries_still_wait_the_ceiling():
    """A job retried all through a long outage: the pause stays put instead of overflowing."""
    assert Backoff(first=0.5, longest=30.0).delay(10_000) == 30.0


def test_a_first_pause_above_the_ceiling_waits_the_ceiling():
    assert Backoff(first=2.0, longest=1.0).delay(0) == 1.0


async def test_each_failure_in_a_row_waits_longer():
    wait = FakeWait()
    retrying = Backoff(first=1.0, longest=5.0).retrying(asyncio.Event(), wait=wait)
    for _ in range(5):
        await retrying.pause()
    assert wait.pauses == [1.0, 2.0, 4.0, 5.0, 5.0]


async def test_the_next_delay_is_the_one_the_next_pause_waits():
    wait = FakeWait()
    retrying = Backoff(first=1.0, longest=5.0).retrying(asyncio.Event(), wait=wait)
    announced = []
    for _ in range(3):
        announced.append(retrying.next_delay)
        await retrying.pause()
    assert announced == wait.pauses == [1.0, 2.0, 4.0]


async def test_a_success_starts_the_pauses_over():
    wait = FakeWait()
    retrying = Backoff(first=1.0, longest=5.0).retrying(asyncio.Event(), wait=wait)
    await retrying.pause()
    await retrying.pause()
    retrying.succeeded()
    await retrying.pause()
    assert wait.pauses == [1.0, 2.0, 1.0]


async def test_runs_of_retries_do_not_share_their_count():
    backoff = Backoff(first=1.0, longest=5.0)
    wait = FakeWait()
    first = backoff.retrying(asyncio.Event(), wait=wait)
    await first.pause()
    await first.pause()
    await backoff.retrying(asyncio.Event(), wait=wait).pause()
    assert wait.pauses == [1.0, 2.0, 1.0]


@pytest.mark.parametrize("stopped", [True, False])
async def test_a_pause_says_whether_the_stop_cut_it_short(stopped):
    stop = asyncio.Event()
    if stopped:
        stop.set()
    retrying = Backoff(first=1.0, longest=5.0).retrying(stop, wait=FakeWait())
    assert await retrying.pause() is stopped


async def test_by_default_a_pause_ends_as_soon_as_the_stop_is_set():
    """The real wait (`core.pausing.pause`) with a pause far longer than any test: the stop,
    set while it waits, is what ends it."""
    stop = asyncio.Event()
    retrying = Backoff(first=3600.0, longest=3600.0).retrying(stop)
    pausing = asyncio.create_task(retrying.pause())
    await asyncio.sleep(0)
    stop.set()
    assert await asyncio.wait_for(pausing, 10) is True
