"""Bitrix24 through an incoming webhook: `crm.lead.add` for a lead's first event, then
`crm.lead.update` of the lead it created (its id is kept in `CrmRecord`).

The webhook's address is `https://<portal>/rest/<user>/<code>/`; the integration keeps the part
before the code as its URL and the code as its secret, so the code is stored encrypted and
never shown. A method's answer is `{"result": ...}` or `{"error", "error_description"}`;
QUERY_LIMIT_EXCEEDED (503) and server errors are tried again, other errors are final.
"""

from __future__ import annotations

import httpx

from integrations.clients.common import card_summary, lead_title, mapped_fields, result_of_status
from integrations.models import LeadEvent
from integrations.selectors import DeliveryJob
from integrations.services import Outcome, Result

#: Errors Bitrix24 answers while it is busy: the same request succeeds later.
_BUSY = frozenset({"QUERY_LIMIT_EXCEEDED", "OVERLOAD_LIMIT", "INTERNAL_SERVER_ERROR"})


def method_url(job: DeliveryJob, method: str) -> str:
    return f"{job.target.url.rstrip('/')}/{job.target.secret}/{method}.json"


def lead_fields(job: DeliveryJob) -> dict[str, object]:
    """The lead's fields: its name, where it came from, the card in COMMENTS and the mapped
    fields. Phones and e-mails are multi-fields that Bitrix24 adds to, so they are sent when
    the lead is added and when the person shared them, not with every update."""
    lead = job.event.lead
    bot = lead["bot"]
    source = ", ".join(part for part in (bot and f"@{bot['username']}", lead["source"]) if part)
    fields: dict[str, object] = {
        "TITLE": lead_title(lead),
        "NAME": lead["first_name"],
        "LAST_NAME": lead["last_name"],
        "SOURCE_DESCRIPTION": source,
        "COMMENTS": card_summary(lead),
    }
    if not job.external_id or job.event.kind == LeadEvent.Kind.CONTACT_SHARED:
        if lead["phone"]:
            fields["PHONE"] = [{"VALUE": lead["phone"], "VALUE_TYPE": "WORK"}]
        if lead["email"]:
            fields["EMAIL"] = [{"VALUE": lead["email"], "VALUE_TYPE": "WORK"}]
    return {**fields, **mapped_fields(job)}


async def send(client: httpx.AsyncClient, job: DeliveryJob) -> Outcome:
    """Add the lead, or update the one added before; the added lead's id comes back in the
    outcome (`result`), an update's `result` is `true`."""
    fields = lead_fields(job)
    if job.external_id:
        payload = {"id": int(job.external_id), "fields": fields}
        return await _call(client, method_url(job, "crm.lead.update"), payload)
    payload = {"fields": fields, "params": {"REGISTER_SONET_EVENT": "Y"}}
    return await _call(client, method_url(job, "crm.lead.add"), payload)


async def _call(client: httpx.AsyncClient, url: str, payload: dict) -> Outcome:
    response = await client.post(url, json=payload)
    code = response.status_code
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict) and "error" in answer:
        error = str(answer["error"])
        busy = error in _BUSY or result_of_status(code) is Result.RETRY
        text = f"{error}: {answer.get('error_description', '')}"
        return Outcome(Result.RETRY if busy else Result.REJECTED, text, code)
    if code == 200 and isinstance(answer, dict) and "result" in answer:
        result = answer["result"]
        new_id = "" if isinstance(result, bool) else str(result)
        return Outcome(Result.DELIVERED, response.text, code, new_id)
    # Not Bitrix24's answer (a proxy's page?): no delivery, even with status 200.
    unknown = result_of_status(code)
    return Outcome(Result.RETRY if unknown is Result.DELIVERED else unknown, response.text, code)
