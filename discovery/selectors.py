"""Reads of scenarios, lead cards and interests, shared by the assistant (async, plain data),
the admin and the lead export."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.utils import translation

from catalog.models import Service
from conversations.models import Contact
from conversations.selectors import iso_utc
from core.config_cache import cached_config
from core.languages import localized
from discovery.models import LeadDiscovery, LeadFieldValue, Scenario, ScenarioField, ServiceInterest


@dataclass(frozen=True)
class FieldInfo:
    """One field to learn, detached from the ORM for the async pipeline."""

    key: str
    field_type: str
    labels: Mapping[str, str]
    hints: Mapping[str, str]
    choices: tuple[str, ...]
    required: bool

    def label(self, language: str | None) -> str:
        return localized(self.labels, language) or self.key

    def hint(self, language: str | None) -> str:
        return localized(self.hints, language)


@dataclass(frozen=True)
class ScenarioInfo:
    """The scenario the assistant follows with a lead, fields in the order to ask them."""

    id: int
    slug: str
    name: str
    guidance: Mapping[str, str]
    fields: tuple[FieldInfo, ...]

    def guidance_in(self, language: str | None) -> str:
        return localized(self.guidance, language)


@dataclass(frozen=True)
class CardEntry:
    """A line of the lead card: a field and its current value, if the lead told it."""

    key: str
    label: str
    required: bool
    display: str
    created_at: datetime | None
    source_message_id: int | None

    @property
    def is_known(self) -> bool:
        return self.created_at is not None


@dataclass(frozen=True)
class CardChange:
    """One change of a lead card value; `old_display` is "" for the first value of a field."""

    key: str
    label: str
    old_display: str
    new_display: str
    created_at: datetime
    source_message_id: int | None


def scenario_info(*, scenario_id: int) -> ScenarioInfo:
    return _info(Scenario.objects.get(pk=scenario_id))


def scenario_for_contact(*, contact_id: int) -> ScenarioInfo | None:
    """The active scenario for a lead: by service interest, else by source, else the default.

    Among several services the most recent interest wins: interests are numbered as they are
    added (pressing "I'm interested" again keeps the first one's place). Without any active
    scenario this reads nothing but the (cached) scenario list.
    """
    active = _active_scenarios()
    by_source = any(s.applies_to == Scenario.AppliesTo.SOURCE for s in active)
    by_bot = any(s.bot_id is not None for s in active)
    source, bot_id = (
        Contact.objects.values_list("source", "bot_id").get(pk=contact_id)
        if by_source or by_bot
        else ("", None)
    )
    return _applying_scenario(contact_id, source, bot_id)


@dataclass(frozen=True)
class _ActiveScenario:
    applies_to: str
    source: str
    service_id: int | None
    #: Only for this bot's leads; None: for every bot's.
    bot_id: int | None
    info: ScenarioInfo


@cached_config
def _active_scenarios() -> tuple[_ActiveScenario, ...]:
    """The active scenarios in the staff's order, with their fields."""
    return tuple(
        _ActiveScenario(
            scenario.applies_to,
            scenario.source,
            scenario.service_id,
            scenario.bot_id,
            _info(scenario),
        )
        for scenario in Scenario.objects.filter(is_active=True)
    )


def _applying_scenario(contact_id: int, source: str, bot_id: int | None) -> ScenarioInfo | None:
    """Among the scenarios for the lead's bot, the best applying; a bot's own scenario wins
    over a shared one of the same kind."""
    active = [s for s in _active_scenarios() if s.bot_id in (None, bot_id)]
    services = {s.service_id for s in active if s.applies_to == Scenario.AppliesTo.SERVICE}
    interests = dict(
        ServiceInterest.objects.filter(contact_id=contact_id, service_id__in=services).values_list(
            "service_id", "pk"
        )
        if services
        else ()
    )
    ranked = [
        ((*rank, scenario.bot_id is None), scenario.info)
        for scenario in active
        if (rank := _rank(scenario, source, interests)) is not None
    ]
    # min() keeps the first of equals: ties follow the model's (position, name) order.
    return min(ranked, key=lambda pair: pair[0], default=(None, None))[1]


def _rank(scenario: _ActiveScenario, source: str, interests: dict[int, int]):
    """How well `scenario` applies (lower is better), or None if it does not."""
    if scenario.applies_to == Scenario.AppliesTo.SERVICE:
        interest_id = interests.get(scenario.service_id)
        return None if interest_id is None else (0, -interest_id)
    if scenario.applies_to == Scenario.AppliesTo.SOURCE:
        return (1, 0) if source and scenario.source == source else None
    return 2, 0


def _info(scenario: Scenario) -> ScenarioInfo:
    fields = ScenarioField.objects.filter(scenario=scenario).order_by("position", "id")
    return ScenarioInfo(
        id=scenario.pk,
        slug=scenario.slug,
        name=scenario.name,
        guidance=dict(scenario.guidance or {}),
        fields=tuple(
            FieldInfo(
                key=field.key,
                field_type=field.field_type,
                labels=dict(field.labels or {}),
                hints=dict(field.hints or {}),
                choices=tuple(field.choice_list()),
                required=field.required,
            )
            for field in fields
        ),
    )


def lead_card_scenario(*, contact_id: int) -> ScenarioInfo | None:
    """The scenario a lead's card follows: the one the assistant used, else the one that applies."""
    scenario_id, source, bot_id = Contact.objects.values_list(
        "discovery__scenario_id", "source", "bot_id"
    ).get(pk=contact_id)
    if scenario_id is not None:
        return scenario_info(scenario_id=scenario_id)
    return _applying_scenario(contact_id, source, bot_id)


def lead_card(
    *,
    contact_id: int,
    scenario: ScenarioInfo | None = None,
    language: str | None = None,
) -> list[CardEntry]:
    """Current values in the scenario's field order; empty fields too, so staff see the gaps.

    Values of fields the scenario no longer lists (it was edited or changed) follow at the
    end, so nothing the person said is hidden.
    """
    scenario = scenario or lead_card_scenario(contact_id=contact_id)
    rows = LeadFieldValue.objects.filter(contact_id=contact_id, is_current=True)
    return _entries(scenario, rows, language or translation.get_language())


@dataclass(frozen=True)
class LeadCardPanel:
    """Everything the admin shows about a lead's card, read with one query for the values."""

    scenario: ScenarioInfo | None
    entries: list[CardEntry]
    history: list[CardChange]
    qualified_at: datetime | None
    card_confirmed_at: datetime | None

    @property
    def missing_required(self) -> list[str]:
        return [entry.label for entry in self.entries if entry.required and not entry.is_known]


def lead_card_panel(*, contact: Contact) -> LeadCardPanel:
    discovery = LeadDiscovery.objects.select_related("scenario").filter(contact=contact).first()
    if discovery is not None and discovery.scenario is not None:
        scenario = _info(discovery.scenario)
    else:
        scenario = _applying_scenario(contact.pk, contact.source, contact.bot_id)
    language = translation.get_language()
    rows = list(LeadFieldValue.objects.filter(contact=contact).order_by("created_at", "id"))
    return LeadCardPanel(
        scenario=scenario,
        entries=_entries(scenario, [row for row in rows if row.is_current], language),
        history=_changes(scenario, rows, language),
        qualified_at=contact.qualified_at,
        card_confirmed_at=discovery.card_confirmed_at if discovery else None,
    )


def _entries(scenario: ScenarioInfo | None, rows, language: str) -> list[CardEntry]:
    current = {row.key: row for row in rows}
    displays = _displays(scenario, current, language)
    lines = [(f.key, f.label(language), f.required) for f in (scenario.fields if scenario else ())]
    listed = {key for key, _label, _required in lines}
    lines += [(key, key, False) for key in sorted(current.keys() - listed)]
    return [
        _card_entry(key, label, required, current.get(key), displays.get(key, ""))
        for key, label, required in lines
    ]


def _displays(
    scenario: ScenarioInfo | None, current: dict[str, LeadFieldValue], language: str
) -> dict[str, str]:
    """How each value reads. A service from the catalog is named in `language`: the person
    chose it in theirs, and staff read the card in the site language."""
    displays = {key: row.display for key, row in current.items()}
    fields = scenario.fields if scenario else ()
    service_keys = {f.key for f in fields if f.field_type == ScenarioField.Type.SERVICE}
    service_ids = {
        key: row.value["id"]
        for key, row in current.items()
        if key in service_keys and isinstance(row.value, dict) and "id" in row.value
    }
    if service_ids:
        services = Service.objects.in_bulk(service_ids.values())
        for key, service_id in service_ids.items():
            if service_id in services:
                displays[key] = services[service_id].title_in(language) or displays[key]
    return displays


def _card_entry(
    key: str, label: str, required: bool, row: LeadFieldValue | None, display: str
) -> CardEntry:
    return CardEntry(
        key=key,
        label=label,
        required=required,
        display=display,
        created_at=row.created_at if row else None,
        source_message_id=row.source_message_id if row else None,
    )


def _changes(scenario: ScenarioInfo | None, rows, language: str) -> list[CardChange]:
    """`rows` oldest first; each change is paired with the field's value before it."""
    labels = {field.key: field.label(language) for field in scenario.fields} if scenario else {}
    previous: dict[str, str] = {}
    changes = []
    for row in rows:
        changes.append(
            CardChange(
                key=row.key,
                label=labels.get(row.key, row.key),
                old_display=previous.get(row.key, ""),
                new_display=row.display,
                created_at=row.created_at,
                source_message_id=row.source_message_id,
            )
        )
        previous[row.key] = row.display
    return changes[::-1]


@dataclass(frozen=True)
class CardColumn:
    """A lead-card field as an export column."""

    key: str
    label: str


def card_columns(*, language: str | None = None) -> list[CardColumn]:
    """One column per field key of every scenario, in the scenarios' order, then the fields'.

    A key that several scenarios ask for is one column, since a lead holds one value per
    key; it is labelled as the first scenario labels it. Inactive scenarios count too: their
    leads keep their values.
    """
    language = language or translation.get_language()
    fields = ScenarioField.objects.order_by(
        "scenario__position", "scenario__name", "scenario_id", "position", "id"
    ).values_list("key", "labels")
    columns: dict[str, CardColumn] = {}
    for key, labels in fields:
        if key not in columns:
            columns[key] = CardColumn(key=key, label=localized(labels or {}, language) or key)
    return list(columns.values())


def current_cards_by_contact(*, contacts, chunk_size: int) -> Iterator[tuple[int, dict[str, str]]]:
    """(lead id, {key: display}) for the leads in the queryset `contacts`, highest id first.

    An export walks these alongside its leads, so a lead's card costs no query of its own.
    """
    rows = (
        LeadFieldValue.objects.filter(is_current=True, contact__in=contacts.values("pk"))
        .order_by("-contact_id")
        .values_list("contact_id", "key", "display")
        .iterator(chunk_size=chunk_size)
    )
    for contact_id, values in groupby(rows, key=itemgetter(0)):
        yield contact_id, {key: display for _id, key, display in values}


def contact_interests(*, contact_id: int, language: str) -> list[str]:
    """Titles, in `language`, of the services the lead pressed "I'm interested" on."""
    services = Service.objects.filter(interests__contact_id=contact_id).order_by("position", "id")
    return [service.title_in(language) for service in services]


def interests_by_contact(*, contacts, chunk_size: int) -> Iterator[tuple[int, list[str]]]:
    """(lead id, service titles in the site language) for the leads in the queryset `contacts`,
    highest id first.

    An export walks these alongside its leads, so a lead's interests cost no query of their own.
    """
    rows = (
        ServiceInterest.objects.filter(contact__in=contacts.values("pk"))
        .order_by("-contact_id", "service__position", "service_id")
        .values_list("contact_id", "service__titles")
        .iterator(chunk_size=chunk_size)
    )
    for contact_id, services in groupby(rows, key=itemgetter(0)):
        yield contact_id, [localized(titles, settings.LANGUAGE_CODE) for _id, titles in services]


def declined_keys(*, contact_id: int) -> set[str]:
    """Fields the lead refused to tell: not asked again, and not counted as known."""
    rows = LeadFieldValue.objects.filter(
        contact_id=contact_id, is_current=True, value__declined=True
    )
    return set(rows.values_list("key", flat=True))


def lead_personal_data(*, contact_id: int) -> dict:
    """What this app keeps about the person of a lead, ready for JSON (with
    `conversations.selectors.personal_data`): every value of the lead card, oldest first
    (a change adds a row), and the services they were interested in."""
    values = LeadFieldValue.objects.filter(contact_id=contact_id).order_by("created_at", "id")
    interests = ServiceInterest.objects.filter(contact_id=contact_id).select_related("service")
    return {
        "lead_card": [
            {
                "field": row.key,
                "value": row.display,
                "current": row.is_current,
                "time": iso_utc(row.created_at),
            }
            for row in values
        ],
        "interests": [
            {
                "service": interest.service.title_in(settings.LANGUAGE_CODE),
                "time": iso_utc(interest.created_at),
            }
            for interest in interests.order_by("created_at", "id")
        ],
    }
