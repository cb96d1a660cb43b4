"""End-to-end: people write to a VK community; the running bot process answers through the
fake VK API as it answers Telegram."""

import asyncio
import json

from django.contrib.auth.models import User

from conversations.models import Contact, Message
from conversations.services import desk_reply
from core.db import db_call
from tests.bot.test_e2e_operators import operator_says, wait_topic
from tests.fakes.openai_server import Reply
from tests.fakes.vk_server import GROUP_ID
from tests.running_bot import STAFF
from tests.vk.conftest import listening, until_stored, wait_sent
from vk.models import VkEvent

PERSON = 5550001


async def test_a_message_is_answered_and_the_lead_is_kept(served_community, fake_vk, fake_openai):
    fake_openai.queue(Reply("We are open from nine to six."))

    fake_vk.push_message(PERSON, "When are you open?")
    sent = await wait_sent(fake_vk, PERSON, 1)

    assert sent[0].text == "We are open from nine to six."
    labels = [b["action"]["label"] for row in sent[0].keyboard["buttons"] for b in row]
    assert labels == ["👍", "👎"]
    lead = await db_call(Contact.objects.get)(channel="vk")
    assert (lead.external_id, lead.first_name, lead.language_code) == (
        f"{GROUP_ID}:{PERSON}",
        "Иван",
        "en",
    )
    assert fake_vk.activities[0]["type"] == "typing"


async def test_the_catalog_buttons_work_and_the_press_is_answered(
    services, served_community, fake_vk
):
    fake_vk.push_press(PERSON, {"a": "catalog:", "l": "Services"})
    listed = await wait_sent(fake_vk, PERSON, 1)

    assert listed[0].text == "Наши услуги:"  # no language known yet: the default
    buttons = [b["action"] for row in listed[0].keyboard["buttons"] for b in row]
    assert [b["label"] for b in buttons] == ["Консультация", "Сопровождение"]
    fake_vk.push_press(PERSON, json.loads(buttons[0]["payload"]))
    shown = await wait_sent(fake_vk, PERSON, 2)
    assert "Консультация" in shown[1].text
    assert len(fake_vk.answers) == 2
    pressed = await db_call(lambda: list(Message.objects.filter(role="user")))()
    assert [m.text for m in pressed] == ["Services", "Консультация"]


async def test_a_photo_gets_the_polite_note(served_community, fake_vk, fake_openai):
    fake_vk.push_message(PERSON, "", attachments=[{"type": "photo", "photo": {"id": 1}}])

    sent = await wait_sent(fake_vk, PERSON, 1)

    assert "text" in sent[0].text.lower()
    assert not fake_openai.completion_requests()
    stored = await db_call(Message.objects.get)(role="user")
    assert stored.content_type == "photo"


async def test_flood_control_is_waited_out_and_the_answer_delivered(
    served_community, fake_vk, fake_openai
):
    fake_openai.queue(Reply("Delivered after all."))
    fake_vk.fail_sends(9)

    fake_vk.push_message(PERSON, "Hello?")
    sent = await wait_sent(fake_vk, PERSON, 1)

    assert sent[0].text == "Delivered after all."
    await until_stored(
        lambda: Message.objects.filter(role="assistant", delivery="delivered").exists()
    )


async def test_a_person_who_forbade_messages_is_marked_blocked(
    served_community, fake_vk, fake_openai
):
    fake_openai.queue(Reply("You will not see this."))
    fake_vk.fail_sends(901)

    fake_vk.push_message(PERSON, "Hello?")

    await until_stored(lambda: Contact.objects.filter(is_blocked=True).exists())
    reply = await db_call(Message.objects.get)(role="assistant")
    assert reply.delivery == "undelivered"


async def test_an_expired_long_poll_key_is_renewed_and_nothing_is_missed(
    served_community, fake_vk, fake_openai
):
    fake_openai.queue(Reply("Still here."))
    fake_vk.fail_poll(2)

    fake_vk.push_message(PERSON, "Hello?")

    assert (await wait_sent(fake_vk, PERSON, 1))[0].text == "Still here."


async def test_an_event_vk_sends_twice_is_answered_once(served_community, fake_vk, fake_openai):
    fake_openai.queue(Reply("Once."))
    event_id = fake_vk.push_message(PERSON, "Hello?")
    await wait_sent(fake_vk, PERSON, 1)

    fake_vk.push_again(event_id)
    fake_vk.push_message(PERSON, "/help")
    sent = await wait_sent(fake_vk, PERSON, 2)

    assert sent[1].text.startswith("I can help with:")
    assert len(fake_openai.completion_requests()) == 1


async def test_staff_hear_of_a_vk_lead_in_the_bots_telegram_staff_chat(
    vk_settings, staff_forum, community, running_bots, fake_vk, fake_telegram
):
    await listening(fake_vk)

    fake_vk.push_message(PERSON, "+7 912 345-67-89")
    await wait_sent(fake_vk, PERSON, 1)

    async with asyncio.timeout(30):
        while not fake_telegram.sent_messages(STAFF):
            await asyncio.sleep(0.01)
    card = fake_telegram.sent_messages(STAFF)[0].visible_text
    assert "Иван Петров" in card
    assert "+79123456789" in card


async def test_an_operators_reply_from_admin_reaches_the_person_in_vk(
    served_community, fake_vk, fake_telegram
):
    fake_vk.push_message(PERSON, "/operator")
    await wait_sent(fake_vk, PERSON, 1)
    lead = await db_call(Contact.objects.get)(channel="vk")
    olga = await db_call(User.objects.create)(username="olga", first_name="Olga")

    await db_call(desk_reply)(
        contact_id=lead.pk, user_id=olga.pk, author_name="Olga", text="Hi, I am Olga"
    )

    sent = await wait_sent(fake_vk, PERSON, 2)
    assert sent[1].text.startswith("Hi, I am Olga")


async def test_forgetting_a_vk_person_deletes_the_events_kept(
    served_community, fake_vk, fake_openai
):
    fake_openai.queue(Reply("Noted."))
    fake_vk.push_message(PERSON, "My name is Ivan")
    await wait_sent(fake_vk, PERSON, 1)
    fake_vk.push_message(PERSON, "/forget")
    asked = await wait_sent(fake_vk, PERSON, 2)
    yes = asked[1].keyboard["buttons"][0][0]["action"]

    fake_vk.push_press(PERSON, json.loads(yes["payload"]))
    await wait_sent(fake_vk, PERSON, 3)

    await until_stored(lambda: not VkEvent.objects.filter(kind="message_new").exists())


async def test_a_vk_person_asks_for_a_person_and_an_operator_answers_in_the_topic(
    vk_settings, staff_forum, community, running_bots, fake_vk, fake_telegram
):
    await listening(fake_vk)

    fake_vk.push_message(PERSON, "/operator")
    await wait_sent(fake_vk, PERSON, 1)
    topic, posted = await wait_topic(fake_telegram, 2)
    assert topic.name == "Иван Петров"
    assert posted[1].visible_text == "Иван Петров asks for an operator."

    operator_says(fake_telegram, topic.message_thread_id, "Здравствуйте, я Ольга.")

    sent = await wait_sent(fake_vk, PERSON, 2)
    assert sent[1].text == "Здравствуйте, я Ольга.\n\n— Olga"
