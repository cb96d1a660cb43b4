"""Lead events are written to the outbox with the change, for the integrations that take them."""

import pytest
from django.db import transaction

from conversations.models import Contact
from conversations.services import (
    contact_erase,
    contact_record_details,
    contact_touch,
    handoff_request,
    handoff_take,
)
from discovery.services import (
    contact_set_scenario,
    lead_card_confirm,
    lead_card_record,
    lead_qualify,
)
from discovery.validation import CheckedValue
from integrations.models import CrmRecord, Delivery, LeadEvent
from tests.factories import (
    BotFactory,
    ContactFactory,
    IntegrationFactory,
    ScenarioFactory,
    ScenarioFieldFactory,
)

pytestmark = pytest.mark.django_db


def events_of(contact) -> list[str]:
    return list(
        LeadEvent.objects.filter(contact=contact)
        .order_by("sequence")
        .values_list("kind", flat=True)
    )


def test_nothing_is_recorded_while_no_integration_is_active():
    IntegrationFactory(is_active=False)
    contact, _created = contact_touch(channel="telegram", external_id="1")
    contact_record_details(contact_id=contact.id, phone="+79991234567")
    assert LeadEvent.objects.count() == Delivery.objects.count() == 0


def test_a_new_lead_is_an_event_with_a_delivery_per_active_integration():
    first, second = IntegrationFactory(), IntegrationFactory()
    IntegrationFactory(is_active=False)
    contact_touch(channel="telegram", external_id="1", first_name="Anna")
    event = LeadEvent.objects.get()
    assert (event.kind, event.sequence, event.lead["first_name"]) == ("created", 1, "Anna")
    assert set(Delivery.objects.values_list("integration", flat=True)) == {first.pk, second.pk}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}


def test_an_integration_for_one_bot_takes_only_that_bots_leads():
    own, other = BotFactory(), BotFactory()
    IntegrationFactory(bot=own)
    contact_touch(channel="telegram", external_id="1", bot_id=other.pk)
    assert LeadEvent.objects.count() == 0
    contact_touch(channel="telegram", external_id="1", bot_id=own.pk)
    assert LeadEvent.objects.get().lead["bot"]["id"] == own.pk


def test_sharing_a_phone_is_a_contact_event_then_qualification_with_the_lead_as_it_is_then():
    contact = ContactFactory()
    IntegrationFactory()
    contact_record_details(contact_id=contact.pk, phone="+79991234567")
    assert events_of(contact) == ["contact_shared", "qualified"]
    shared = LeadEvent.objects.get(kind="contact_shared")
    assert shared.data == {"fields": ["phone"]}
    assert (shared.lead["phone"], shared.lead["status"]) == ("+79991234567", "qualified")
    assert [row.sequence for row in LeadEvent.objects.order_by("id")] == [1, 2]


def test_the_same_phone_again_is_no_event():
    contact = ContactFactory(phone="+79991234567", status=Contact.Status.QUALIFIED)
    IntegrationFactory()
    contact_record_details(contact_id=contact.pk, phone="+79991234567")
    assert events_of(contact) == []


def test_the_card_its_confirmation_and_a_handoff_are_events_in_order():
    scenario = ScenarioFactory()
    ScenarioFieldFactory(scenario=scenario, key="budget", labels={"ru": "Бюджет", "en": "Budget"})
    contact = ContactFactory()
    IntegrationFactory()
    contact_set_scenario(contact_id=contact.pk, scenario_id=scenario.pk)
    lead_card_record(contact_id=contact.pk, values={"budget": CheckedValue(50000, "50 000 ₽")})
    lead_qualify(contact_id=contact.pk)
    lead_card_confirm(contact_id=contact.pk)
    lead_card_confirm(contact_id=contact.pk)  # a second press changes nothing
    handoff_request(contact_id=contact.pk, reason="person")
    assert events_of(contact) == ["card_changed", "qualified", "confirmed", "handed_over"]
    card_changed = LeadEvent.objects.get(kind="card_changed")
    assert card_changed.data == {"fields": ["budget"]}
    assert card_changed.lead["card"] == [
        {
            "key": "budget",
            "label": "Бюджет",  # in the site's language
            "value": 50000,
            "display": "50 000 ₽",
            "declined": False,
        }
    ]
    assert LeadEvent.objects.get(kind="confirmed").lead["card_confirmed_at"] is not None
    assert LeadEvent.objects.get(kind="handed_over").data == {"reason": "person"}


def test_a_declined_field_is_marked_without_a_value():
    contact = ContactFactory()
    IntegrationFactory()
    lead_card_record(contact_id=contact.pk, values={}, declined=("budget",))
    (entry,) = LeadEvent.objects.get().lead["card"]
    assert (entry["key"], entry["value"], entry["declined"]) == ("budget", None, True)


def test_a_status_changed_by_a_full_save_says_from_what_to_what():
    contact = ContactFactory(status=Contact.Status.QUALIFIED)
    IntegrationFactory()
    contact.status = Contact.Status.WON
    contact.save()
    contact.first_name = "Maria"
    contact.save()  # no watched field changed
    assert events_of(contact) == ["status_changed"]
    assert LeadEvent.objects.get().data == {"from": "qualified", "to": "won"}


def test_a_change_rolled_back_leaves_no_event():
    contact = ContactFactory()
    IntegrationFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        contact_record_details(contact_id=contact.pk, email="anna@example.com")
        raise RuntimeError("the change fails after the event")
    assert LeadEvent.objects.count() == 0


def test_a_full_save_while_no_integration_is_active_writes_nothing():
    contact = ContactFactory()
    contact.status = Contact.Status.WON
    contact.save()
    assert LeadEvent.objects.count() == 0


def test_an_operator_taking_the_handoff_is_no_new_event():
    contact = ContactFactory()
    IntegrationFactory()
    handoff_request(contact_id=contact.pk, reason="person")
    handoff_take(contact_id=contact.pk)
    assert events_of(contact) == ["handed_over"]


def test_a_persons_data_deleted_at_their_request_takes_the_leads_events_and_crm_ids():
    contact = ContactFactory()
    integration = IntegrationFactory()
    contact_record_details(contact_id=contact.pk, phone="+79991234567")
    CrmRecord.objects.create(integration=integration, contact=contact, external_id="4711")
    other = ContactFactory()

    contact_erase(contact_id=contact.pk)

    assert not LeadEvent.objects.filter(contact=contact).exists()
    assert not Delivery.objects.filter(contact=contact).exists()
    assert not CrmRecord.objects.exists()
    assert events_of(other) == ["created"]
