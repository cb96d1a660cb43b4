"""Which scenario a lead gets, texts in the lead's language, the lead card as staff read it, and
the lead's interests."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Contact
from discovery.models import LeadDiscovery, LeadFieldValue, Scenario
from discovery.selectors import (
    contact_interests,
    lead_card,
    lead_card_panel,
    lead_card_scenario,
    localized,
    scenario_for_contact,
    scenario_info,
)
from tests.factories import (
    ContactFactory,
    LeadFieldValueFactory,
    MessageFactory,
    ScenarioFactory,
    ScenarioFieldFactory,
    ServiceFactory,
    add_interests,
)

pytestmark = pytest.mark.django_db


def chosen_slug(contact):
    scenario = scenario_for_contact(contact_id=contact.pk)
    return scenario.slug if scenario else None


def value(contact, key, display, *, minutes_ago, current=True, message=None):
    row = LeadFieldValueFactory(
        contact=contact, key=key, display=display, is_current=current, source_message=message
    )
    LeadFieldValue.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return row


@pytest.fixture
def default():
    return ScenarioFactory(slug="default")


@pytest.fixture
def by_source():
    return ScenarioFactory(slug="ads", applies_to=Scenario.AppliesTo.SOURCE, source="ads_vk")


@pytest.fixture
def service():
    return ServiceFactory(slug="audit")


@pytest.fixture
def by_service(service):
    return ScenarioFactory(slug="audit", applies_to=Scenario.AppliesTo.SERVICE, service=service)


def test_a_lead_with_nothing_special_gets_the_default_scenario(default, by_source):
    assert chosen_slug(ContactFactory()) == "default"


def test_a_deep_link_source_beats_the_default(default, by_source):
    assert chosen_slug(ContactFactory(source="ads_vk")) == "ads"


def test_interest_in_a_service_beats_the_source(default, by_source, by_service, service):
    contact = ContactFactory(source="ads_vk")
    add_interests(contact, service)

    assert chosen_slug(contact) == "audit"


def test_the_most_recent_interest_decides_between_services(by_service, service):
    newer = ServiceFactory(slug="support")
    ScenarioFactory(slug="support", applies_to=Scenario.AppliesTo.SERVICE, service=newer)
    contact = ContactFactory()
    add_interests(contact, service, newer)

    assert chosen_slug(contact) == "support"


def test_an_interest_without_a_scenario_falls_back_to_an_earlier_one(by_service, service):
    contact = ContactFactory()
    add_interests(contact, service, ServiceFactory())

    assert chosen_slug(contact) == "audit"


def test_inactive_scenarios_are_ignored(default, by_source):
    Scenario.objects.filter(slug="ads").update(is_active=False)

    assert chosen_slug(ContactFactory(source="ads_vk")) == "default"


def test_no_active_scenario_means_none(default):
    Scenario.objects.update(is_active=False)

    assert chosen_slug(ContactFactory()) is None


def test_scenario_info_lists_fields_in_position_order_with_choices():
    scenario = ScenarioFactory()
    ScenarioFieldFactory(scenario=scenario, key="time", position=2, choices="Утро\n\n Вечер \n")
    ScenarioFieldFactory(scenario=scenario, key="name", position=1, required=False)

    info = scenario_info(scenario_id=scenario.pk)

    assert [(field.key, field.required) for field in info.fields] == [
        ("name", False),
        ("time", True),
    ]
    assert info.fields[1].choices == ("Утро", "Вечер")


def test_guidance_is_read_in_the_leads_language(default):
    info = scenario_info(scenario_id=default.pk)

    assert info.guidance_in("en") == "Find out the task."


def test_a_regional_language_code_uses_its_base_language(default):
    assert scenario_info(scenario_id=default.pk).guidance_in("en-US") == "Find out the task."


def test_a_language_without_text_falls_back_to_the_site_language(settings, default):
    settings.LANGUAGE_CODE = "ru"

    assert scenario_info(scenario_id=default.pk).guidance_in("de") == "Выясни задачу."


def test_a_text_missing_everywhere_is_empty():
    assert localized({}, None) == ""


def test_a_label_missing_in_every_language_shows_the_key(default):
    ScenarioFieldFactory(scenario=default, key="budget", labels={}, hints={"en": "Ask politely."})

    field = scenario_info(scenario_id=default.pk).fields[0]

    assert (field.label("en"), field.hint("en"), field.hint("ru")) == (
        "budget",
        "Ask politely.",
        "Ask politely.",
    )


def test_a_text_only_in_a_language_that_is_no_longer_the_sites_is_still_shown(settings):
    settings.LANGUAGE_CODE = "ru"

    assert localized({"en": "Consulting"}, "ru") == "Consulting"


@pytest.fixture
def card(default):
    """A default scenario asking for a name, a budget and a city; the lead told two of them."""
    ScenarioFieldFactory(scenario=default, key="name", labels={"en": "Name"}, position=1)
    ScenarioFieldFactory(
        scenario=default, key="budget", labels={"en": "Budget"}, position=2, required=False
    )
    ScenarioFieldFactory(scenario=default, key="city", labels={"en": "City"}, position=3)
    contact = ContactFactory()
    message = MessageFactory(contact=contact, conversation__contact=contact)
    value(contact, "budget", "30 000 RUB", minutes_ago=30, current=False)
    value(contact, "name", "Anna", minutes_ago=20, message=message)
    value(contact, "budget", "50 000 RUB", minutes_ago=10, message=message)
    return contact


def test_the_card_lists_every_field_in_order_with_current_values(card):
    entries = lead_card(contact_id=card.pk)

    assert [(entry.label, entry.display, entry.required) for entry in entries] == [
        ("Name", "Anna", True),
        ("Budget", "50 000 RUB", False),
        ("City", "", True),
    ]
    assert not entries[2].is_known


def test_a_card_value_keeps_the_message_it_came_from(card):
    name = lead_card(contact_id=card.pk)[0]

    assert name.source_message_id == card.messages.get().pk


def test_a_value_for_a_field_the_scenario_no_longer_has_is_still_shown(card):
    value(card, "old_field", "kept", minutes_ago=5)

    entries = lead_card(contact_id=card.pk)

    assert (entries[-1].label, entries[-1].display, entries[-1].required) == (
        "old_field",
        "kept",
        False,
    )


def test_history_is_newest_first_with_the_value_each_change_replaced(card):
    history = lead_card_panel(contact=Contact.objects.get(pk=card.pk)).history

    assert [(change.label, change.old_display, change.new_display) for change in history] == [
        ("Budget", "30 000 RUB", "50 000 RUB"),
        ("Name", "", "Anna"),
        ("Budget", "", "30 000 RUB"),
    ]


def test_the_card_follows_the_scenario_the_assistant_used(card, by_source):
    LeadDiscovery.objects.create(contact=card, scenario=by_source)

    assert lead_card_scenario(contact_id=card.pk).slug == "ads"


def test_a_lead_without_any_scenario_still_shows_its_values():
    contact = ContactFactory()
    value(contact, "name", "Anna", minutes_ago=1)

    entries = lead_card(contact_id=contact.pk)
    history = lead_card_panel(contact=contact).history

    assert [(entry.label, entry.display) for entry in entries] == [("name", "Anna")]
    assert [change.label for change in history] == ["name"]


def test_the_panel_needs_three_queries_however_long_the_history(card, django_assert_num_queries):
    contact = Contact.objects.get(pk=card.pk)
    lead_card_panel(contact=contact)  # the scenarios are read once, then kept until edited
    # The lead's discovery row, whether the configuration changed, every value in one query.
    with django_assert_num_queries(3):
        panel = lead_card_panel(contact=contact)

    assert [entry.display for entry in panel.entries] == ["Anna", "50 000 RUB", ""]
    assert len(panel.history) == 3
    assert panel.missing_required == ["City"]


def test_a_service_on_the_card_is_named_in_the_readers_language(default):
    ScenarioFieldFactory(scenario=default, key="service", field_type="service")
    chosen = ServiceFactory(titles={"ru": "Аудит", "en": "Audit"})
    contact = ContactFactory()
    LeadFieldValueFactory(
        contact=contact, key="service", value={"id": chosen.pk, "title": "Audit"}, display="Audit"
    )

    russian = lead_card(contact_id=contact.pk, language="ru")
    english = lead_card(contact_id=contact.pk, language="en")

    assert (russian[0].display, english[0].display) == ("Аудит", "Audit")


def test_a_service_gone_from_the_catalog_keeps_its_stored_name(default):
    ScenarioFieldFactory(scenario=default, key="service", field_type="service")
    contact = ContactFactory()
    LeadFieldValueFactory(
        contact=contact, key="service", value={"id": 999, "title": "Audit"}, display="Audit"
    )

    assert lead_card(contact_id=contact.pk, language="ru")[0].display == "Audit"


def test_interests_are_listed_in_the_catalog_order():
    contact = ContactFactory()
    later = ServiceFactory(title="Audit", position=2)
    earlier = ServiceFactory(title="Consultation", position=1)
    add_interests(contact, later, earlier)
    assert contact_interests(contact_id=contact.pk, language="en") == ["Consultation", "Audit"]


def test_interests_are_named_in_the_language_asked_for(settings):
    settings.LANGUAGE_CODE = "ru"
    contact = ContactFactory()
    add_interests(
        contact,
        ServiceFactory(titles={"ru": "Аудит", "en": "Audit"}),
        ServiceFactory(titles={"ru": "Консультация"}),
    )

    assert contact_interests(contact_id=contact.pk, language="en") == ["Audit", "Консультация"]
    assert contact_interests(contact_id=contact.pk, language="ru") == ["Аудит", "Консультация"]


def test_a_contact_without_interests_has_an_empty_list():
    assert contact_interests(contact_id=ContactFactory().pk, language="en") == []
