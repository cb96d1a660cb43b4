"""Delivery to the generic webhook: signed, idempotent, retried, dead-lettered, in order."""

import asyncio
import datetime as dt
import json

import httpx
from asgiref.sync import sync_to_async

from conversations.services import contact_record_details, contact_touch
from integrations.clients.webhook import signature
from integrations.courier import CrmCourier
from integrations.models import Delivery
from integrations.services import deliveries_resend, delivery_claim
from tests.factories import IntegrationFactory
from tests.integrations.conftest import deliver_all


def statuses() -> list[str]:
    return list(Delivery.objects.order_by("id").values_list("status", flat=True))


@sync_to_async
def new_lead(external_id="1", bot_id=None, **details):
    contact, _new = contact_touch(
        channel="telegram", external_id=external_id, bot_id=bot_id, first_name="Anna"
    )
    if details:
        contact_record_details(contact_id=contact.id, **details)
    return contact


async def test_an_event_arrives_signed_with_its_idempotency_key_and_schema(
    courier, clock, fake_webhook
):
    await sync_to_async(IntegrationFactory)(url=fake_webhook.url)
    await new_lead(phone="+79991234567")
    await deliver_all(courier, clock)
    assert fake_webhook.kinds() == ["created", "contact_shared", "qualified"]
    request = fake_webhook.requests[1]
    assert request.headers["X-Signature-SHA256"] == signature("webhook-secret-123", request.body)
    document = json.loads(request.body)
    assert request.headers["X-Idempotency-Key"] == document["event"]["id"]
    assert document["lead"]["phone"] == "+79991234567"
    assert [d["event"]["sequence"] for d in fake_webhook.accepted] == [1, 2, 3]
    assert await sync_to_async(statuses)() == ["delivered"] * 3


async def test_a_wrong_secret_is_refused_by_the_receiver_and_the_delivery_is_dead(
    courier, clock, fake_webhook
):
    await sync_to_async(IntegrationFactory)(url=fake_webhook.url, secret="another-secret")
    await new_lead()
    await deliver_all(courier, clock)
    delivery = await sync_to_async(Delivery.objects.get)()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("dead", 401, 1)
    assert "bad signature" in delivery.response
    assert fake_webhook.accepted == []


async def test_a_failing_receiver_is_retried_with_growing_pauses_until_it_answers(
    courier, clock, fake_webhook
):
    await sync_to_async(IntegrationFactory)(url=fake_webhook.url)
    fake_webhook.down = "503"
    await new_lead()
    await courier.deliver_due()
    delivery = await sync_to_async(Delivery.objects.get)()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("retrying", 1, 503)
    # The first pause is up to 10 s (full jitter).
    assert delivery.created_at <= delivery.next_attempt_at <= clock() + dt.timedelta(seconds=10)
    assert await courier.deliver_due() == 0  # not due yet
    fake_webhook.down = None
    await deliver_all(courier, clock, step_seconds=10)
    assert fake_webhook.kinds() == ["created"]


async def test_an_answer_lost_after_the_receiver_took_the_event_is_sent_again_and_deduplicated(
    courier, clock, fake_webhook
):
    await sync_to_async(IntegrationFactory)(url=fake_webhook.url)
    fake_webhook.down = "swallow"
    await new_lead()
    await courier.deliver_due()
    assert await sync_to_async(statuses)() == ["retrying"]
    fake_webhook.down = None
    await deliver_all(courier, clock, step_seconds=10)
    assert len(fake_webhook.requests) == 2
    assert fake_webhook.kinds() == ["created"]  # the receiver kept it once


async def test_a_receiver_that_does_not_answer_in_time_gets_the_event_again(
    transactional_db, clock, fake_webhook
):
    await sync_to_async(IntegrationFactory)(url=fake_webhook.url)
    await new_lead()
    fake_webhook.down = "hang"
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.3)) as client:
        impatient = CrmCourier(client=client, now=clock)
        await impatient.deliver_due()
        delivery = await sync_to_async(Delivery.objects.get)()
        assert delivery.status == "retrying"
        assert delivery.response.startswith("timeout (ReadTimeout); it may have arrived")
        fake_webhook.down = None
        await deliver_all(impatient, clock, step_seconds=10)
    assert fake_webhook.kinds() == ["created"]
    assert len(fake_webhook.requests) == 2


async def test_two_processes_looking_at_once_send_an_event_once(courier, clock, fake_webhook):
    await sync_to_async(IntegrationFactory)(url=fake_webhook.url)
    await new_lead()
    other = CrmCourier(client=courier.client, now=clock)
    tried = await asyncio.gather(courier.deliver_due(), other.deliver_due())
    assert sorted(tried) == [0, 1]
    assert len(fake_webhook.requests) == 1


async def test_after_the_retry_window_the_delivery_is_dead_and_the_leads_next_event_goes_on(
    courier, clock, fake_webhook, settings
):
    settings.CRM_RETRY_HOURS = 1
    await sync_to_async(IntegrationFactory)(url=fake_webhook.url)
    fake_webhook.down = "cut"
    contact = await new_lead()
    for _hour in range(3):
        clock.advance(minutes=30)
        await courier.deliver_due()
    assert await sync_to_async(statuses)() == ["dead"]
    fake_webhook.down = None
    await sync_to_async(contact_record_details)(contact_id=contact.id, email="anna@example.com")
    clock.advance(minutes=1)  # the clock runs ahead of the events' time now
    await deliver_all(courier, clock)
    assert fake_webhook.kinds() == ["contact_shared", "qualified"]
    assert await sync_to_async(statuses)() == ["dead", "delivered", "delivered"]


async def test_send_again_delivers_a_dead_one(courier, clock, fake_webhook):
    integration = await sync_to_async(IntegrationFactory)(url=fake_webhook.url, secret="wrong")
    await new_lead()
    await deliver_all(courier, clock)
    integration.set_secret(fake_webhook.secret)
    await sync_to_async(integration.save)()
    ids = await sync_to_async(lambda: list(Delivery.objects.values_list("id", flat=True)))()
    assert await sync_to_async(deliveries_resend)(delivery_ids=ids, now=clock()) == 1
    await deliver_all(courier, clock)
    assert fake_webhook.kinds() == ["created"]
    assert await sync_to_async(statuses)() == ["delivered"]


async def test_a_leads_later_event_waits_behind_one_being_retried(courier, clock, fake_webhook):
    await sync_to_async(IntegrationFactory)(url=fake_webhook.url)
    fake_webhook.down = "503"
    await new_lead(phone="+79991234567")
    await courier.deliver_due()
    assert len(fake_webhook.requests) == 1  # only the lead's first event was tried
    assert await sync_to_async(statuses)() == ["retrying", "pending", "pending"]


async def test_a_delivery_another_process_claimed_is_left_to_it(courier, clock, fake_webhook):
    await sync_to_async(IntegrationFactory)(url=fake_webhook.url)
    await new_lead()
    delivery_id = await sync_to_async(lambda: Delivery.objects.get().pk)()
    assert await sync_to_async(delivery_claim)(
        delivery_id=delivery_id, now=clock(), lease_seconds=120
    )
    assert await courier.deliver_due() == 0
    clock.advance(seconds=121)  # the other process died: its claim ran out
    await deliver_all(courier, clock)
    assert fake_webhook.kinds() == ["created"]
