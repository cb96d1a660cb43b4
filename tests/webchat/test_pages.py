"""What a site's page loads: the loader, the button's settings (CORS), the window (a frame
only the allowed origins may show), and what the window's channel does when nobody reads."""

import asyncio

import pytest
from django.test import Client

from assistant.channel import Button, Mailbox, Note
from webchat import views
from webchat.channel import WebChannel
from webchat.models import WebSite
from webchat.selectors import site_by_key
from webchat.visitors import new_visitor, visitor_of

ORIGIN = "https://shop.example"


@pytest.fixture
def page_site(db, telegram_bot):
    return WebSite.objects.create(
        name="Shop", bot=telegram_bot, allowed_origins=f"{ORIGIN}\nhttps://www.shop.example"
    )


@pytest.mark.parametrize("name, kind", [("widget.js", "javascript"), ("chat.css", "text/css")])
def test_the_assets_are_served_here_with_an_etag(client, name, kind):
    response = client.get(f"/webchat/{name}")

    assert response.status_code == 200
    assert kind in response["Content-Type"]
    again = client.get(f"/webchat/{name}", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304


def test_the_whole_widget_is_small(client):
    sizes = [len(client.get(f"/webchat/{name}").content) for name in views.ASSET_TYPES]

    assert sum(sizes) < 20_000


def test_an_unknown_asset_is_not_found(client):
    assert client.get("/webchat/settings.py").status_code == 404


def test_an_allowed_origin_gets_the_buttons_settings(client, page_site):
    response = client.get(f"/webchat/s/{page_site.key}/config?lang=ru", headers={"Origin": ORIGIN})

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response.json() == {
        "title": page_site.bot.name,
        "colour": "#2563eb",
        "open_label": "Напишите нам",
        "close_label": "Закрыть чат",
        "language": "ru",
    }


@pytest.mark.parametrize("origin", ["https://evil.example", "http://shop.example", ""])
def test_other_origins_get_no_chat(client, page_site, origin):
    headers = {"Origin": origin} if origin else {}
    response = client.get(f"/webchat/s/{page_site.key}/config", headers=headers)

    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_a_switched_off_site_offers_no_chat(client, page_site):
    page_site.is_active = False
    page_site.save()

    response = client.get(f"/webchat/s/{page_site.key}/config", headers={"Origin": ORIGIN})

    assert response.status_code == 403


def test_the_window_may_be_framed_by_the_allowed_origins_only(client, page_site):
    response = client.get(f"/webchat/s/{page_site.key}/?lang=en")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    policy = response["Content-Security-Policy"]
    assert f"frame-ancestors {ORIGIN} https://www.shop.example" in policy
    assert "Type your message…" in response.content.decode()


def test_the_window_speaks_russian_when_the_page_does(client, page_site):
    page = client.get(f"/webchat/s/{page_site.key}/?lang=ru").content.decode()

    assert "Напишите сообщение…" in page
    assert 'lang="ru"' in page


def test_a_closed_sites_window_says_so_and_may_be_framed_nowhere(client, page_site):
    page_site.is_active = False
    page_site.save()

    response = client.get(f"/webchat/s/{page_site.key}/?lang=en")

    assert "This chat is closed." in response.content.decode()
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_an_unknown_sites_window_is_not_found(client, db):
    assert client.get("/webchat/s/nope/").status_code == 404
    assert client.get("/webchat/s/nope/config").status_code == 404


def test_the_site_and_its_greeting_are_escaped_in_the_window(client, page_site):
    page_site.title = "<script>alert(1)</script>"
    page_site.greeting = {"en": "</script><script>alert(2)</script>"}
    page_site.save()

    page = Client().get(f"/webchat/s/{page_site.key}/?lang=en").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "<script>alert(2)</script>" not in page


def test_the_sites_own_greeting_wins_in_its_language(page_site):
    from webchat.selectors import greeting

    page_site.greeting = {"ru": "Добро пожаловать в магазин!"}
    page_site.save()
    site = site_by_key(key=page_site.key)

    assert greeting(site, "ru") == "Добро пожаловать в магазин!"
    assert greeting(site, "en").startswith("Hello!")


def test_a_visitor_id_is_signed_for_one_site():
    token = new_visitor("site-a")

    assert len(visitor_of(token, "site-a")) == 32
    assert visitor_of(token, "site-b") is None
    assert visitor_of("garbage", "site-a") is None


def test_messages_after_something_that_is_not_an_id_are_refused(client, page_site):
    response = client.get(
        f"/webchat/s/{page_site.key}/messages?after=x",
        headers={"X-Visitor": new_visitor(page_site.key)},
    )

    assert response.status_code == 400


async def test_what_is_said_after_the_window_stopped_reading_waits_for_its_next_fetch():
    window = WebChannel()
    shown = await window.say(Note("Seen", buttons=[[Button("OK", "contact:")]]))
    window.gone()

    kept = await window.say(Note("Later"))
    answer = await window.answer_stream().finish("An answer")

    assert (shown.state, kept.state, answer.state) == ("delivered", "pending", "pending")
    assert shown.parts[0]["buttons"] == [[{"label": "OK", "action": "contact:", "url": ""}]]
    assert window.queue.qsize() == 1


async def test_a_mailbox_keeps_everything_pending_with_its_buttons():
    mailbox = Mailbox()

    outcome = await mailbox.say(Note("Rate us", buttons=[[Button("5", "csat:1:5")]]))
    stream = mailbox.answer_stream()
    stream.start_thinking()
    await stream.update("partial")

    assert outcome.state == "pending"
    assert not outcome.missed, "kept for the window is not a failure operators are told of"
    assert outcome.parts[0]["buttons"][0][0]["action"] == "csat:1:5"
    assert (await stream.finish("done")).state == "pending"
    assert not await stream.stop()
    assert mailbox.to_person(None) is mailbox
    await mailbox.acknowledge("x")
    await mailbox.replace_buttons(())
    assert await mailbox.tell_topic(1, "x")
    assert await mailbox.open_staff_topic(title="t", card="c") is None
    assert mailbox.private_address() == ("", "")


async def test_the_services_are_made_per_event_loop_and_forgotten_with_their_loop():
    stale = asyncio.new_event_loop()
    stale.close()
    views._services[stale] = "the services of a loop that is gone"

    first = views.loop_services()

    assert views.loop_services() is first
    assert list(views._services) == [asyncio.get_running_loop()]
    await first.close()
    views._services.clear()


def test_a_window_reaches_someone_elses_window_by_what_is_kept_for_it():
    assert isinstance(WebChannel().to_person(None), Mailbox)


def test_a_sending_window_reads_as_sender_minute_and_count(page_site):
    from django.utils import timezone

    from webchat.models import SendingWindow

    minute = timezone.now().replace(hour=9, minute=30, second=0, microsecond=0)
    window = SendingWindow(site=page_site, sender="visitor:abc", minute=minute, count=3)

    assert str(window) == "visitor:abc @ 09:30: 3"


def test_a_reply_fetched_before_its_outcome_was_recorded_stays_delivered(page_site):
    from conversations.services import message_record_delivery
    from tests.factories import ConversationFactory, MessageFactory
    from webchat.services import messages_fetched

    conversation = ConversationFactory(contact__channel="web", contact__bot=page_site.bot)
    reply = MessageFactory(conversation=conversation, role="operator", text="Hi")
    question = MessageFactory(conversation=conversation, role="user", text="?")

    messages_fetched(message_ids=[reply.pk, question.pk])
    message_record_delivery(message_id=reply.pk, delivery="pending", parts=[{"buttons": []}])

    reply.refresh_from_db()
    question.refresh_from_db()
    assert (reply.delivery, reply.delivery_parts) == ("delivered", [{"buttons": []}])
    assert question.delivery == ""


def test_an_event_key_longer_than_its_column_is_a_digest_of_it():
    from assistant.usecases import event_key

    long = event_key("web", 12, "v" * 32, "3f2b8c1e-8d4a-4b5e-9a7c-0e1f2a3b4c5d")

    assert len(long) == 64
    assert long.startswith("web:")
    assert long != event_key("web", 12, "v" * 32, "another-message")
    assert event_key("vk", 1, "abc") == "vk:1:abc"
