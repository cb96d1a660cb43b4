"""End-to-end: capturing the lead's contact by button, by typing, and refusing others' cards."""

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Contact
from tests.bot.test_e2e_basics import contact_for, wait_messages

CHAT = 6001
STAFF_CHAT = -100500


async def test_contact_command_shows_the_privacy_notice_before_asking(running_bot, fake_telegram):
    fake_telegram.push_message(CHAT, "/contact", language_code="en")
    notice, request = await wait_messages(fake_telegram, CHAT, 2)
    assert notice.visible_text.startswith("We keep your data only to answer you.")
    assert "https://example.com/privacy" in notice.visible_text
    assert request.visible_text == "Please leave your phone."
    button = request.reply_markup["keyboard"][0][0]
    assert button["request_contact"] is True


async def test_own_shared_contact_is_saved_in_e164_and_the_lead_moves_on(
    running_bot, fake_telegram, bot_settings
):
    bot_settings.TELEGRAM_STAFF_CHAT_ID = str(STAFF_CHAT)
    fake_telegram.push_contact(CHAT, "79123456789")
    thanks = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert "+79123456789" in thanks.visible_text
    assert thanks.reply_markup == {"remove_keyboard": True}
    contact = await sync_to_async(contact_for)(CHAT)
    assert (contact.phone, contact.status) == ("+79123456789", Contact.Status.QUALIFIED)
    assert contact.consent_at is not None
    card = (await wait_messages(fake_telegram, STAFF_CHAT, 1))[0]
    assert "+79123456789" in card.visible_text


async def test_someone_elses_contact_card_is_politely_refused(running_bot, fake_telegram):
    fake_telegram.push_contact(CHAT, "+79990001122", contact_user_id=777, language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert "someone else's contact" in reply.visible_text
    contact = await sync_to_async(contact_for)(CHAT)
    assert contact.phone == ""


async def test_a_shared_contact_again_updates_the_same_lead(running_bot, fake_telegram):
    fake_telegram.push_contact(CHAT, "+79123456789")
    await wait_messages(fake_telegram, CHAT, 1)
    fake_telegram.push_contact(CHAT, "+79123456700")
    await wait_messages(fake_telegram, CHAT, 2)
    contacts = await sync_to_async(lambda: list(Contact.objects.values_list("phone", flat=True)))()
    assert contacts == ["+79123456700"]


async def test_a_typed_phone_number_is_recognized_without_calling_the_model(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_message(CHAT, "8 (912) 345-67-89")
    thanks = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert "+79123456789" in thanks.visible_text
    assert fake_openai.completion_requests() == []
    assert (await sync_to_async(contact_for)(CHAT)).phone == "+79123456789"


async def test_a_typed_email_inside_a_question_is_saved_and_the_question_answered(
    running_bot, fake_telegram, fake_openai
):
    fake_telegram.push_message(CHAT, "Пишите на Anna@Example.com, сколько стоит консультация?")
    thanks, answer = await wait_messages(fake_telegram, CHAT, 2)
    assert "anna@example.com" in thanks.visible_text
    assert answer.visible_text == "Hello from the fake model."
    system, data = fake_openai.completion_requests()[0].body["messages"][:2]
    assert "anna@example.com" not in system["content"]
    assert '"e-mail": "anna@example.com"' in data["content"]


@pytest.mark.parametrize("typed", ["+7 000 11", "+7 123"])
async def test_a_garbage_phone_number_gets_a_polite_correction(running_bot, fake_telegram, typed):
    fake_telegram.push_message(CHAT, typed, language_code="en")
    reply = (await wait_messages(fake_telegram, CHAT, 1))[0]
    assert "doesn't look like a valid phone number" in reply.visible_text
    assert (await sync_to_async(contact_for)(CHAT)).phone == ""
