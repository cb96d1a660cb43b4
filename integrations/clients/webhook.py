"""The generic webhook: one signed JSON POST per event (schema in docs/crm_webhook.schema.json).

The body is the event and the lead as it was then; `X-Idempotency-Key` is the event's id, the
same on every retry, so a receiver that saw it already can answer 2xx and do nothing;
`X-Signature-SHA256` is the hex HMAC-SHA256 of the raw body under the integration's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from integrations.clients.common import mapped_fields, result_of_status
from integrations.selectors import DeliveryJob
from integrations.services import Outcome

SCHEMA = "consult-assistant/lead-event"
VERSION = 1


def body(job: DeliveryJob) -> bytes:
    event = job.event
    document = {
        "schema": SCHEMA,
        "version": VERSION,
        "event": {
            "id": event.uid,
            "kind": event.kind,
            "sequence": event.sequence,
            "occurred_at": event.occurred_at.isoformat(),
            "data": event.data,
        },
        "lead": event.lead,
        "fields": mapped_fields(job),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


async def send(client: httpx.AsyncClient, job: DeliveryJob) -> Outcome:
    payload = body(job)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Idempotency-Key": job.event.uid,
        "X-Event-Kind": job.event.kind,
        "X-Signature-SHA256": signature(job.target.secret, payload),
    }
    response = await client.post(job.target.url, content=payload, headers=headers)
    code = response.status_code
    return Outcome(result_of_status(code), response.text, code)
