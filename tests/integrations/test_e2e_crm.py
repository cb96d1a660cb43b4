"""End-to-end: a person shares a phone in the bot; the CRM's webhook hears of it, signed."""

import hashlib
import hmac

import pytest
from asgiref.sync import sync_to_async

from tests.bot.test_e2e_basics import wait_messages
from tests.discovery.test_e2e_discovery import until
from tests.factories import IntegrationFactory

CHAT = 6101


@pytest.fixture
def webhook_integration(transactional_db, fake_webhook):
    return IntegrationFactory(url=fake_webhook.url)


async def test_a_shared_phone_reaches_the_webhook_signed(
    webhook_integration, running_bot, fake_telegram, fake_webhook
):
    fake_telegram.push_contact(CHAT, "79123456789")
    await wait_messages(fake_telegram, CHAT, 1)
    await until(lambda: "contact_shared" in fake_webhook.kinds())
    request = next(
        request
        for request in fake_webhook.requests
        if request.json()["event"]["kind"] == "contact_shared"
    )
    document = request.json()
    secret = await sync_to_async(lambda: webhook_integration.secret())()
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Signature-SHA256"] == expected
    assert document["lead"]["phone"] == "+79123456789"
    assert document["lead"]["bot"]["username"] == "fake_test_bot"
    assert fake_webhook.kinds()[0] == "created"
