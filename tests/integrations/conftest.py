"""A fake clock and a courier driven step by step, with the real HTTP client."""

import datetime as dt
import random

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.utils import timezone

from integrations.courier import CrmCourier


class Clock:
    """The time, moved ahead when a test says so: hours pass in a step, without waiting.

    It goes on from the real time, since events are stamped with it when they happen."""

    def __init__(self):
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return timezone.now() + self.offset

    def advance(self, **delta) -> None:
        self.offset += dt.timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def courier(transactional_db, clock):
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0)) as client:
        yield CrmCourier(client=client, now=clock, rng=random.Random(7))
    await sync_to_async(connections.close_all, thread_sensitive=True)()


async def deliver_all(courier, clock, *, step_seconds: float = 0, steps: int = 200) -> None:
    """Run the courier's steps, moving the clock `step_seconds` after each idle one, until a
    step finds nothing and nothing is left waiting."""
    from integrations.models import Delivery

    waiting = sync_to_async(lambda: Delivery.objects.filter(status__in=Delivery.OPEN).exists())
    for _step in range(steps):
        if not await courier.deliver_due():
            if not await waiting():
                return
            clock.advance(seconds=step_seconds)
    raise AssertionError("deliveries still waiting")
