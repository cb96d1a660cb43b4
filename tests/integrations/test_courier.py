"""The courier's loop: it keeps going through failures and stops when told."""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.db import OperationalError

from integrations.models import Delivery
from tests.factories import IntegrationFactory
from tests.integrations.test_webhook import new_lead


async def test_a_failed_step_is_logged_and_the_next_look_delivers(
    courier, clock, fake_webhook, monkeypatch, caplog
):
    await sync_to_async(IntegrationFactory)(url=fake_webhook.url)
    await new_lead()
    real_step = courier.deliver_due
    failures = [OperationalError("database is locked"), RuntimeError("a bug")]

    async def failing_then_real():
        if failures:
            raise failures.pop(0)
        return await real_step()

    monkeypatch.setattr(courier, "deliver_due", failing_then_real)
    courier.interval = 0.01
    running = asyncio.create_task(courier.run())
    for _look in range(500):
        if fake_webhook.accepted:
            break
        await asyncio.sleep(0.01)
    courier.stop()
    await running
    assert fake_webhook.kinds() == ["created"]
    messages = [record.getMessage() for record in caplog.records]
    assert any("Database unavailable" in message for message in messages)
    assert any(
        "courier failed" in record.getMessage() and record.levelno == logging.ERROR
        for record in caplog.records
    )


async def test_a_secret_no_key_decrypts_is_retried_not_lost(courier, clock, fake_webhook, settings):
    await sync_to_async(IntegrationFactory)(url=fake_webhook.url)
    await new_lead()
    settings.BOT_TOKEN_KEYS = ["x" * 43 + "="]  # another key: the stored secret is unreadable
    await courier.deliver_due()
    delivery = await sync_to_async(Delivery.objects.get)()
    assert delivery.status == "retrying"
    assert "secret cannot be read" in delivery.response


async def test_a_lead_the_client_cannot_send_is_kept_with_the_error_and_retried(
    courier, clock, fake_bitrix
):
    integration = await sync_to_async(IntegrationFactory)(
        kind="bitrix24", url=fake_bitrix.url, secret=fake_bitrix.code
    )
    contact = await new_lead()
    await sync_to_async(integration.records.create)(
        contact_id=contact.id, external_id="not-a-number"
    )
    await courier.deliver_due()
    delivery = await sync_to_async(Delivery.objects.get)()
    assert (delivery.status, delivery.response.split(":")[0]) == ("retrying", "ValueError")
    assert fake_bitrix.requests == []
