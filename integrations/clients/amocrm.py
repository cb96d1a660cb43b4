"""amoCRM through API v4 with a long-lived token: the lead (a deal) with its contact, custom
fields from the card, and a note with the card's summary.

The first event of a lead adds both at once (`POST /api/v4/leads/complex`) and keeps their ids
(`CrmRecord`); later events update the deal (`PATCH /api/v4/leads/{id}`) and, when the person
shared a phone or e-mail, the contact (`PATCH /api/v4/contacts/{id}`). Qualification,
confirmation and a handoff add a note to the deal (`POST /api/v4/leads/{id}/notes`). The
token is the integration's secret, sent as `Authorization: Bearer`. 429 and 5xx are tried
again; other errors (401: the token was revoked; 400: a field amoCRM refuses) are final.
"""

from __future__ import annotations

import httpx
from django.conf import settings
from django.utils import translation

from integrations.clients.common import card_summary, lead_title, mapped_fields, result_of_status
from integrations.models import LeadEvent
from integrations.selectors import DeliveryJob
from integrations.services import Outcome, Result

#: Events that add a note to the deal: where staff want the card at a glance.
NOTE_EVENTS = frozenset(
    {LeadEvent.Kind.QUALIFIED, LeadEvent.Kind.CONFIRMED, LeadEvent.Kind.HANDED_OVER}
)


def deal_fields(job: DeliveryJob) -> dict:
    fields: dict = {"name": lead_title(job.event.lead)}
    custom = [
        {"field_id": int(field_id), "values": [{"value": value}]}
        for field_id, value in mapped_fields(job).items()
    ]
    if custom:
        fields["custom_fields_values"] = custom
    return fields


def contact_fields(job: DeliveryJob) -> dict:
    lead = job.event.lead
    fields: dict = {"first_name": lead["first_name"], "last_name": lead["last_name"]}
    channels = [
        {"field_code": code, "values": [{"value": lead[key], "enum_code": "WORK"}]}
        for code, key in (("PHONE", "phone"), ("EMAIL", "email"))
        if lead[key]
    ]
    if channels:
        fields["custom_fields_values"] = channels
    return fields


def note_text(job: DeliveryJob) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        happened = str(LeadEvent.Kind(job.event.kind).label)
    return "\n".join(part for part in (happened, card_summary(job.event.lead)) if part)


async def send(client: httpx.AsyncClient, job: DeliveryJob) -> Outcome:
    """Add or update the deal (and contact), then the note; a deal added here keeps its ids in
    the outcome whatever the note's fate, so a retry updates it rather than adding another."""
    base = f"{job.target.url.rstrip('/')}/api/v4"
    headers = {"Authorization": f"Bearer {job.target.secret}"}
    new_ids = ("", "")
    if job.external_id:
        lead_id, contact_id = job.external_id, job.external_contact_id
        steps = [("PATCH", f"{base}/leads/{lead_id}", deal_fields(job))]
        if job.event.kind == LeadEvent.Kind.CONTACT_SHARED and contact_id:
            steps.append(("PATCH", f"{base}/contacts/{contact_id}", contact_fields(job)))
    else:
        deal = {**deal_fields(job), "_embedded": {"contacts": [contact_fields(job)]}}
        outcome, answer = await _call(client, "POST", f"{base}/leads/complex", [deal], headers)
        added = _added_ids(answer)
        if outcome.result is not Result.DELIVERED or added is None:
            return _not_added(outcome, added)
        lead_id, contact_id = new_ids = added
        steps = []
    if job.event.kind in NOTE_EVENTS:
        note = [{"note_type": "common", "params": {"text": note_text(job)}}]
        steps.append(("POST", f"{base}/leads/{lead_id}/notes", note))
    for method, url, body in steps:
        outcome, _answer = await _call(client, method, url, body, headers)
        if outcome.result is not Result.DELIVERED:
            break
    return Outcome(outcome.result, outcome.response, outcome.response_code, *new_ids)


async def _call(client, method: str, url: str, body, headers) -> tuple[Outcome, object]:
    response = await client.request(method, url, json=body, headers=headers)
    code = response.status_code
    try:
        answer = response.json()
    except ValueError:
        answer = None
    result = result_of_status(code)
    if result is Result.DELIVERED and answer is None:
        result = Result.RETRY  # not amoCRM's answer (a proxy's page?)
    return Outcome(result, response.text, code), answer


def _added_ids(answer) -> tuple[str, str] | None:
    """The deal's and the contact's id from `leads/complex`' answer: `[{"id", "contact_id"}]`."""
    if isinstance(answer, list) and answer and isinstance(answer[0], dict) and "id" in answer[0]:
        return str(answer[0]["id"]), str(answer[0].get("contact_id") or "")
    return None


def _not_added(outcome: Outcome, added) -> Outcome:
    if outcome.result is Result.DELIVERED:  # 2xx, yet no ids: not the answer amoCRM gives
        return Outcome(Result.RETRY, outcome.response, outcome.response_code)
    return outcome
