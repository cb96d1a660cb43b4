"""Leads' scenarios, card confirmations and interests stored on the lead move to discovery, and
back again, and the lead's card and scenario read as before."""

from datetime import UTC, datetime

import pytest

from discovery.models import LeadDiscovery
from discovery.selectors import contact_interests, lead_card_panel, scenario_for_contact
from tests.factories import ContactFactory, ScenarioFactory, ServiceFactory, add_interests
from tests.migrating import migrate, migrate_to_latest

BEFORE = [
    ("catalog", "0003_remove_single_language_texts"),
    ("conversations", "0009_contact_phone_trigram_index"),
    ("discovery", "0003_extractionrun_model_index"),
]
AFTER = [("conversations", "0010_remove_what_other_apps_keep")]
CONFIRMED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def old_apps(transactional_db):
    yield migrate(BEFORE)
    migrate_to_latest()


@pytest.fixture
def old_lead(old_apps):
    """A lead on the "consulting" scenario who confirmed the card and asked about two services
    with a scenario each, the audit last; and a lead with none of that."""
    Service = old_apps.get_model("catalog", "Service")
    audit = Service.objects.create(slug="audit", titles={"en": "Audit"}, position=2)
    consulting = Service.objects.create(slug="consulting", titles={"en": "Consulting"}, position=1)
    Scenario = old_apps.get_model("discovery", "Scenario")
    for service in (audit, consulting):
        Scenario.objects.create(
            name=service.slug, slug=service.slug, applies_to="service", service=service
        )
    Contact = old_apps.get_model("conversations", "Contact")
    lead = Contact.objects.create(
        external_id="1",
        scenario=Scenario.objects.get(slug="consulting"),
        card_confirmed_at=CONFIRMED,
        qualified_at=CONFIRMED,
    )
    lead.interested_in.add(consulting)
    lead.interested_in.add(audit)
    Contact.objects.create(external_id="2")
    return lead


def test_the_scenario_and_the_confirmation_move_to_the_leads_discovery(old_lead):
    migrate(AFTER)
    migrate_to_latest()  # the current code reads what AFTER moved, as later migrations kept it

    discovery = LeadDiscovery.objects.get()

    assert (discovery.contact_id, discovery.scenario.slug) == (old_lead.pk, "consulting")
    panel = lead_card_panel(contact=discovery.contact)
    assert (panel.scenario.slug, panel.card_confirmed_at) == ("consulting", CONFIRMED)


def test_interests_move_in_the_order_they_were_added(old_lead):
    migrate(AFTER)
    migrate_to_latest()  # the current code reads what AFTER moved, as later migrations kept it

    assert contact_interests(contact_id=old_lead.pk, language="en") == ["Consulting", "Audit"]
    assert scenario_for_contact(contact_id=old_lead.pk).slug == "audit"


@pytest.mark.usefixtures("old_apps")
def test_going_back_puts_them_on_the_lead_again():
    migrate_to_latest()  # through AFTER, to the schema the factories write
    contact = ContactFactory()
    scenario = ScenarioFactory()
    LeadDiscovery.objects.create(contact=contact, scenario=scenario, card_confirmed_at=CONFIRMED)
    later, earlier = ServiceFactory(), ServiceFactory()
    add_interests(contact, earlier, later)

    old = migrate(BEFORE).get_model("conversations", "Contact").objects.get(pk=contact.pk)

    assert (old.scenario_id, old.card_confirmed_at) == (scenario.pk, CONFIRMED)
    interests = old.interested_in.through.objects.order_by("pk")
    assert list(interests.values_list("service_id", flat=True)) == [earlier.pk, later.pk]
