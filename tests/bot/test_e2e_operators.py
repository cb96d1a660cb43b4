"""End-to-end: a person asks for a person; an operator answers in the lead's topic of the staff
supergroup; the assistant is silent while the operator holds the conversation, and answers
again after /release."""

import io

from asgiref.sync import sync_to_async

from assistant.terminal import TerminalChannel
from assistant.usecases import operators
from bot.channel import TelegramChannel
from bots.models import OperatorAccount
from conversations import services as conversation_services
from conversations.models import Handoff, Message
from tests.bot.test_e2e_basics import wait_messages
from tests.factories import ContactFactory
from tests.fakes.openai_server import Reply, ReplyThenCall, ToolCall
from tests.running_bot import STAFF

PERSON = 9401
OPERATOR = {"id": 555, "first_name": "Olga", "last_name": "Ivanova", "username": "olga"}


def lead_topic(fake):
    return next((topic for topic in fake.topics(STAFF) if topic.created_by_bot), None)


async def wait_topic(fake, count: int):
    """The lead's topic (the bot made it), once the bot sent `count` messages into it."""
    await fake.wait_for_async(
        lambda: lead_topic(fake)
        and len(fake.topic_messages(STAFF, lead_topic(fake).message_thread_id)) >= count,
        10,
        f"{count} messages in the topic",
    )
    topic = lead_topic(fake)
    return topic, fake.topic_messages(STAFF, topic.message_thread_id)


def operator_says(fake, thread_id: int, text: str) -> int:
    return fake.push_message(
        STAFF, text, chat_type="supergroup", message_thread_id=thread_id, user=OPERATOR
    )


async def test_ask_for_a_person_an_operator_answers_in_the_topic_then_releases(
    running_bot, fake_telegram, fake_openai, staff_forum
):
    fake_telegram.push_message(PERSON, "/operator", language_code="en", user={"first_name": "Anna"})
    [waiting] = await wait_messages(fake_telegram, PERSON, 1)
    topic, posted = await wait_topic(fake_telegram, 2)

    assert "An operator will answer you here" in waiting.visible_text or (
        "a person will answer you here after" in waiting.visible_text
    )
    assert topic.name == "Anna User"
    assert posted[0].visible_text.startswith("New lead: Anna User")
    assert posted[1].visible_text == "Anna User asks for an operator."

    fake_telegram.push_message(PERSON, "Is anyone there?", language_code="en")
    fake_openai.queue(Reply(text="While you wait: we are open 9 to 18."))
    await wait_messages(fake_telegram, PERSON, 2)
    _topic, posted = await wait_topic(fake_telegram, 3)
    assert posted[2].visible_text == "👤 Is anyone there?"

    operator_says(fake_telegram, topic.message_thread_id, "Hello, I am here to help.")
    replies = await wait_messages(fake_telegram, PERSON, 3)
    assert replies[2].visible_text == "Hello, I am here to help.\n\n— Olga"

    fake_telegram.push_message(PERSON, "I need a lawyer for Monday", language_code="en")
    _topic, posted = await wait_topic(fake_telegram, 4)
    assert posted[3].visible_text == "👤 I need a lawyer for Monday"
    assert len(fake_telegram.sent_messages(PERSON)) == 3  # the assistant stayed silent
    assert len(fake_openai.completion_requests()) == 1

    operator_says(fake_telegram, topic.message_thread_id, "/note call him back at 5")
    _topic, posted = await wait_topic(fake_telegram, 5)
    assert posted[4].visible_text == "Note kept; the person does not see it."

    operator_says(fake_telegram, topic.message_thread_id, "/release")
    _topic, posted = await wait_topic(fake_telegram, 6)
    assert posted[5].visible_text == "Released: the assistant answers this person again."

    fake_openai.queue(Reply(text="Sure, Monday works."))
    fake_telegram.push_message(PERSON, "Can it be Monday?", language_code="en")
    replies = await wait_messages(fake_telegram, PERSON, 4)
    assert replies[3].visible_text == "Sure, Monday works."

    roles = await sync_to_async(list)(
        Message.objects.filter(role__in=["operator", "note"]).values_list(
            "role", "text", "author_name", "delivery"
        )
    )
    assert roles == [
        ("operator", "Hello, I am here to help.", "Olga", "delivered"),
        ("note", "call him back at 5", "Olga", ""),
    ]
    handoff = await Handoff.objects.aget()
    assert (handoff.state, handoff.reason) == ("closed", "person")
    assert handoff.first_reply_at is not None
    history = fake_openai.completion_requests()[-1].body["messages"]
    assert not any("call him back" in str(message["content"]) for message in history)


async def test_the_topic_is_made_once_and_reused_for_the_next_request(
    running_bot, fake_telegram, staff_forum
):
    fake_telegram.push_message(PERSON, "/operator", language_code="en")
    topic, _posted = await wait_topic(fake_telegram, 2)
    operator_says(fake_telegram, topic.message_thread_id, "/release")
    await wait_topic(fake_telegram, 3)

    fake_telegram.push_message(PERSON, "/operator", language_code="en")
    await wait_topic(fake_telegram, 4)

    assert len(fake_telegram.topics(STAFF)) == 1


async def test_a_repeated_operator_update_is_delivered_once(
    running_bot, fake_telegram, staff_forum
):
    fake_telegram.push_message(PERSON, "/operator", language_code="en")
    topic, _posted = await wait_topic(fake_telegram, 2)
    update_id = operator_says(fake_telegram, topic.message_thread_id, "One moment, please.")
    await wait_messages(fake_telegram, PERSON, 2)

    fake_telegram.push_same_update_again(update_id)
    fake_telegram.push_message(PERSON, "/help", language_code="en")
    replies = await wait_messages(fake_telegram, PERSON, 3)

    assert [r.visible_text for r in replies].count("One moment, please.\n\n— Olga") == 1


async def test_without_topics_in_the_staff_chat_the_person_is_still_told(
    running_bot, fake_telegram, bot_settings
):
    bot_settings.TELEGRAM_STAFF_CHAT_ID = "-100777"  # a plain group: no topics there

    fake_telegram.push_message(PERSON, "/operator", language_code="en")

    [waiting] = await wait_messages(fake_telegram, PERSON, 1)
    assert "will answer you here" in waiting.visible_text
    assert await Handoff.objects.filter(state="waiting").aexists()


async def test_the_assistant_hands_over_when_it_cannot_help(
    running_bot, fake_telegram, fake_openai, staff_forum
):
    fake_openai.queue(ToolCall("hand_to_person", '{"reason": "wants a refund, angry"}'))

    fake_telegram.push_message(
        PERSON, "This is outrageous, give my money back!", language_code="en"
    )

    [note] = await wait_messages(fake_telegram, PERSON, 1)
    _topic, posted = await wait_topic(fake_telegram, 2)
    assert "will answer you here" in note.visible_text
    assert posted[1].visible_text == (
        "The assistant hands Test User to an operator: wants a refund, angry"
    )
    handoff = await Handoff.objects.aget()
    assert (handoff.state, handoff.reason, handoff.why) == (
        "waiting",
        "assistant",
        "wants a refund, angry",
    )
    [request] = fake_openai.completion_requests()
    assert request.body["tools"][0]["function"]["name"] == "hand_to_person"
    reply = await Message.objects.aget(role="assistant")
    assert reply.text == note.visible_text


async def test_an_answer_and_a_handoff_together_deliver_both(
    running_bot, fake_telegram, fake_openai, staff_forum
):
    fake_openai.queue(
        ReplyThenCall("I cannot change prices myself.", "hand_to_person", '{"reason": "price"}')
    )

    fake_telegram.push_message(PERSON, "Give me a discount", language_code="en")

    answer, note = await wait_messages(fake_telegram, PERSON, 2)
    assert answer.visible_text == "I cannot change prices myself."
    assert "will answer you here" in note.visible_text


async def test_in_a_group_no_handoff_is_offered_to_the_model(
    running_bot, fake_telegram, fake_openai
):
    fake_openai.queue(Reply(text="Hi all"))

    fake_telegram.push_message(-4242, "@fake_test_bot hi", chat_type="group", user={"id": 77})

    await wait_messages(fake_telegram, -4242, 1)
    [request] = fake_openai.completion_requests()
    assert "tools" not in request.body


async def asked_and_taken(fake_telegram):
    """The person asked for a person and an operator answered: the topic's id."""
    fake_telegram.push_message(PERSON, "/operator", language_code="en")
    topic, _posted = await wait_topic(fake_telegram, 2)
    operator_says(fake_telegram, topic.message_thread_id, "Hello!")
    await wait_messages(fake_telegram, PERSON, 2)
    return topic.message_thread_id


async def test_asking_again_while_an_operator_talks_says_so(
    running_bot, fake_telegram, staff_forum
):
    await asked_and_taken(fake_telegram)

    fake_telegram.push_message(PERSON, "/operator", language_code="en")

    replies = await wait_messages(fake_telegram, PERSON, 3)
    assert replies[2].visible_text == "An operator is already talking with you here."


async def test_asking_twice_while_waiting_tells_staff_once(running_bot, fake_telegram, staff_forum):
    fake_telegram.push_message(PERSON, "/operator", language_code="en")
    fake_telegram.push_message(PERSON, "/operator", language_code="en")

    await wait_messages(fake_telegram, PERSON, 2)
    _topic, posted = await wait_topic(fake_telegram, 2)
    assert [m.visible_text for m in posted].count("Test User asks for an operator.") == 1


async def test_a_sticker_while_an_operator_talks_goes_to_the_operator_only(
    running_bot, fake_telegram, staff_forum
):
    await asked_and_taken(fake_telegram)

    fake_telegram.push_sticker(PERSON, language_code="en")

    _topic, posted = await wait_topic(fake_telegram, 3)
    assert posted[2].visible_text == "👤 (not text)"
    assert len(fake_telegram.sent_messages(PERSON)) == 2


async def test_a_note_without_text_asks_for_it(running_bot, fake_telegram, staff_forum):
    thread_id = await asked_and_taken(fake_telegram)

    operator_says(fake_telegram, thread_id, "/note")

    _topic, posted = await wait_topic(fake_telegram, 3)
    assert posted[2].visible_text == "Write the note after /note."


async def test_release_of_a_conversation_nobody_holds_says_so(
    running_bot, fake_telegram, staff_forum
):
    thread_id = await asked_and_taken(fake_telegram)
    operator_says(fake_telegram, thread_id, "/release")
    await wait_topic(fake_telegram, 3)

    operator_says(fake_telegram, thread_id, "/release@fake_test_bot")

    _topic, posted = await wait_topic(fake_telegram, 4)
    assert posted[3].visible_text == "Nobody held this conversation: the assistant answers it."


async def test_an_operators_reply_that_cannot_be_delivered_is_reported_in_the_topic(
    running_bot, fake_telegram, staff_forum
):
    fake_telegram.push_message(PERSON, "/operator", language_code="en")
    topic, _posted = await wait_topic(fake_telegram, 2)
    fake_telegram.fail_next("sendMessage", 403, chat_id=PERSON)

    operator_says(fake_telegram, topic.message_thread_id, "Are you there?")

    _topic, posted = await wait_topic(fake_telegram, 3)
    assert posted[2].visible_text.startswith("Not delivered to the person:")
    reply = await Message.objects.aget(role="operator")
    assert reply.delivery == "undelivered"


async def test_topics_that_are_no_leads_and_other_bots_are_left_alone(
    running_bot, fake_telegram, staff_forum
):
    staff_topic = fake_telegram.push_topic_created(STAFF, "Shifts", user=OPERATOR)
    operator_says(fake_telegram, staff_topic, "Who works on Sunday?")
    fake_telegram.push_message(PERSON, "/operator", language_code="en")
    topic, _posted = await wait_topic(fake_telegram, 2)
    fake_telegram.push_message(
        STAFF,
        "I am another bot",
        chat_type="supergroup",
        message_thread_id=topic.message_thread_id,
        user={"id": 999, "is_bot": True, "first_name": "Other"},
    )
    fake_telegram.push_message(PERSON, "/help", language_code="en")
    await wait_messages(fake_telegram, PERSON, 2)

    assert fake_telegram.topic_messages(STAFF, staff_topic) == []
    assert not await Message.objects.filter(role="operator").aexists()


async def test_in_a_group_asking_for_a_person_points_to_the_private_chat(
    running_bot, fake_telegram
):
    fake_telegram.push_message(
        -4243, "/operator@fake_test_bot", chat_type="group", user={"id": 78}, language_code="en"
    )

    [reply] = await wait_messages(fake_telegram, -4243, 1)
    assert reply.visible_text == "Write to me privately to talk to a person."
    assert not await Handoff.objects.aexists()


async def test_a_call_with_unreadable_arguments_still_hands_over(
    running_bot, fake_telegram, fake_openai, staff_forum
):
    fake_openai.queue(ToolCall("hand_to_person", "not json"))

    fake_telegram.push_message(PERSON, "Help!", language_code="en")

    _topic, posted = await wait_topic(fake_telegram, 2)
    assert posted[1].visible_text == "The assistant hands Test User to an operator: —"


async def test_an_operator_with_a_registered_account_is_stored_as_their_staff_user(
    running_bot, fake_telegram, staff_forum, staff_user
):
    await OperatorAccount.objects.acreate(user=staff_user, telegram_user_id=OPERATOR["id"])

    await asked_and_taken(fake_telegram)

    reply = await Message.objects.aget(role="operator")
    assert (reply.author_id, reply.author_name) == (staff_user.pk, "Olga")


async def test_two_processes_making_a_lead_topic_at_once_keep_one(
    fake_telegram, ext_bot, staff_forum, transactional_db, monkeypatch
):
    contact = await sync_to_async(ContactFactory)(first_name="Anna", last_name="")
    channel = TelegramChannel(ext_bot, PERSON, private=True, staff_chat_id=str(STAFF))
    first = await operators.lead_topic(channel, contact.pk, "Anna")
    # The other process looked for the topic before this one saved it:
    monkeypatch.setattr(conversation_services, "staff_topic_of", lambda **_kwargs: None)

    second = await operators.lead_topic(channel, contact.pk, "Anna")

    assert second == first
    assert [topic.deleted for topic in fake_telegram.topics(STAFF)] == [False, True]


async def test_a_second_topic_that_cannot_be_removed_is_only_logged(ext_bot, caplog):
    channel = TelegramChannel(ext_bot, PERSON, private=True, staff_chat_id="-100123")

    await channel.drop_staff_topic(5)  # the fake knows no such forum

    assert "Could not delete a topic of the staff chat" in caplog.text
    await TerminalChannel(io.StringIO()).drop_staff_topic(5)
