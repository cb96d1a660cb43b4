"""The web chat window's conversation: answers stream, everything is kept, the page reloads,
buttons and the contact form work as in Telegram, operators reach the window."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from bot.operator_desk import OperatorDesk
from bot.registry import BotApplications
from conversations.models import AnswerRating, Contact, Handoff, Message
from conversations.services import desk_reply
from tests.bot.test_e2e_operators import operator_says, wait_topic
from tests.fakes.openai_server import BrokenStream, Fail, Reply
from tests.running_bot import STAFF
from tests.webchat.conftest import Window


async def test_a_question_is_answered_in_a_stream_and_kept(window, fake_openai):
    fake_openai.queue(Reply("We are open from nine to six.", chunk_size=6))

    events = await window.say("When are you open?")

    assert events[0] == {"kind": "thinking"}
    grown = "".join(event["text"] for event in events if event["kind"] == "more")
    assert grown == "We are open from nine to six."
    assert events[-1]["kind"] == "answer"
    assert events[-1]["text"] == "We are open from nine to six."
    assert events[-1]["buttons"][0][0]["action"].startswith("rate:")
    shown = await window.messages()
    assert [(m["role"], m["text"]) for m in shown] == [
        ("user", "When are you open?"),
        ("assistant", "We are open from nine to six."),
    ]
    lead = await Contact.objects.aget(channel=Contact.Channel.WEB)
    assert lead.bot_id == window.site.bot_id


async def test_after_a_reload_the_window_finds_the_conversation(window, fake_openai, site):
    fake_openai.queue(Reply("Yes, we do."))
    await window.say("Do you deliver?")

    reloaded = Window(site)
    reloaded.visitor = window.visitor
    shown = await reloaded.messages()

    assert [m["text"] for m in shown] == ["Do you deliver?", "Yes, we do."]
    assert shown[-1]["buttons"], "the latest answer keeps its rating buttons"
    assert await reloaded.messages(after=shown[-1]["id"]) == []


async def test_another_visitor_sees_nothing_of_it(window, fake_openai, site):
    fake_openai.queue(Reply("Yes, we do."))
    await window.say("Do you deliver?")

    stranger = await Window(site).open()

    assert await stranger.messages() == []


async def test_a_forged_or_missing_visitor_is_asked_to_reload(window, site):
    window.visitor = window.visitor[:-2] + "xx"
    refused = await window.post("send", {"text": "Hello"})

    assert refused.status_code == 401
    assert refused.json() == {"error": "Please reload the page."}
    window.visitor = ""
    assert (await window.post("send", {"text": "Hello"})).status_code == 401
    assert not await Message.objects.aexists()


async def test_a_visitor_of_another_site_is_not_one_here(window, site, telegram_bot):
    other = await sync_to_async(site.__class__.objects.create)(
        name="Other", bot=telegram_bot, allowed_origins="https://other.example"
    )
    elsewhere = Window(other)
    elsewhere.visitor = window.visitor

    assert (await elsewhere.post("send", {"text": "Hello"})).status_code == 401


@pytest.mark.parametrize(
    "text, status, error",
    [
        ("   ", 400, "Please write your message first."),
        ("x" * 2001, 413, "This message is too long: up to 2000 characters, please."),
    ],
)
async def test_empty_or_too_long_messages_are_refused_politely(window, text, status, error):
    refused = await window.post("send", {"text": text})

    assert (refused.status_code, refused.json()) == (status, {"error": error})
    assert not await Message.objects.aexists()


async def test_a_body_that_is_not_json_is_refused(window):
    refused = await window.client.post(
        window.base + "send", "text=hi", "text/plain", headers=window.headers()
    )

    assert refused.status_code == 400


async def test_a_request_larger_than_django_takes_is_refused(window, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    refused = await window.post("send", {"text": "x" * 1500})

    assert (refused.status_code, refused.json()) == (413, {"error": "The request is too large."})


async def test_a_visitor_writing_too_fast_waits(window, fake_openai, site):
    site.visitor_messages_per_minute = 2
    await sync_to_async(site.save)()
    fake_openai.queue(Reply("One."), Reply("Two."))
    await window.say("One?")
    await window.say("Two?")

    refused = await window.post("send", {"text": "Three?"})

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["error"].startswith("You are writing too fast.")
    assert await Message.objects.filter(role="user").acount() == 2


async def test_visitors_behind_one_address_share_its_limit(window, fake_openai, site):
    site.address_messages_per_minute = 1
    await sync_to_async(site.save)()
    fake_openai.queue(Reply("One."))
    await window.say("One?")
    neighbour = await Window(site).open()

    assert (await neighbour.post("send", {"text": "Me too?"})).status_code == 429


async def test_a_message_sent_again_after_a_lost_answer_is_not_answered_twice(window, fake_openai):
    fake_openai.queue(Reply("Once."))
    await window.say("Hello?", message_id="same-id")

    again = await window.say("Hello?", message_id="same-id")

    assert [event["kind"] for event in again] == []
    assert len(fake_openai.completion_requests()) == 1
    assert await Message.objects.filter(role="user").acount() == 1


async def test_the_catalog_buttons_work_as_in_telegram(window, services):
    listed = await window.events("press", {"action": "catalog:", "label": "Services"})

    assert listed[-1]["text"] == "Our services:"
    buttons = [button for row in listed[-1]["buttons"] for button in row]
    assert [button["label"] for button in buttons] == ["Консультация", "Сопровождение"]

    shown = await window.events("press", {"action": buttons[0]["action"], "label": "it"})

    assert "Консультация" in shown[-1]["text"]
    stored = await window.messages()
    assert [m["text"] for m in stored][:2] == ["Services", "Our services:"]


async def test_a_button_the_assistant_does_not_offer_is_stale(window):
    events = await window.events("press", {"action": "nonsense:1", "label": "?"})

    assert events[-1]["text"] == "This button is no longer active."


async def test_leave_a_contact_opens_the_form_and_the_phone_is_kept_with_consent(window):
    asked = await window.events("press", {"action": "contact:", "label": "Leave a contact"})
    assert asked[-1]["contact_form"] is True

    thanked = await window.events(
        "contact", {"phone": "+7 912 345-67-89", "email": "", "consent": True}
    )

    assert thanked[-1]["text"].startswith("Thank you! We saved +79123456789")
    lead = await Contact.objects.aget()
    assert lead.phone == "+79123456789"
    assert lead.consent_at is not None


async def test_an_email_alone_is_kept_too(window):
    await window.events("contact", {"phone": "", "email": "Anna@Example.com", "consent": True})

    assert (await Contact.objects.aget()).email == "anna@example.com"


@pytest.mark.parametrize(
    "form, answer",
    [
        ({"phone": "12", "email": ""}, "I could not read this phone number, sorry."),
        (
            {"phone": "", "email": "not-an-address"},
            "This doesn't look like an e-mail address. Please check it.",
        ),
        ({"phone": " ", "email": ""}, "Please give a phone number or an e-mail."),
    ],
)
async def test_a_form_that_cannot_be_read_is_answered_politely(window, form, answer):
    events = await window.events("contact", {**form, "consent": True})

    assert events[-1]["text"] == answer
    lead = await Contact.objects.aget()
    assert (lead.phone, lead.email, lead.consent_at) == ("", "", None)


async def test_without_consent_the_form_is_not_taken(window):
    refused = await window.post("contact", {"phone": "+79123456789", "consent": "yes"})

    assert refused.status_code == 400
    assert "agree" in refused.json()["error"]
    assert not await Contact.objects.aexists()


async def test_commands_typed_in_the_window_work(window):
    privacy = await window.say("/privacy")
    unknown = await window.say("/launch")

    assert "https://example.com/privacy" in privacy[-1]["text"]
    assert unknown[-1]["text"] == "I don't know this command. See /help."


async def test_a_provider_failure_is_told_politely_and_the_question_is_kept(window, fake_openai):
    fake_openai.queue(Fail(500), Fail(500), Fail(500))

    events = await window.say("Anything?")

    assert events[-1]["kind"] in {"answer", "note"}
    assert "sorry" in events[-1]["text"].lower()
    assert await Message.objects.filter(role="user", text="Anything?").aexists()


async def test_asking_for_a_person_opens_a_handoff_for_the_admin_desk(window):
    events = await window.events("press", {"action": "operator:", "label": "Talk to a person"})

    assert events[-1]["kind"] == "note"
    handoff = await Handoff.objects.select_related("contact").aget()
    assert handoff.contact.channel == Contact.Channel.WEB


async def test_an_operators_reply_from_admin_waits_for_the_window_then_is_delivered(
    window, fake_telegram, bot_settings, site
):
    await window.events("press", {"action": "operator:", "label": "Talk to a person"})
    lead = await Contact.objects.aget()
    olga = await sync_to_async(User.objects.create)(username="olga", first_name="Olga")
    await sync_to_async(desk_reply)(
        contact_id=lead.pk, user_id=olga.pk, author_name="Olga", text="Hi, I am Olga"
    )
    bots = BotApplications(api_base_url=fake_telegram.base_url, drain_seconds=5)
    await bots.refresh()
    try:
        await OperatorDesk(bots).carry_out_outbox()
    finally:
        await bots.close()

    reply = await Message.objects.aget(role="operator")
    assert reply.delivery == "pending"
    assert fake_telegram.sent_messages(int(site.bot.telegram_id)) == []
    shown = await window.messages()
    assert shown[-1]["text"].startswith("Hi, I am Olga")
    assert shown[-1]["author"] == "Olga"
    await reply.arefresh_from_db()
    assert reply.delivery == "delivered"


async def test_a_closed_site_takes_no_messages(window, site):
    site.is_active = False
    await sync_to_async(site.save)()

    refused = await window.post("send", {"text": "Hello"})

    assert (refused.status_code, refused.json()) == (403, {"error": "This chat is closed."})


async def test_another_origin_cannot_post_into_a_conversation(window):
    refused = await window.client.post(
        window.base + "send",
        '{"text": "hi"}',
        "application/json",
        headers={**window.headers(), "Origin": "https://evil.example"},
    )

    assert refused.status_code == 403


async def test_an_unknown_site_is_not_found(window):
    window.base = "/webchat/s/nope/"

    assert (await window.post("send", {"text": "hi"})).status_code == 404
    assert (await window.client.get(window.base + "messages")).status_code == 404


async def test_an_answer_that_starts_again_after_a_broken_stream_is_redrawn(window, fake_openai):
    fake_openai.queue(BrokenStream("Half an ans", chunk_size=4), Reply("A whole answer."))

    events = await window.say("Tell me")

    assert any(event["kind"] == "draft" for event in events)
    assert events[-1]["text"] == "A whole answer."


async def test_rating_an_answer_turns_its_buttons_into_thanks(window, fake_openai):
    fake_openai.queue(Reply("Here you are."))
    answer = await window.say("Help?")
    up = answer[-1]["buttons"][0][0]

    pressed = await window.events("press", {"action": up["action"], "label": up["label"]})

    assert [event["kind"] for event in pressed][-1] == "buttons"
    assert await AnswerRating.objects.filter(value="up").aexists()


async def test_a_window_is_told_when_its_message_could_not_be_handled(window, monkeypatch):
    async def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr("webchat.views.usecases.handle", broken)

    events = await window.say("Hello")

    assert events == [{"kind": "error", "text": "Sorry, something went wrong. Please try again."}]


async def test_a_closed_site_gives_no_new_visitors(site):
    site.is_active = False
    await sync_to_async(site.save)()

    refused = await Window(site).client.post(f"/webchat/s/{site.key}/visitor")

    assert refused.status_code == 403


async def test_staff_hear_of_a_web_lead_in_the_bots_telegram_staff_chat(
    window, fake_telegram, staff_forum
):
    await window.events("contact", {"phone": "+7 912 345-67-89", "email": "", "consent": True})

    card = fake_telegram.sent_messages(STAFF)[0].visible_text
    assert card.startswith("New lead:")
    assert "+79123456789" in card


async def test_a_web_visitor_handed_over_is_answered_by_an_operator_in_the_topic(
    window, fake_telegram, staff_forum, running_bots
):
    await window.events("press", {"action": "operator:", "label": "Talk to a person"})
    topic, posted = await wait_topic(fake_telegram, 2)
    assert posted[1].visible_text.endswith("asks for an operator.")

    operator_says(fake_telegram, topic.message_thread_id, "Hello from the topic.")

    async with asyncio.timeout(30):
        while not (shown := await window.messages()) or shown[-1]["role"] != "operator":
            await asyncio.sleep(0.05)
    assert (shown[-1]["text"], shown[-1]["author"]) == ("Hello from the topic.", "Olga")
    reply = await Message.objects.aget(role="operator")
    assert reply.delivery == "delivered"


async def test_a_bot_whose_token_telegram_refuses_has_no_staff_side_here(
    window, fake_telegram, staff_forum, caplog
):
    fake_telegram.stop()

    events = await window.events("contact", {"phone": "+79123456789", "consent": True})

    assert events[-1]["text"].startswith("Thank you!")
    assert "cannot tell its staff chat from here" in caplog.text
