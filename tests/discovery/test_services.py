"""Writes to the lead card keep what the model read, minus characters a database refuses."""

import pytest

from discovery.models import ExtractionRun, LeadFieldValue
from discovery.services import extraction_run_record, lead_card_record
from discovery.validation import CheckedValue
from tests.factories import ContactFactory

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
