"""End-to-end: a person sees what is kept about them (/privacy) and has it deleted (/forget,
after a confirmation button); staff hear of it and the lead's topic goes with it."""

from asgiref.sync import sync_to_async

from bot.models import InboundUpdate
from conversations.models import Contact, Message
from discovery.models import LeadFieldValue, ServiceInterest
from tests.bot.test_e2e_basics import contact_for, wait_messages
from tests.bot.test_e2e_operators import wait_topic
from tests.running_bot import STAFF

PERSON = 9501
ANNA = {"first_name": "Anna", "last_name": "Petrova", "username": "anna_p"}


async def leave_phone(fake):
    fake.push_message(PERSON, "+7 912 345-67-89", language_code="en", user=ANNA)
    return await wait_messages(fake, PERSON, 1)


async def test_privacy_shows_the_policy_and_everything_kept(
    running_bot, fake_telegram, bot_settings, services
):
    bot_settings.PRIVACY_POLICY_VERSION = "2026-11"
    await leave_phone(fake_telegram)
    lead = await sync_to_async(contact_for)(PERSON)
    await sync_to_async(LeadFieldValue.objects.create)(
        contact=lead, key="budget", value=5000, display="5 000 ₽"
    )
    await sync_to_async(ServiceInterest.objects.create)(contact=lead, service=services[0])
    fake_telegram.push_message(PERSON, "/privacy", language_code="en", user=ANNA)
    reply = (await wait_messages(fake_telegram, PERSON, 2))[-1].visible_text

    assert "https://example.com/privacy" in reply
    assert "Privacy policy version: 2026-11." in reply
    assert "Name: Anna Petrova" in reply
    assert "Username: @anna_p" in reply
    assert "Phone: +79123456789" in reply
    assert "(policy version 2026-11)" in reply
    assert "Messages: 3," in reply  # the phone, the thanks, /privacy
    assert "Interested in: Консультация" in reply
    assert "budget: 5 000 ₽" in reply
    assert reply.endswith("To delete it all, send /forget.")


async def forget(fake, press: str, count: int):
    fake.push_message(PERSON, "/forget", language_code="en", user=ANNA)
    question = (await wait_messages(fake, PERSON, count))[-1]
    [[yes], [no]] = question.reply_markup["inline_keyboard"]
    button = yes if press == "yes" else no
    fake.push_callback_query(
        PERSON, button["callback_data"], question.message_id, user=ANNA, language_code="en"
    )
    return question, (await wait_messages(fake, PERSON, count + 1))[-1]


async def test_forget_asks_first_and_keeping_deletes_nothing(running_bot, fake_telegram):
    await leave_phone(fake_telegram)
    question, answer = await forget(fake_telegram, "no", 2)

    assert "This cannot be undone." in question.visible_text
    assert answer.visible_text == "Nothing was deleted."
    assert (await sync_to_async(contact_for)(PERSON)).phone == "+79123456789"


async def test_forget_deletes_the_persons_data_tells_staff_and_removes_the_topic(
    running_bot, fake_telegram, staff_forum
):
    await leave_phone(fake_telegram)
    fake_telegram.push_message(PERSON, "/operator", language_code="en", user=ANNA)
    await wait_topic(fake_telegram, 2)
    lead = await sync_to_async(contact_for)(PERSON)
    await sync_to_async(LeadFieldValue.objects.create)(
        contact=lead, key="budget", value=5000, display="5000"
    )

    _question, done = await forget(fake_telegram, "yes", 3)

    assert done.visible_text.startswith("Done: everything we kept about you was deleted.")
    erased = await sync_to_async(Contact.objects.get)(pk=lead.pk)
    assert erased.erased_at is not None
    assert erased.display_name == f"Deleted lead #{lead.pk}"
    kept = (erased.external_id, erased.first_name, erased.username, erased.phone, erased.email)
    assert kept == (f"erased-{lead.pk}", "", "", "", "")
    texts = await sync_to_async(
        lambda: list(Message.objects.filter(contact=lead).values_list("text", "redacted"))
    )()
    said_before = texts[:-1]  # all but the goodbye, which is the bot's and names nobody
    assert said_before and all(text == "" and redacted for text, redacted in said_before)
    assert not await sync_to_async(LeadFieldValue.objects.filter(contact=lead).exists)()
    payloads = await sync_to_async(
        lambda: set(InboundUpdate.objects.values_list("payload", flat=True))
    )()
    assert payloads == {"{}"}
    await fake_telegram.wait_for_async(
        lambda: [t.deleted for t in fake_telegram.topics(STAFF)] == [True],
        10,
        "the lead's topic deleted",
    )
    staff_texts = [m.visible_text for m in fake_telegram.sent_messages(STAFF)]
    assert any("withdrew their consent" in text for text in staff_texts)
    assert not any("+79123456789" in text for text in staff_texts)


async def test_after_forget_the_next_message_starts_a_new_lead(running_bot, fake_telegram):
    await leave_phone(fake_telegram)
    await forget(fake_telegram, "yes", 2)
    fake_telegram.push_message(PERSON, "/start", language_code="en", user=ANNA)
    await wait_messages(fake_telegram, PERSON, 4)

    leads = await sync_to_async(
        lambda: list(Contact.objects.order_by("pk").values_list("external_id", "phone"))
    )()
    assert leads[1] == (str(PERSON), "")
    assert leads[0][0].startswith("erased-")


async def test_in_a_group_privacy_and_forget_invite_to_the_private_chat(running_bot, fake_telegram):
    group = -4242
    for command in ("/privacy", "/forget"):
        fake_telegram.push_message(
            group, command, language_code="en", chat_type="group", user={"id": PERSON, **ANNA}
        )
    invitations = await wait_messages(fake_telegram, group, 2)

    assert "write to me privately" in invitations[0].visible_text
    assert "To delete your data" in invitations[1].visible_text


async def test_privacy_before_any_contact_says_no_consent_was_given(running_bot, fake_telegram):
    fake_telegram.push_message(PERSON, "/privacy", language_code="en", user=ANNA)
    [reply] = await wait_messages(fake_telegram, PERSON, 1)
    assert "Consent to be contacted: not given" in reply.visible_text
    assert "Interested in" not in reply.visible_text
