"""The CRM is down for ten minutes of traffic, then back: every event arrives once, each lead's
in order. The clock is fake: the ten minutes pass in steps, without waiting."""

import itertools
from collections import defaultdict

from asgiref.sync import sync_to_async

from conversations.services import contact_record_details
from discovery.services import lead_card_record
from discovery.validation import CheckedValue
from integrations.models import Delivery, Integration, LeadEvent
from tests.factories import IntegrationFactory
from tests.integrations.conftest import deliver_all
from tests.integrations.test_webhook import new_lead

LEADS = 3


@sync_to_async
def a_change(contact_id: int, minute: int) -> None:
    """One more thing happens to the lead: a card value, now and then an e-mail."""
    if minute % 4 == 3:
        contact_record_details(
            contact_id=contact_id, email=f"lead{contact_id}.{minute}@example.com"
        )
    else:
        lead_card_record(contact_id=contact_id, values={"step": CheckedValue(minute, str(minute))})


async def ten_minutes_down(courier, clock, fake, modes) -> int:
    """Three leads change every simulated minute while `fake` fails in `modes` by turns;
    returns the number of events."""
    leads = [(await new_lead(external_id=str(n))).id for n in range(LEADS)]
    turns = itertools.cycle(modes)
    for minute in range(10):
        fake.down = next(turns)
        for contact_id in leads:
            await a_change(contact_id, minute)
        clock.advance(minutes=1)
        while await courier.deliver_due():
            pass
    fake.down = None
    await deliver_all(courier, clock, step_seconds=60)
    return await sync_to_async(LeadEvent.objects.count)()


def sent_in_order(sequences_by_lead: dict[int, list[int]]) -> bool:
    return all(numbers == sorted(numbers) for numbers in sequences_by_lead.values())


async def test_the_webhook_gets_every_event_once_in_order_per_lead_after_an_outage(
    courier, clock, fake_webhook
):
    await sync_to_async(IntegrationFactory)(url=fake_webhook.url)
    events = await ten_minutes_down(courier, clock, fake_webhook, ["503", "cut", "swallow"])
    assert len(fake_webhook.accepted) == events > LEADS * 10
    assert len({document["event"]["id"] for document in fake_webhook.accepted}) == events
    by_lead = defaultdict(list)
    for document in fake_webhook.accepted:
        by_lead[document["lead"]["id"]].append(document["event"]["sequence"])
    assert sent_in_order(by_lead)
    assert len(fake_webhook.requests) > events  # the outage was real: requests failed
    delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED)
    assert await sync_to_async(delivered.count)() == events


async def test_bitrix24_keeps_one_lead_per_person_updated_in_order_after_an_outage(
    courier, clock, fake_bitrix
):
    await sync_to_async(IntegrationFactory)(
        kind=Integration.Kind.BITRIX24, url=fake_bitrix.url, secret=fake_bitrix.code
    )
    events = await ten_minutes_down(courier, clock, fake_bitrix, ["503", "cut"])
    assert len(fake_bitrix.leads) == LEADS
    for lead in fake_bitrix.leads.values():
        assert lead["COMMENTS"].endswith("step: 9")  # the last change came last
    delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED)
    assert await sync_to_async(delivered.count)() == events
