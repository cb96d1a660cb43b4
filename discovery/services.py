"""Writes of need discovery: the lead card with its history, qualification, confirmation, the
scenario a lead follows, its interests, and what extraction cost."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog.models import Service
from conversations.models import Contact
from core.data_sources import (
    LoadResult,
    SourceRecord,
    deactivate_missing,
    reject_duplicates,
    upsert,
)
from core.storable import storable_json, storable_text
from discovery.models import (
    ExtractionRun,
    LeadDiscovery,
    LeadFieldValue,
    Scenario,
    ScenarioField,
    ServiceInterest,
)
from discovery.signals import lead_card_changed, lead_card_confirmed
from discovery.validation import CheckedValue

logger = logging.getLogger(__name__)

DECLINED = {"declined": True}


def _declined_display() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("declined to say")


def lead_card_record(
    *,
    contact_id: int,
    values: dict[str, CheckedValue],
    declined: tuple[str, ...] = (),
    message_id: int | None = None,
) -> list[str]:
    """Put new values on the card; an equal value is not repeated. Returns the changed keys.

    A refusal is kept as a value of its own, so the assistant stops asking and staff see it;
    a value given later replaces the refusal.
    """
    entries = {
        key: (storable_json(checked.value), storable_text(checked.display))
        for key, checked in values.items()
    }
    current = _current_values(contact_id)
    for key in declined:
        if key not in entries and key not in current:
            entries[key] = (DECLINED, _declined_display())
    changed = [key for key, (value, _display) in entries.items() if current.get(key) != value]
    if not changed:
        return []
    with transaction.atomic():
        LeadFieldValue.objects.filter(
            contact_id=contact_id, key__in=changed, is_current=True
        ).update(is_current=False)
        LeadFieldValue.objects.bulk_create(
            LeadFieldValue(
                contact_id=contact_id,
                key=key,
                value=entries[key][0],
                display=entries[key][1][:500],
                source_message_id=message_id,
            )
            for key in changed
        )
        lead_card_changed.send(sender=LeadFieldValue, contact_id=contact_id, keys=changed)
    logger.info("Lead card of contact %s: %s", contact_id, ", ".join(sorted(changed)))
    return changed


def _current_values(contact_id: int) -> dict[str, object]:
    rows = LeadFieldValue.objects.filter(contact_id=contact_id, is_current=True)
    return dict(rows.values_list("key", "value"))


def lead_qualify(*, contact_id: int) -> bool:
    """Mark a new lead qualified (all required fields known); True when it changed now.

    Saved through the model, so the analytics funnel moves the lead on in the same transaction.
    """
    with transaction.atomic():
        new = Contact.objects.select_for_update().filter(pk=contact_id, status=Contact.Status.NEW)
        contact = new.first()
        if contact is None:
            return False
        contact.status, contact.qualified_at = Contact.Status.QUALIFIED, timezone.now()
        contact.save(update_fields=["status", "qualified_at", "updated_at"])
    logger.info("Lead qualified: contact %s", contact_id)
    return True


def _summarised(contact_id: int):
    """The lead's discovery row when the person was shown the summary of their card: only a
    lead qualified by a scenario is."""
    return LeadDiscovery.objects.filter(
        contact_id=contact_id, contact__qualified_at__isnull=False, scenario__isnull=False
    )


def lead_card_confirm(*, contact_id: int) -> bool:
    """The person confirmed the summary of their card; False when there is none to confirm.

    Whatever button data arrives, only a summarised card can be confirmed; a second press
    keeps the first time.
    """
    summarised = _summarised(contact_id)
    with transaction.atomic():
        now = timezone.now()
        if summarised.filter(card_confirmed_at__isnull=True).update(card_confirmed_at=now):
            lead_card_confirmed.send(sender=LeadDiscovery, contact_id=contact_id)
    return summarised.exists()


def lead_card_reopen(*, contact_id: int) -> bool:
    """A summarised card changed: the person confirms it anew. False when none was shown."""
    return bool(_summarised(contact_id).update(card_confirmed_at=None))


def contact_set_scenario(*, contact_id: int, scenario_id: int | None) -> None:
    """The scenario the lead's card follows; the lead's discovery row begins here."""
    discovery, created = LeadDiscovery.objects.get_or_create(
        contact_id=contact_id, defaults={"scenario_id": scenario_id}
    )
    if not created and discovery.scenario_id != scenario_id:
        discovery.scenario_id = scenario_id
        discovery.save(update_fields=["scenario"])


def contact_record_interest(*, contact_id: int, service_id: int) -> None:
    """The lead pressed "I'm interested"; pressing again keeps the first interest's place."""
    ServiceInterest.objects.get_or_create(contact_id=contact_id, service_id=service_id)
    logger.info("Contact %s is interested in service %s", contact_id, service_id)


def extraction_run_record(
    *,
    contact_id: int,
    message_id: int | None,
    model_name: str,
    status: str,
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
    tokens_estimated: bool = False,
    latency_ms: int | None = None,
    error: str = "",
    values_saved: int = 0,
) -> int:
    """Keep the cost and outcome of one extraction call, like a reply's."""
    with transaction.atomic():  # the analytics rollup counts its tokens in the same one
        run = ExtractionRun.objects.create(
            contact_id=contact_id,
            message_id=message_id,
            model_name=model_name,
            status=status,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            tokens_estimated=tokens_estimated,
            latency_ms=latency_ms,
            error=storable_text(error)[:500],
            values_saved=values_saved,
        )
    return run.pk


# --- Loading scenarios from a file or URL ----------------------------------------------------

SCENARIO_KEYS = (
    "slug",
    "name",
    "applies_to",
    "source",
    "service",
    "guidance",
    "is_active",
    "position",
    "fields",
)
FIELD_KEYS = ("key", "type", "label", "hint", "choices", "required", "position")


@dataclass
class ScenarioLoadResult(LoadResult):
    """Fields are deleted (they have no "active" flag), so that count is shown too."""

    deleted: int = 0

    def __str__(self):
        return _("%(counts)s, %(deleted)d fields deleted") % {
            "counts": super().__str__(),
            "deleted": self.deleted,
        }


@dataclass(frozen=True)
class _ScenarioRow:
    record: SourceRecord
    slug: str
    values: dict
    fields: list[tuple[str, dict]]


def scenarios_load(
    *, records: list[SourceRecord], update: bool = True, prune: bool = False
) -> ScenarioLoadResult:
    """Create or update scenarios (by slug) and their fields (by scenario and key).

    Every record is checked before the first write. A scenario is one unit for staff: when
    only creating (`update=False`), an existing scenario keeps its fields exactly as staff left
    them, so a field they deleted is not brought back on the next start. Fields the source
    no longer lists are deleted only with `prune`, since deleting loses their labels and hints.
    """
    services = dict(Service.objects.values_list("slug", "pk"))
    rows = [_scenario_row(record, services) for record in records]
    reject_duplicates(records, [(row.slug,) for row in rows])
    _reject_second_default(rows)
    existing = {(scenario.slug,): scenario for scenario in Scenario.objects.all()}
    fields: dict[int, dict[str, ScenarioField]] = {}
    for field in ScenarioField.objects.all():
        fields.setdefault(field.scenario_id, {})[field.key] = field
    result = ScenarioLoadResult()
    _settle_default(rows, existing, update=update, result=result)
    for row in rows:
        is_new = (row.slug,) not in existing
        scenario = upsert(
            model=Scenario,
            existing=existing,
            key=(row.slug,),
            lookup={"slug": row.slug},
            values=row.values,
            update=update,
            result=result,
        )
        if is_new or update:
            _load_fields(scenario, row.fields, fields.get(scenario.pk, {}), prune, result)
        else:
            result.unchanged += len(row.fields)
    if prune:
        deactivate_missing(existing=existing, kept={(row.slug,) for row in rows}, result=result)
    return result


def _reject_second_default(rows: list[_ScenarioRow]) -> None:
    defaults = [row for row in rows if _is_active_default(**row.values)]
    if len(defaults) > 1:
        raise defaults[1].record.error(
            _("only one default scenario can be active; %(slug)s is already.")
            % {"slug": defaults[0].slug}
        )


def _is_active_default(*, applies_to: str, is_active: bool, **_values) -> bool:
    return applies_to == Scenario.AppliesTo.DEFAULT and is_active


def _settle_default(rows, existing: dict, *, update: bool, result: ScenarioLoadResult) -> None:
    """Keep one active default scenario, as the admin does.

    On update the source's default wins and any other is switched off; when only creating,
    a default staff already run stays, and the shipped one arrives switched off.
    """
    default = next((row for row in rows if _is_active_default(**row.values)), None)
    if default is None:
        return
    others = [
        scenario
        for key, scenario in existing.items()
        if key != (default.slug,)
        and _is_active_default(applies_to=scenario.applies_to, is_active=scenario.is_active)
    ]
    if not update:
        if others and (default.slug,) not in existing:
            default.values["is_active"] = False
        return
    for scenario in others:
        scenario.is_active = False
        scenario.save(update_fields=["is_active", "updated_at"])
        result.updated += 1


def _load_fields(
    scenario: Scenario,
    rows: list[tuple[str, dict]],
    existing: dict[str, ScenarioField],
    prune: bool,
    result: ScenarioLoadResult,
) -> None:
    existing = dict(existing)
    for key, values in rows:
        field = existing.pop(key, None)
        if field is None:
            ScenarioField.objects.create(scenario=scenario, key=key, **values)
            result.created += 1
            continue
        changed = [name for name, value in values.items() if getattr(field, name) != value]
        for name in changed:
            setattr(field, name, values[name])
        if changed:
            field.save(update_fields=changed)
            result.updated += 1
        else:
            result.unchanged += 1
    if prune and existing:
        ScenarioField.objects.filter(pk__in=[field.pk for field in existing.values()]).delete()
        result.deleted += len(existing)


def _scenario_row(record: SourceRecord, services: dict[str, int]) -> _ScenarioRow:
    record.check_fields(SCENARIO_KEYS)
    slug = record.text("slug", required=True)
    applies_to = record.text("applies_to", default=Scenario.AppliesTo.DEFAULT)
    values = {
        "name": record.text("name", required=True),
        "applies_to": applies_to,
        "source": "",
        "service_id": None,
        "guidance": record.language_map("guidance"),
        "is_active": record.boolean("is_active", default=True),
        "position": record.integer("position", default=0),
    }
    if applies_to == Scenario.AppliesTo.SOURCE:
        values["source"] = record.text("source", required=True)
    if applies_to == Scenario.AppliesTo.SERVICE:
        values["service_id"] = _service_id(record, services)
    record.validate(Scenario(slug=slug, **values), exclude=["service"])
    return _ScenarioRow(record, slug, values, _field_rows(record))


def _service_id(record: SourceRecord, services: dict[str, int]) -> int:
    slug = record.text("service", required=True)
    if slug not in services:
        raise record.error(
            _("no service with slug “%(slug)s” in the catalog; load the catalog first.")
            % {"slug": slug}
        )
    return services[slug]


def _field_rows(record: SourceRecord) -> list[tuple[str, dict]]:
    items = record.data.get("fields") or []
    if not isinstance(items, list):
        raise record.error(_("“fields” must be a list."))
    children = [
        record.child(item, _("field %d") % number) for number, item in enumerate(items, start=1)
    ]
    rows = [_field_row(child, number) for number, child in enumerate(children, start=1)]
    reject_duplicates(children, [(key,) for key, _values in rows])
    return rows


def _field_row(record: SourceRecord, number: int) -> tuple[str, dict]:
    record.check_fields(FIELD_KEYS)
    key = record.text("key", required=True)
    field_type = record.text("type", required=True)
    if field_type not in ScenarioField.Type.values:
        raise record.error(
            _("type “%(type)s” is not one of: %(types)s.")
            % {"type": field_type, "types": ", ".join(ScenarioField.Type.values)}
        )
    choices = _choices(record)
    if field_type == ScenarioField.Type.CHOICE and len(choices) < 2:
        raise record.error(_("a choice from a list needs at least two choices."))
    values = {
        "field_type": field_type,
        "labels": record.language_map("label"),
        "hints": record.language_map("hint"),
        "choices": "\n".join(choices),
        "required": record.boolean("required", default=True),
        "position": record.integer("position", default=number),
    }
    record.validate(ScenarioField(key=key, **values), exclude=["scenario"])
    return key, values


def _choices(record: SourceRecord) -> list[str]:
    """A list, or one text with an option per line (as the admin's box takes them)."""
    value = record.data.get("choices") or []
    items = value.splitlines() if isinstance(value, str) else value
    if not isinstance(items, list) or not all(
        isinstance(item, str | int | float) and not isinstance(item, bool) for item in items
    ):
        raise record.error(_("“choices” must be a list of texts."))
    return [str(item).strip() for item in items if str(item).strip()]
