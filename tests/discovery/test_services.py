"""Writes of need discovery: the lead card keeps what the model read, minus characters a
database refuses; a lead's scenario, card confirmation and interests are kept per lead."""

import pytest
from django.utils import timezone

from discovery.models import ExtractionRun, LeadDiscovery, LeadFieldValue, ServiceInterest
from discovery.services import (
    contact_record_interest,
    contact_set_scenario,
    extraction_run_record,
    lead_card_confirm,
    lead_card_record,
    lead_card_reopen,
)
from discovery.validation import CheckedValue
from tests.factories import ContactFactory, ScenarioFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_a_card_value_from_the_model_is_stored_without_nul_or_lone_surrogates():
    contact = ContactFactory()
    value = {"amount": "5\x00000", "currency": "RUB", "words": ["Mos\x00cow\ud800"]}
    lead_card_record(contact_id=contact.pk, values={"city": CheckedValue(value, "Mos\x00cow")})
    row = LeadFieldValue.objects.get()
    assert row.value == {"amount": "5000", "currency": "RUB", "words": ["Moscow\ufffd"]}
    assert row.display == "Moscow"


def test_the_same_value_with_a_nul_byte_is_not_a_change():
    contact = ContactFactory()
    lead_card_record(contact_id=contact.pk, values={"city": CheckedValue("Moscow", "Moscow")})
    changed = lead_card_record(
        contact_id=contact.pk, values={"city": CheckedValue("Mos\x00cow", "Moscow")}
    )
    assert changed == []


def test_an_extraction_error_is_stored_without_nul():
    contact = ContactFactory()
    extraction_run_record(
        contact_id=contact.pk, message_id=None, model_name="m", status="invalid", error="n\x00o"
    )
    assert ExtractionRun.objects.get().error == "no"


def test_an_interest_in_a_service_is_remembered_once_at_its_first_place():
    contact = ContactFactory()
    first, second = ServiceFactory(), ServiceFactory()
    for service in (first, second, first):
        contact_record_interest(contact_id=contact.pk, service_id=service.pk)
    interests = ServiceInterest.objects.filter(contact=contact).order_by("pk")
    assert [interest.service for interest in interests] == [first, second]


def test_the_scenario_a_lead_follows_is_kept_and_changed():
    contact = ContactFactory()
    first, second = ScenarioFactory(), ScenarioFactory()
    contact_set_scenario(contact_id=contact.pk, scenario_id=first.pk)
    contact_set_scenario(contact_id=contact.pk, scenario_id=second.pk)
    assert LeadDiscovery.objects.get(contact=contact).scenario == second


@pytest.fixture
def summarised():
    """A lead qualified by a scenario: the person was shown the summary of the card."""
    contact = ContactFactory(qualified_at=timezone.now())
    contact_set_scenario(contact_id=contact.pk, scenario_id=ScenarioFactory().pk)
    return contact


def confirmed_at(contact):
    return LeadDiscovery.objects.get(contact=contact).card_confirmed_at


def test_a_summarised_card_is_confirmed_once_and_reopened(summarised):
    assert lead_card_confirm(contact_id=summarised.pk) is True
    first = confirmed_at(summarised)
    assert lead_card_confirm(contact_id=summarised.pk) is True
    assert confirmed_at(summarised) == first is not None
    assert lead_card_reopen(contact_id=summarised.pk) is True
    assert confirmed_at(summarised) is None


@pytest.mark.parametrize("qualified", [True, False])
def test_a_card_never_summarised_is_neither_confirmed_nor_reopened(qualified):
    contact = ContactFactory(qualified_at=timezone.now() if qualified else None)
    if not qualified:
        contact_set_scenario(contact_id=contact.pk, scenario_id=ScenarioFactory().pk)
    assert lead_card_confirm(contact_id=contact.pk) is False
    assert lead_card_reopen(contact_id=contact.pk) is False
    assert not LeadDiscovery.objects.filter(card_confirmed_at__isnull=False).exists()
