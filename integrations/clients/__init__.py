"""Sending one delivery to its integration: the generic webhook or a CRM's API.

Each kind's module turns a `DeliveryJob` into HTTP requests and the answer into an `Outcome`.
What no kind handles itself is handled here: a refused connection, a broken one or a timeout
is tried again. A timeout after the request went out may have reached the CRM, so the retry
carries the same idempotency key (the webhook) or updates the record it created (a CRM, once
its id came back).
"""

from __future__ import annotations

import httpx

from integrations.clients import amocrm, bitrix24, webhook
from integrations.models import Integration
from integrations.selectors import DeliveryJob
from integrations.services import Outcome, Result

SENDERS = {
    Integration.Kind.WEBHOOK: webhook.send,
    Integration.Kind.BITRIX24: bitrix24.send,
    Integration.Kind.AMOCRM: amocrm.send,
}

#: Explicit limits: connecting is quick or the CRM is down; an answer may take a while.
TIMEOUT = httpx.Timeout(20.0, connect=5.0)


async def send(client: httpx.AsyncClient, job: DeliveryJob) -> Outcome:
    try:
        return await SENDERS[job.target.kind](client, job)
    except httpx.TimeoutException as error:
        return Outcome(Result.RETRY, f"timeout ({type(error).__name__}); it may have arrived")
    except httpx.TransportError as error:
        return Outcome(Result.RETRY, f"{type(error).__name__}: {error}")
