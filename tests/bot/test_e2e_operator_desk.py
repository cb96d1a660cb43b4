"""End-to-end: operators at work in admin, through the fake Bot API.

The admin only stores what they do; the bot's process delivers it (`bot.operator_desk`): a
reply reaches the person and is mirrored into the lead's topic, releasing is told there, two
processes never send one reply twice, and nobody answering brings a reminder and then a
call-back offer.
"""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Permission
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bot.operator_desk import OperatorDesk
from bot.registry import BotApplications
from conversations.models import Contact, Handoff, Message, OutboxEntry
from conversations.services import desk_reply, desk_take, operator_record_message
from tests.bot.test_e2e_basics import wait_messages
from tests.bot.test_e2e_operators import PERSON, wait_topic
from tests.factories import BotFactory, ContactFactory, UserFactory
from tests.fakes.openai_server import Reply
from tests.running_bot import STAFF, in_thread


@pytest.fixture
def reminder_seconds():
    """The bot looks for people nobody has answered this often here (15 s in production)."""
    return 0.05


@pytest.fixture
def olga(transactional_db, telegram_bot):
    user = UserFactory(username="olga", first_name="Olga")
    user.user_permissions.add(Permission.objects.get(codename="operate_handoff"))
    telegram_bot.staff.add(user)
    client = Client()
    client.force_login(user)
    return client


def desk_url(contact_id: int) -> str:
    return reverse("admin:conversations_handoff_desk", args=[contact_id])


async def person_asks_for_an_operator(fake_telegram, language_code="en") -> int:
    fake_telegram.push_message(
        PERSON, "/operator", language_code=language_code, user={"first_name": "Anna"}
    )
    await wait_messages(fake_telegram, PERSON, 1)
    await wait_topic(fake_telegram, 2)
    return (await Contact.objects.aget()).pk


async def test_an_operator_answers_from_the_admin_reply_box_then_releases(
    running_bot, fake_telegram, fake_openai, staff_forum, olga
):
    lead = await person_asks_for_an_operator(fake_telegram)

    sent = await in_thread(olga.post, desk_url(lead), {"do": "reply", "reply-text": "Hi, Olga"})
    assert sent.status_code == 302
    replies = await wait_messages(fake_telegram, PERSON, 2)
    assert replies[1].visible_text == "Hi, Olga\n\n— Olga"
    _topic, posted = await wait_topic(fake_telegram, 3)
    assert posted[2].visible_text == "🧑‍💼 Olga (admin): Hi, Olga"

    fake_telegram.push_message(PERSON, "I need a lawyer for Monday", language_code="en")
    _topic, posted = await wait_topic(fake_telegram, 4)
    assert posted[3].visible_text == "👤 I need a lawyer for Monday"
    assert len(fake_telegram.sent_messages(PERSON)) == 2  # the assistant stays silent
    live = await in_thread(olga.get, reverse("admin:conversations_handoff_live", args=[lead]))
    assert "I need a lawyer for Monday" in live.content.decode()

    await in_thread(olga.post, desk_url(lead), {"do": "release"})
    _topic, posted = await wait_topic(fake_telegram, 5)
    assert posted[4].visible_text == (
        "Olga (admin) released the conversation: the assistant answers this person again."
    )

    fake_openai.queue(Reply(text="Sure, Monday works."))
    fake_telegram.push_message(PERSON, "Can it be Monday?", language_code="en")
    replies = await wait_messages(fake_telegram, PERSON, 3)
    assert replies[2].visible_text == "Sure, Monday works."
    reply = await Message.objects.select_related("author").aget(role="operator")
    assert (reply.author.username, reply.author_name, reply.delivery) == (
        "olga",
        "Olga",
        "delivered",
    )
    assert not await OutboxEntry.objects.aexists()


async def test_taking_over_in_admin_silences_the_assistant_and_tells_the_topic(
    running_bot, fake_telegram, fake_openai, staff_forum, olga
):
    lead = await person_asks_for_an_operator(fake_telegram)

    await in_thread(olga.post, desk_url(lead), {"do": "take"})
    _topic, posted = await wait_topic(fake_telegram, 3)
    fake_telegram.push_message(PERSON, "Hello?", language_code="en")
    await wait_topic(fake_telegram, 4)

    assert posted[2].visible_text.startswith("🧑‍💼 Olga (admin) took over")
    assert len(fake_telegram.sent_messages(PERSON)) == 1
    assert fake_openai.completion_requests() == []


async def test_a_note_from_admin_is_shown_in_the_topic_only(
    running_bot, fake_telegram, staff_forum, olga
):
    lead = await person_asks_for_an_operator(fake_telegram)

    await in_thread(olga.post, desk_url(lead), {"do": "note", "note-text": "Calls after 5"})
    _topic, posted = await wait_topic(fake_telegram, 3)

    assert posted[2].visible_text == "📝 Olga (admin), a note: Calls after 5"
    assert len(fake_telegram.sent_messages(PERSON)) == 1


# --- Delivery, claims and failures, one process's look at a time -----------------------------


@pytest.fixture
async def served(fake_telegram, bot_settings, telegram_bot):
    """The bots a process serves, without its loops: a test runs the desk's looks itself."""
    bots = BotApplications(api_base_url=fake_telegram.base_url, drain_seconds=5)
    await bots.refresh()
    yield bots
    await bots.close()


@pytest.fixture
def lead(telegram_bot):
    return ContactFactory(
        bot=telegram_bot, external_id=str(PERSON), first_name="Anna", last_name="User"
    )


def admin_reply(lead, text="Hello from admin") -> int:
    olga = UserFactory(username="olga", first_name="Olga")
    return desk_reply(contact_id=lead.pk, user_id=olga.pk, author_name="Olga", text=text)


async def test_two_processes_looking_at_once_send_a_reply_once(served, fake_telegram, lead):
    await sync_to_async(admin_reply)(lead)

    await asyncio.gather(*(OperatorDesk(served).carry_out_outbox() for _process in range(3)))

    assert [m.visible_text for m in fake_telegram.sent_messages(PERSON)] == [
        "Hello from admin\n\n— Olga"
    ]
    assert (await Message.objects.aget()).delivery == "delivered"
    assert not await OutboxEntry.objects.aexists()


async def test_an_entry_held_by_another_process_is_left_to_it(served, fake_telegram, lead):
    await sync_to_async(admin_reply)(lead)
    held_until = timezone.now() + timedelta(minutes=1)
    await OutboxEntry.objects.aupdate(claimed_until=held_until)

    await OperatorDesk(served).carry_out_outbox()

    assert fake_telegram.sent_messages(PERSON) == []
    assert (await OutboxEntry.objects.aget()).claimed_until == held_until


async def test_a_reply_for_a_bot_served_elsewhere_is_left_for_that_process(
    served, fake_telegram, transactional_db
):
    elsewhere = await sync_to_async(ContactFactory)(bot=await sync_to_async(BotFactory)())
    await sync_to_async(admin_reply)(elsewhere)

    await OperatorDesk(served).carry_out_outbox()

    entry = await OutboxEntry.objects.aget()
    assert entry.claimed_until is None
    assert fake_telegram.calls_of("sendMessage") == []


async def test_a_process_serving_no_bot_takes_nothing(fake_telegram, bot_settings, lead):
    await sync_to_async(admin_reply)(lead)
    await Handoff.objects.aupdate(waiting_since=timezone.now() - timedelta(hours=1))
    idle = OperatorDesk(BotApplications(api_base_url=fake_telegram.base_url, drain_seconds=1))

    await idle.carry_out_outbox()
    await idle.remind()

    assert (await OutboxEntry.objects.aget()).claimed_until is None
    assert fake_telegram.calls_of("sendMessage") == []


async def test_a_reply_telegram_refuses_is_recorded_undelivered_and_operators_told(
    served, fake_telegram, lead, staff_forum
):
    await sync_to_async(admin_reply)(lead)
    refusal = "Bad Request: chat not found"
    fake_telegram.fail_next("sendMessage", 400, refusal, chat_id=PERSON, times=2)

    await OperatorDesk(served).carry_out_outbox()

    reply = await Message.objects.aget()
    assert reply.delivery == "undelivered"
    assert "Chat not found" in reply.delivery_error
    topic = fake_telegram.topics(STAFF)[0]
    posted = fake_telegram.topic_messages(STAFF, topic.message_thread_id)
    assert [m.visible_text for m in posted[1:]] == [
        "🧑‍💼 Olga (admin): Hello from admin",
        f"Not delivered to the person: {reply.delivery_error}",
    ]
    assert not await OutboxEntry.objects.aexists()


async def test_telegram_failing_past_the_delivery_deadline_records_the_reply_undelivered(
    served, fake_telegram, lead, bot_settings
):
    bot_settings.TELEGRAM_DELIVERY_DEADLINE = 1
    await sync_to_async(admin_reply)(lead)
    fake_telegram.fail_next("sendMessage", 502, chat_id=PERSON, times=100)

    await OperatorDesk(served).carry_out_outbox()

    reply = await Message.objects.aget()
    assert reply.delivery == "undelivered"
    assert reply.delivery_error.startswith("deadline exceeded")
    assert len(fake_telegram.calls_of("sendMessage")) >= 2  # retried before giving up


async def test_a_person_who_blocked_the_bot_is_marked_so(served, fake_telegram, lead):
    await sync_to_async(admin_reply)(lead)
    fake_telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")

    await OperatorDesk(served).carry_out_outbox()

    assert (await Contact.objects.aget()).is_blocked
    assert (await Message.objects.aget()).delivery == "undelivered"


async def test_an_entry_that_fails_stays_held_while_other_leads_are_served(
    served, fake_telegram, lead, caplog
):
    broken = await sync_to_async(ContactFactory)(bot=lead.bot, external_id="not-a-telegram-id")
    await sync_to_async(admin_reply)(broken)
    await sync_to_async(admin_reply)(lead)

    await OperatorDesk(served).carry_out_outbox()

    assert len(fake_telegram.sent_messages(PERSON)) == 1
    entry = await OutboxEntry.objects.aget()
    assert entry.contact_id == broken.pk and entry.claimed_until is not None
    assert f"Outbox entry {entry.pk} failed" in caplog.text


async def test_a_failing_look_is_logged_and_the_next_one_comes(fake_telegram, caplog):
    desk = OperatorDesk(BotApplications(api_base_url=fake_telegram.base_url, drain_seconds=1))
    failures = [OperationalError("the database restarts"), RuntimeError("a bug")]

    async def look():
        if failures:
            raise failures.pop(0)
        desk.stop()

    await desk._every(0.01, look)

    assert failures == []
    assert "Database unavailable; the operator desk looks again" in caplog.text
    assert "The operator desk failed" in caplog.text


# --- Nobody answers -----------------------------------------------------------------------------


async def wait_longer(minutes: int) -> None:
    since = timezone.now() - timedelta(minutes=minutes, seconds=5)
    await Handoff.objects.filter(state__in=Handoff.OPEN).aupdate(waiting_since=since)


async def test_nobody_answers_operators_are_reminded_then_the_person_is_offered_a_call_back(
    running_bot, fake_telegram, staff_forum, bot_settings
):
    bot_settings.OPERATOR_REPLY_MINUTES = 10
    await person_asks_for_an_operator(fake_telegram)

    await wait_longer(10)
    _topic, posted = await wait_topic(fake_telegram, 3)
    assert posted[2].visible_text == "⏰ Nobody has answered Anna User for 10 minutes."

    await wait_longer(20)
    [_waiting, offer] = await wait_messages(fake_telegram, PERSON, 2)
    _topic, posted = await wait_topic(fake_telegram, 4)
    assert offer.visible_text.startswith("Sorry, it is taking our team longer than usual")
    assert offer.reply_markup["inline_keyboard"] == [
        [{"text": "Call me back", "callback_data": "contact:"}]
    ]
    assert posted[3].visible_text == (
        "⏰ Nobody has answered Anna User for 20 minutes: they were offered a call-back."
    )
    assert len(posted) == 4  # one reminder, however many looks passed

    fake_telegram.push_callback_query(PERSON, "contact:", offer.message_id, language_code="en")
    replies = await wait_messages(fake_telegram, PERSON, 4)
    assert replies[3].reply_markup["keyboard"][0][0]["request_contact"] is True
    handoff = await Handoff.objects.aget()
    assert handoff.reminded_at is not None and handoff.escalated_at is not None


async def test_people_an_operator_answered_are_not_reminded_of(
    served, fake_telegram, lead, staff_forum, bot_settings
):
    bot_settings.OPERATOR_REPLY_MINUTES = 10
    long_ago = timezone.now() - timedelta(hours=1)
    answered = await Handoff.objects.acreate(contact=lead, reason="person", waiting_since=long_ago)
    await sync_to_async(operator_record_message)(
        contact_id=lead.pk, text="Hello, Olga here.", author_name="Olga"
    )
    waiting_lead = await sync_to_async(ContactFactory)(
        bot=lead.bot, external_id="9402", first_name="Boris", last_name=""
    )
    await Handoff.objects.acreate(contact=waiting_lead, reason="person", waiting_since=long_ago)

    await OperatorDesk(served).remind()

    [topic] = fake_telegram.topics(STAFF)
    assert topic.name == "Boris"
    assert (await Handoff.objects.aget(pk=answered.pk)).reminded_at is None


async def test_two_processes_looking_at_once_remind_once(
    served, fake_telegram, lead, staff_forum, bot_settings
):
    bot_settings.OPERATOR_REPLY_MINUTES = 10
    await Handoff.objects.acreate(contact=lead, reason="person")
    await wait_longer(12)

    await asyncio.gather(*(OperatorDesk(served).remind() for _process in range(2)))

    [topic] = fake_telegram.topics(STAFF)
    news = [m.visible_text for m in fake_telegram.topic_messages(STAFF, topic.message_thread_id)]
    assert news[1:] == ["⏰ Nobody has answered Anna User for 10 minutes."]
    assert fake_telegram.sent_messages(PERSON) == []


async def test_the_call_back_offer_is_in_the_person_s_language(
    served, fake_telegram, lead, staff_forum, bot_settings
):
    bot_settings.OPERATOR_REPLY_MINUTES = 10
    await Contact.objects.filter(pk=lead.pk).aupdate(language_code="ru")
    olga = await sync_to_async(UserFactory)(username="olga")
    await sync_to_async(desk_take)(contact_id=lead.pk, user_id=olga.pk, author_name="Olga")
    await OutboxEntry.objects.all().adelete()
    await wait_longer(25)

    await OperatorDesk(served).remind()

    [offer] = fake_telegram.sent_messages(PERSON)
    assert offer.visible_text.startswith("Извините")
    assert offer.reply_markup["inline_keyboard"][0][0]["text"] == "Перезвоните мне"
    topic = fake_telegram.topics(STAFF)[0]
    news = [m.visible_text for m in fake_telegram.topic_messages(STAFF, topic.message_thread_id)]
    assert news[1:] == [
        "⏰ Nobody has answered Anna User for 10 minutes.",
        "⏰ Nobody has answered Anna User for 20 minutes: they were offered a call-back.",
    ]
