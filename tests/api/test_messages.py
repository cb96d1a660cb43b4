"""Sending a message to a person through the API: stored and queued as the admin's operator
desk does, then delivered by the process serving the lead's bot."""

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from conversations.models import Contact, Handoff, Message, OutboxEntry
from conversations.services import contact_erase
from tests.api.conftest import Api, issue
from tests.bot.test_e2e_basics import wait_messages
from tests.bot.test_e2e_operators import PERSON
from tests.discovery.test_e2e_discovery import until
from tests.factories import BotFactory, ContactFactory, UserFactory
from tests.running_bot import in_thread


@pytest.mark.django_db
def test_a_message_is_stored_queued_and_answered_202(api, issuer):
    lead = ContactFactory(bot=BotFactory())

    answer = api.post(f"/leads/{lead.pk}/messages", {"text": "  We can meet on Monday.  "})

    assert answer.status_code == 202
    body = answer.json()
    message = Message.objects.get(pk=body["message_id"])
    assert (message.role, message.text, message.delivery) == (
        "operator",
        "We can meet on Monday.",
        "pending",
    )
    assert (message.author, message.author_name) == (issuer, "Irina")
    entry = OutboxEntry.objects.get()
    assert (entry.kind, entry.message_id) == ("reply", message.pk)
    assert body["follow"] == f"/api/v1/leads/{lead.pk}/messages"
    assert Handoff.objects.get(contact=lead).state == "taken"  # the assistant falls silent


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", "x" * 4001])
def test_an_empty_or_too_long_message_is_refused(api, text):
    lead = ContactFactory(bot=BotFactory())

    assert api.post(f"/leads/{lead.pk}/messages", {"text": text}).status_code == 422
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_lead_of_no_bot_cannot_be_written_to(api):
    lead = ContactFactory(channel=Contact.Channel.TERMINAL)

    answer = api.post(f"/leads/{lead.pk}/messages", {"text": "Hello"})

    assert answer.status_code == 409
    assert "no bot" in answer.json()["detail"]
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_person_whose_data_was_deleted_cannot_be_written_to(api):
    lead = ContactFactory(bot=BotFactory())
    contact_erase(contact_id=lead.pk)

    assert api.post(f"/leads/{lead.pk}/messages", {"text": "Hello"}).status_code == 409
    assert not OutboxEntry.objects.exists()


async def test_the_person_receives_the_message_from_the_running_bot(
    running_bot, fake_telegram, telegram_bot
):
    def send() -> tuple[int, int]:
        issuer = UserFactory(username="irina", first_name="Irina", is_superuser=True)
        lead = ContactFactory(bot=telegram_bot, external_id=str(PERSON), first_name="Anna")
        api = Api(Client(), issue(user=issuer))
        answer = api.post(f"/leads/{lead.pk}/messages", {"text": "Your order is ready."})
        return answer.status_code, lead.pk

    status, lead_id = await in_thread(send)
    received = await wait_messages(fake_telegram, PERSON, 1)

    assert status == 202
    assert received[0].visible_text == "Your order is ready.\n\n— Irina"

    def delivery() -> str:
        api = Api(Client(), issue(user=UserFactory(username="reader", is_superuser=True)))
        return api.get(f"/leads/{lead_id}/messages").json()["items"][-1]["delivery"]

    await until(lambda: not OutboxEntry.objects.exists())
    assert await sync_to_async(delivery)() == "delivered"
