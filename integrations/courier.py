"""The CRM courier: delivers the outbox's lead events, run beside update handling by every
process of the bots (`bot.serving`).

Each step reads the deliveries due (the oldest open one of each lead and integration), claims
each with one conditional UPDATE (`claimed_until`: of two processes one gets it; a killed
process's claim runs out), sends it and writes what became of it. A failed attempt is retried
after an exponential pause with full jitter (a random pause up to the doubling ceiling, so
many leads failing together do not come back together), until the retry window
(CRM_RETRY_HOURS) ends; then it is a dead letter. While a step finds work the next one follows
at once; an idle courier looks again every `interval` seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Callable

import httpx
from django.db import Error as DatabaseError
from django.utils import timezone

from bots.tokens import TokenUnavailable
from core.db import db_call
from core.pausing import pause
from integrations import clients
from integrations.selectors import deliveries_due, delivery_job
from integrations.services import Outcome, Result, delivery_claim, delivery_record

logger = logging.getLogger(__name__)

#: Seconds between two looks at an idle outbox.
INTERVAL_SECONDS = 1.0
#: Deliveries sent side by side in one step (each a different lead or integration).
BATCH = 32
#: A claim outlasts the longest attempt (a timeout of `clients.TIMEOUT`) with room to spare.
LEASE_SECONDS = 120.0


class CrmCourier:
    """Delivers due lead events; `now` and `rng` are the clock and the retries' jitter (tests
    fake them), `client` the HTTP client (made by `run` when not given)."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        interval: float = INTERVAL_SECONDS,
        now: Callable[[], dt.datetime] = timezone.now,
        rng: random.Random | None = None,
    ):
        self.client = client
        self.interval = interval
        self.now = now
        self.rng = rng or random.Random()
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Steps until `stop`; a failed step is logged and the next look tries again."""
        if self.client is None:
            async with httpx.AsyncClient(timeout=clients.TIMEOUT) as client:
                self.client = client
                await self._loop()
        else:
            await self._loop()

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                attempted = await self.deliver_due()
            except DatabaseError as error:
                logger.warning("Database unavailable; the CRM courier looks again: %s", error)
                attempted = 0
            except Exception:
                logger.exception("The CRM courier failed; it looks again shortly")
                attempted = 0
            if not attempted:
                await pause(self._stop, self.interval)

    async def deliver_due(self) -> int:
        """One step: try every delivery due now; returns how many were tried."""
        due = await db_call(deliveries_due)(now=self.now(), limit=BATCH)
        tried = await asyncio.gather(*(self._deliver(delivery_id) for delivery_id in due))
        return sum(tried)

    async def _deliver(self, delivery_id: int) -> bool:
        claimed = await db_call(delivery_claim)(
            delivery_id=delivery_id, now=self.now(), lease_seconds=LEASE_SECONDS
        )
        if not claimed:
            return False  # another process has it
        outcome = await self._attempt(delivery_id)
        await db_call(delivery_record)(
            delivery_id=delivery_id, outcome=outcome, now=self.now(), jitter=self.rng.random()
        )
        return True

    async def _attempt(self, delivery_id: int) -> Outcome:
        try:
            job = await db_call(delivery_job)(delivery_id=delivery_id)
        except TokenUnavailable as error:
            return Outcome(Result.RETRY, f"the integration's secret cannot be read: {error}")
        try:
            return await clients.send(self.client, job)
        except Exception as error:
            # A fault of ours (a lead the client cannot put into a request): kept on the
            # delivery for staff and retried like a failure, so it ends as a dead letter.
            logger.exception("Delivery %s could not be sent", delivery_id)
            return Outcome(Result.RETRY, f"{type(error).__name__}: {error}")
