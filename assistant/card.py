"""Keeping the lead card up to date after each message, without holding up the answer.

The use case starts `update_card` beside the streamed reply and collects its outcome after
the reply is out, so extraction never delays what the person sees. Any failure is recorded as
an extraction run and logged; the next message tries again with the recent history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assistant.extraction import ExtractionResult, FieldRequest, extract
from assistant.gateway import ClientPool, ModelSpec
from assistant.selectors import model_spec_for
from catalog.selectors import active_services
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from core.db import db_call
from discovery import selectors as discovery_selectors
from discovery import services as discovery_services
from discovery.selectors import CardEntry, ScenarioInfo
from discovery.validation import CatalogChoice, CheckedValue, InvalidValue, check_value

if TYPE_CHECKING:
    from assistant.usecases.exchange import Turn

logger = logging.getLogger(__name__)

CONTACT_FIELD_TYPES = ("phone", "email")


@dataclass(frozen=True)
class CardOutcome:
    """What changed; when the person must confirm the card (again), the summary to send.

    `corrections` are the changes of a card the person was already shown ("Budget: 50 000 RUB
    → 70 000 RUB"), so staff learn what changed and the person confirms anew.
    """

    changed: tuple[str, ...] = ()
    qualified_now: bool = False
    summary: str = ""
    corrections: tuple[str, ...] = ()

    @property
    def needs_confirmation(self) -> bool:
        return self.qualified_now or bool(self.corrections)


@dataclass(frozen=True)
class _Context:
    scenario: ScenarioInfo
    spec: ModelSpec
    requests: list[FieldRequest]
    known: dict[str, str]
    history: list[tuple[str, str]]
    services: list[CatalogChoice]


def _context(turn: Turn, scenario: ScenarioInfo) -> _Context | None:
    discovery_services.contact_set_scenario(contact_id=turn.contact.id, scenario_id=scenario.id)
    if not scenario.fields:
        return None
    contact = conversation_selectors.contact_info(contact_id=turn.contact.id)
    spec, _replaced = model_spec_for(contact_id=contact.id, bot_id=contact.bot_id)
    if spec is None:
        return None
    _copy_contact_details(contact, scenario, turn.message_id)
    language = contact.language_code
    services = [
        CatalogChoice(service.id, service.title, service.all_titles)
        for service in active_services(language=language, bot_id=contact.bot_id)
    ]
    card = discovery_selectors.lead_card(
        contact_id=contact.id, scenario=scenario, language=language
    )
    history = conversation_selectors.conversation_history(
        conversation_id=turn.conversation_id, limit=12, up_to_message_id=turn.message_id
    )
    return _Context(
        scenario=scenario,
        spec=spec,
        requests=[_request(field, language, services) for field in scenario.fields],
        known={entry.key: entry.display for entry in card if entry.is_known},
        history=[(item.role, item.text) for item in history],
        services=services,
    )


def _request(field, language: str, services: list[CatalogChoice]) -> FieldRequest:
    choices = field.choices
    if field.field_type == "service":
        choices = tuple(service.title for service in services)
    return FieldRequest(
        key=field.key,
        field_type=field.field_type,
        label=field.label(language),
        hint=field.hint(language),
        required=field.required,
        choices=choices,
    )


def _copy_contact_details(contact, scenario: ScenarioInfo, message_id: int) -> None:
    """A phone or e-mail shared with the button belongs on the card too."""
    found = {"phone": contact.phone, "email": contact.email}
    values = {
        field.key: CheckedValue(found[field.field_type], found[field.field_type])
        for field in scenario.fields
        if field.field_type in CONTACT_FIELD_TYPES and found[field.field_type]
    }
    if values:
        discovery_services.lead_card_record(
            contact_id=contact.id, values=values, message_id=message_id
        )


def _apply(turn: Turn, context: _Context, result: ExtractionResult) -> CardOutcome:
    checked, rejected = _check(context, result)
    changed = []
    if result.proposal is not None:
        changed = discovery_services.lead_card_record(
            contact_id=turn.contact.id,
            values=checked,
            declined=result.proposal.declined,
            message_id=turn.message_id,
        )
        _sync_contact_details(turn, context, checked)
    if rejected:
        logger.info("Refused values for contact %s: %s", turn.contact.id, rejected)
    discovery_services.extraction_run_record(
        contact_id=turn.contact.id,
        message_id=turn.message_id,
        model_name=result.model_name,
        status=result.status,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        tokens_estimated=result.tokens_estimated,
        latency_ms=result.latency_ms,
        error=result.error or "; ".join(f"{key}: {reason}" for key, reason in rejected.items()),
        values_saved=len(changed),
    )
    if result.status != "ok":
        logger.warning("Lead card extraction %s: %s", result.status, result.error)
    return _qualify(turn, context.scenario, tuple(changed), context.known)


def _check(context: _Context, result: ExtractionResult):
    checked: dict[str, CheckedValue] = {}
    rejected: dict[str, str] = {}
    if result.proposal is None:
        return checked, rejected
    fields = {field.key: field for field in context.scenario.fields}
    today = timezone.localdate()
    for key, raw in result.proposal.values.items():
        try:
            checked[key] = check_value(
                fields[key].field_type,
                raw,
                today=today,
                choices=fields[key].choices,
                services=context.services,
            )
        except InvalidValue as error:
            rejected[key] = str(error)
    return checked, rejected


def _sync_contact_details(turn: Turn, context: _Context, checked: dict) -> None:
    """A phone or e-mail told in words reaches the lead's contact fields as well."""
    types = {field.key: field.field_type for field in context.scenario.fields}
    details = {
        types[key]: value.value
        for key, value in checked.items()
        if types[key] in CONTACT_FIELD_TYPES
    }
    if details:
        conversation_services.contact_record_details(
            contact_id=turn.contact.id,
            phone=details.get("phone"),
            email=details.get("email"),
            qualify=False,
        )


def _qualify(
    turn: Turn, scenario: ScenarioInfo, changed: tuple[str, ...], before: dict[str, str]
) -> CardOutcome:
    """Qualify a card that became complete; a summarised card that changed is shown again."""
    contact = conversation_selectors.contact_info(contact_id=turn.contact.id)
    card = discovery_selectors.lead_card(
        contact_id=contact.id, scenario=scenario, language=contact.language_code
    )
    declined = discovery_selectors.declined_keys(contact_id=contact.id)
    complete = all(entry.is_known and entry.key not in declined for entry in card if entry.required)
    if not complete:
        return CardOutcome(changed)
    summary = _summary(card, contact.language_code)
    if discovery_services.lead_qualify(contact_id=contact.id):
        return CardOutcome(changed, qualified_now=True, summary=summary)
    if not changed or not discovery_services.lead_card_reopen(contact_id=contact.id):
        return CardOutcome(changed)
    return CardOutcome(
        changed, summary=summary, corrections=_corrections(contact.id, scenario, changed, before)
    )


def _corrections(
    contact_id: int, scenario: ScenarioInfo, changed: tuple[str, ...], before: dict[str, str]
) -> tuple[str, ...]:
    """What changed, for staff: labels and new values in the site language, "old → new"."""
    card = discovery_selectors.lead_card(
        contact_id=contact_id, scenario=scenario, language=settings.LANGUAGE_CODE
    )
    return tuple(
        f"{entry.label}: {before.get(entry.key, '—')} → {entry.display}"
        for entry in card
        if entry.key in changed
    )


def _summary(card: list[CardEntry], language: str) -> str:
    with translation.override(language):
        lines = [_("Let me check that I got everything right:")]
        lines += [f"• {entry.label}: {entry.display}" for entry in card if entry.is_known]
        lines.append(_("Is everything correct?"))
    return "\n".join(lines)


async def update_card(turn: Turn, scenario: ScenarioInfo, *, clients: ClientPool) -> CardOutcome:
    """Read the latest message into the lead card of `scenario`; never raises."""
    try:
        context = await db_call(_context)(turn, scenario)
        if context is None:
            return CardOutcome()
        result = await extract(
            context.spec,
            context.requests,
            context.known,
            context.history,
            today=timezone.localdate(),
            timeout=settings.ASSISTANT_EXTRACTION_TIMEOUT,
            clients=clients,
        )
        return await db_call(_apply)(turn, context, result)
    except Exception:
        logger.exception("Lead card update failed for contact %s", turn.contact.id)
        return CardOutcome()


def _record_service_interest(turn: Turn, service_id: int, title: str) -> CardOutcome:
    scenario = discovery_selectors.scenario_for_contact(contact_id=turn.contact.id)
    field = (
        next((f for f in scenario.fields if f.field_type == "service"), None) if scenario else None
    )
    if field is None:
        return CardOutcome()
    discovery_services.contact_set_scenario(contact_id=turn.contact.id, scenario_id=scenario.id)
    language = turn.contact.language_code
    before = {
        entry.key: entry.display
        for entry in discovery_selectors.lead_card(
            contact_id=turn.contact.id, scenario=scenario, language=language
        )
        if entry.is_known
    }
    value = CheckedValue({"id": service_id, "title": title}, title)
    changed = discovery_services.lead_card_record(
        contact_id=turn.contact.id, values={field.key: value}, message_id=turn.message_id
    )
    return _qualify(turn, scenario, tuple(changed), before)


async def record_service_interest(turn: Turn, service_id: int, title: str) -> CardOutcome:
    """ "I'm interested" answers the scenario's service question, with the press as its source."""
    return await db_call(_record_service_interest)(turn, service_id, title)


async def confirm_card(contact_id: int) -> bool:
    """Confirm the card summary shown to the person; False when none was shown."""
    return await db_call(discovery_services.lead_card_confirm)(contact_id=contact_id)
