"""Delivery to Bitrix24: a lead added once, then updated by the id it was given."""

from asgiref.sync import sync_to_async

from conversations.services import contact_record_details
from discovery.services import lead_card_record
from discovery.validation import CheckedValue
from integrations.models import CrmRecord, Delivery, Integration
from tests.factories import BotFactory, FieldMappingFactory, IntegrationFactory
from tests.integrations.conftest import deliver_all
from tests.integrations.test_webhook import new_lead, statuses


def bitrix(fake, **fields):
    return IntegrationFactory(
        kind=Integration.Kind.BITRIX24, url=fake.url, secret=fake.code, **fields
    )


async def test_the_first_event_adds_the_lead_and_later_ones_update_it(courier, clock, fake_bitrix):
    await sync_to_async(bitrix)(fake_bitrix)
    contact = await new_lead()
    await deliver_all(courier, clock)
    await sync_to_async(contact_record_details)(contact_id=contact.id, phone="+79991234567")
    await deliver_all(courier, clock)
    assert [request.path.rsplit("/", 1)[1] for request in fake_bitrix.requests] == [
        "crm.lead.add.json",
        "crm.lead.update.json",
        "crm.lead.update.json",
    ]
    (lead_id,) = fake_bitrix.leads
    record = await sync_to_async(CrmRecord.objects.get)()
    assert record.external_id == str(lead_id)
    lead = fake_bitrix.leads[lead_id]
    assert lead["TITLE"] == "Лид из Telegram: Anna"
    assert lead["PHONE"] == [{"VALUE": "+79991234567", "VALUE_TYPE": "WORK"}]  # added once
    assert fake_bitrix.requests[0].json()["params"] == {"REGISTER_SONET_EVENT": "Y"}


async def test_mapped_card_fields_and_the_card_in_comments_reach_the_lead(
    courier, clock, fake_bitrix
):
    integration = await sync_to_async(bitrix)(fake_bitrix, bot=await sync_to_async(BotFactory)())
    await sync_to_async(FieldMappingFactory)(integration=integration, crm_field="UF_CRM_BUDGET")
    await sync_to_async(FieldMappingFactory)(
        integration=integration, card_key="deadline", crm_field="UF_CRM_DEADLINE"
    )
    contact = await new_lead(bot_id=integration.bot_id)
    await sync_to_async(lead_card_record)(
        contact_id=contact.id,
        values={"budget": CheckedValue(50000, "50 000 ₽")},
        declined=("deadline",),
    )
    await deliver_all(courier, clock)
    (lead,) = fake_bitrix.leads.values()
    assert lead["UF_CRM_BUDGET"] == 50000
    assert "UF_CRM_DEADLINE" not in lead  # declined: nothing to send
    assert lead["COMMENTS"] == "budget: 50 000 ₽\ndeadline: отказ от ответа"
    assert lead["SOURCE_DESCRIPTION"].startswith("@")


async def test_a_busy_portal_is_retried(courier, clock, fake_bitrix):
    await sync_to_async(bitrix)(fake_bitrix)
    fake_bitrix.down = "503"
    await new_lead()
    await courier.deliver_due()
    delivery = await sync_to_async(Delivery.objects.get)()
    assert (delivery.status, delivery.response_code) == ("retrying", 503)
    assert delivery.response.startswith("QUERY_LIMIT_EXCEEDED")
    fake_bitrix.down = None
    await deliver_all(courier, clock, step_seconds=10)
    assert len(fake_bitrix.leads) == 1


async def test_a_wrong_webhook_code_is_a_dead_letter_with_bitrixs_error(
    courier, clock, fake_bitrix
):
    await sync_to_async(IntegrationFactory)(
        kind=Integration.Kind.BITRIX24, url=fake_bitrix.url, secret="wrongcode1"
    )
    await new_lead()
    await deliver_all(courier, clock)
    delivery = await sync_to_async(Delivery.objects.get)()
    assert (delivery.status, delivery.response_code) == ("dead", 401)
    assert delivery.response == "INVALID_CREDENTIALS: Invalid request credentials"


async def test_a_lead_deleted_in_bitrix_makes_the_update_fail_for_good(courier, clock, fake_bitrix):
    await sync_to_async(bitrix)(fake_bitrix)
    contact = await new_lead()
    await deliver_all(courier, clock)
    fake_bitrix.leads.clear()
    await sync_to_async(contact_record_details)(contact_id=contact.id, email="a@example.com")
    await deliver_all(courier, clock)
    assert await sync_to_async(statuses)() == ["delivered", "dead", "dead"]


async def test_a_proxys_page_with_status_200_is_no_delivery(courier, clock, fake_bitrix):
    await sync_to_async(bitrix)(fake_bitrix)
    fake_bitrix.down = "page"
    await new_lead()
    await courier.deliver_due()
    delivery = await sync_to_async(Delivery.objects.get)()
    assert (delivery.status, delivery.response_code) == ("retrying", 200)
    assert "Maintenance" in delivery.response
