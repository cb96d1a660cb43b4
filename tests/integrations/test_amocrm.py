"""Delivery to amoCRM: a deal with its contact added once, then updated, with notes."""

import pytest
from asgiref.sync import sync_to_async

from conversations.services import contact_record_details, handoff_request
from discovery.services import lead_card_record
from discovery.validation import CheckedValue
from integrations.models import CrmRecord, Delivery, Integration
from tests.factories import FieldMappingFactory, IntegrationFactory
from tests.integrations.conftest import deliver_all
from tests.integrations.test_webhook import new_lead, statuses


def amocrm(fake, **fields):
    return IntegrationFactory(
        kind=Integration.Kind.AMOCRM, url=fake.url, secret=fake.token, **fields
    )


def calls(fake) -> list[str]:
    return [f"{request.method} {request.path}" for request in fake.requests]


async def test_the_deal_and_contact_are_added_once_then_updated_with_a_note(
    courier, clock, fake_amocrm
):
    await sync_to_async(amocrm)(fake_amocrm)
    contact = await new_lead()
    await deliver_all(courier, clock)
    await sync_to_async(contact_record_details)(contact_id=contact.id, phone="+79991234567")
    await deliver_all(courier, clock)
    (lead_id,) = fake_amocrm.leads
    (contact_id,) = fake_amocrm.contacts
    assert calls(fake_amocrm) == [
        "POST /api/v4/leads/complex",
        f"PATCH /api/v4/leads/{lead_id}",  # contact shared
        f"PATCH /api/v4/contacts/{contact_id}",
        f"PATCH /api/v4/leads/{lead_id}",  # qualified
        f"POST /api/v4/leads/{lead_id}/notes",
    ]
    record = await sync_to_async(CrmRecord.objects.get)()
    assert (record.external_id, record.external_contact_id) == (str(lead_id), str(contact_id))
    assert fake_amocrm.leads[lead_id]["name"] == "Лид из Telegram: Anna"
    assert fake_amocrm.contacts[contact_id]["custom_fields_values"] == [
        {"field_code": "PHONE", "values": [{"value": "+79991234567", "enum_code": "WORK"}]}
    ]
    assert fake_amocrm.notes[lead_id] == ["Квалифицирован"]
    request = fake_amocrm.requests[0]
    assert request.headers["Authorization"] == f"Bearer {fake_amocrm.token}"


async def test_mapped_fields_go_as_custom_fields_and_a_handoff_notes_the_card(
    courier, clock, fake_amocrm
):
    integration = await sync_to_async(amocrm)(fake_amocrm)
    await sync_to_async(FieldMappingFactory)(integration=integration, crm_field="700123")
    contact = await new_lead()
    await sync_to_async(lead_card_record)(
        contact_id=contact.id, values={"budget": CheckedValue(50000, "50 000 ₽")}
    )
    await sync_to_async(handoff_request)(contact_id=contact.id, reason="person")
    await deliver_all(courier, clock)
    (lead_id, deal), *_others = fake_amocrm.leads.items()
    assert deal["custom_fields_values"] == [{"field_id": 700123, "values": [{"value": 50000}]}]
    assert fake_amocrm.notes[lead_id] == ["Передан оператору\nbudget: 50 000 ₽"]


async def test_a_deal_added_before_its_note_failed_is_updated_not_added_again(
    courier, clock, fake_amocrm
):
    contact = await new_lead()
    await sync_to_async(amocrm)(fake_amocrm)
    fake_amocrm.failing = {"notes"}
    await sync_to_async(handoff_request)(contact_id=contact.id, reason="person")
    await courier.deliver_due()
    assert await sync_to_async(statuses)() == ["retrying"]
    fake_amocrm.failing = set()
    await deliver_all(courier, clock, step_seconds=10)
    (lead_id,) = fake_amocrm.leads
    assert calls(fake_amocrm) == [
        "POST /api/v4/leads/complex",
        f"POST /api/v4/leads/{lead_id}/notes",  # failed
        f"PATCH /api/v4/leads/{lead_id}",
        f"POST /api/v4/leads/{lead_id}/notes",
    ]
    assert len(fake_amocrm.notes[lead_id]) == 1


async def test_rate_limits_are_retried_and_a_revoked_token_is_final(courier, clock, fake_amocrm):
    integration = await sync_to_async(amocrm)(fake_amocrm)
    fake_amocrm.down = "503"  # amoCRM says 429
    await new_lead()
    await courier.deliver_due()
    assert await sync_to_async(statuses)() == ["retrying"]
    fake_amocrm.down = None
    integration.set_secret("revoked-token")
    await sync_to_async(integration.save)()
    await deliver_all(courier, clock, step_seconds=10)
    delivery = await sync_to_async(Delivery.objects.get)()
    assert (delivery.status, delivery.response_code) == ("dead", 401)
    assert "Invalid token" in delivery.response


@pytest.mark.parametrize("proxy", ["page", "odd"])
async def test_a_proxys_answer_instead_of_amocrms_is_no_delivery(
    courier, clock, fake_amocrm, proxy
):
    await sync_to_async(amocrm)(fake_amocrm)
    fake_amocrm.down = proxy  # 200 with a page, or with JSON that names no deal
    await new_lead()
    await courier.deliver_due()
    assert await sync_to_async(statuses)() == ["retrying"]
    assert await sync_to_async(CrmRecord.objects.count)() == 0
