"""Backoff: the pauses between tries of something that fails for a while, then works again.

A database that restarts or a server answering 5xx comes back by itself; the loops that wait
for it (long polling, the inbox worker, the job queue's retries) pause alike: the first pause is
short, so a blip costs little; each next one is twice as long, so a long outage is not
hammered; none is longer than a ceiling, so the recovery is noticed soon enough.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.pausing import pause

#: How a loop waits: `pause(stop, seconds)`, True when `stop` cut the wait short.
Wait = Callable[[asyncio.Event, float], Awaitable[bool]]


@dataclass(frozen=True)
class Backoff:
    """Doubling pauses from `first` up to `longest` seconds."""

    first: float
    longest: float

    def delay(self, retries: int) -> float:
        """Seconds to wait before the next try when `retries` tries were already retried (0:
        the first retry waits `first`)."""
        # Past this many doublings the pause is the ceiling; capping the exponent keeps a very
        # long outage (thousands of retries) from overflowing a float.
        doublings_to_ceiling = max(math.ceil(math.log2(self.longest / self.first)), 0)
        return min(self.first * 2 ** min(retries, doublings_to_ceiling), self.longest)

    def retrying(self, stop: asyncio.Event, *, wait: Wait = pause) -> Retrying:
        """One loop's run of retries, its pauses cut short by `stop`."""
        return Retrying(self, stop, wait)


class Retrying:
    """Counts one loop's failures in a row: `pause()` after each failure waits the next delay;
    `succeeded()` starts the count over, so the next failure waits the first delay again."""

    def __init__(self, backoff: Backoff, stop: asyncio.Event, wait: Wait):
        self.backoff = backoff
        self.stop = stop
        self.wait = wait
        self.retries = 0

    @property
    def next_delay(self) -> float:
        """Seconds the next `pause()` waits (for saying so in the log before it does)."""
        return self.backoff.delay(self.retries)

    async def pause(self) -> bool:
        """Wait the next delay, or less if `stop` is set first; True when it was set."""
        delay = self.next_delay
        self.retries += 1
        return await self.wait(self.stop, delay)

    def succeeded(self) -> None:
        self.retries = 0
