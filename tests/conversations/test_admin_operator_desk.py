"""The operator desk in admin: the waiting list, a lead's desk, who may use them, and what
its buttons and boxes store for the bot processes to carry out."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conversations.models import Handoff, Message, OutboxEntry
from tests.factories import BotFactory, ContactFactory, MessageFactory, UserFactory

pytestmark = pytest.mark.django_db

WAITING_LIST = reverse("admin:conversations_handoff_changelist")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def desk_url(contact):
    return reverse("admin:conversations_handoff_desk", args=[contact.pk])


def live_url(contact):
    return reverse("admin:conversations_handoff_live", args=[contact.pk])


def operator(*, bots=(), first_name="Olga", username="olga", **permissions):
    """A staff user (not a superuser) who may answer leads, working with `bots`."""
    user = UserFactory(username=username, first_name=first_name)
    user.user_permissions.add(Permission.objects.get(codename="operate_handoff"))
    user.bots.add(*bots)
    return user


def logged_in(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


@pytest.fixture
def bot():
    return BotFactory(name="Shop")


@pytest.fixture
def lead(bot):
    return ContactFactory(bot=bot, first_name="Anna", last_name="Petrova")


@pytest.fixture
def olga(bot):
    return operator(bots=[bot])


def waiting_for(contact, minutes: int, **fields) -> Handoff:
    since = timezone.now() - timedelta(minutes=minutes)
    return Handoff.objects.create(
        contact=contact, reason=Handoff.Reason.PERSON, waiting_since=since, **fields
    )


def page(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- The waiting list ---------------------------------------------------------------------------


def test_the_list_shows_open_handoffs_the_longest_wait_first(olga, bot):
    short = waiting_for(ContactFactory(bot=bot, first_name="Boris", last_name=""), 3)
    long = waiting_for(ContactFactory(bot=bot, first_name="Vera", last_name=""), 25)
    closed = waiting_for(ContactFactory(bot=bot, first_name="Gleb", last_name=""), 60)
    closed.state = Handoff.State.CLOSED
    closed.save()

    response = logged_in(olga).get(WAITING_LIST)

    html = page(response)
    assert list(response.context["cl"].result_list) == [long, short]
    assert "Waiting for an operator" in html
    assert "25\xa0minutes" in html and "3\xa0minutes" in html
    assert f'href="{desk_url(long.contact)}"' in html
    assert "Gleb" not in html


def test_closed_handoffs_are_found_with_the_state_filter(olga, lead):
    waiting_for(lead, 5, state=Handoff.State.CLOSED)

    response = logged_in(olga).get(WAITING_LIST, {"state": "closed"})

    assert [handoff.contact for handoff in response.context["cl"].result_list] == [lead]


def test_the_list_shows_one_bot_s_leads_with_the_bot_filter(admin_client, lead):
    other = ContactFactory(bot=BotFactory(name="Other"))
    waiting_for(lead, 5)
    waiting_for(other, 9)

    response = admin_client.get(WAITING_LIST, {"contact__bot__id__exact": lead.bot_id})

    assert [handoff.contact for handoff in response.context["cl"].result_list] == [lead]
    assert "Shop" in page(response)


def test_the_list_is_refreshed_in_place_by_the_page_script(olga):
    html = page(logged_in(olga).get(WAITING_LIST))

    assert f'data-live-url="{WAITING_LIST}"' in html
    assert 'data-live-select="#live-list"' in html
    assert "/static/conversations/live.js" in html


def test_the_admin_home_links_the_waiting_list_for_operators(olga):
    html = page(logged_in(olga).get(reverse("admin:index")))

    assert f'href="{WAITING_LIST}"' in html


# --- Who may use it -----------------------------------------------------------------------------


def test_staff_without_the_operator_permission_are_refused_everywhere(lead):
    client = logged_in(UserFactory(username="viewer"))

    assert client.get(WAITING_LIST).status_code == 403
    assert client.get(desk_url(lead)).status_code == 403
    assert client.get(live_url(lead)).status_code == 403
    assert client.post(desk_url(lead), {"do": "take"}).status_code == 403
    assert not Handoff.objects.exists()


def test_operators_see_only_the_leads_of_their_bots_and_leads_of_no_bot(lead, bot):
    other_lead = ContactFactory(bot=BotFactory(name="Other"), first_name="Oleg", last_name="")
    terminal_lead = ContactFactory(bot=None, first_name="Tanya", last_name="")
    for contact in (lead, other_lead, terminal_lead):
        waiting_for(contact, 5)
    client = logged_in(operator(bots=[bot]))

    listed = client.get(WAITING_LIST).context["cl"].result_list

    assert {handoff.contact for handoff in listed} == {lead, terminal_lead}
    assert client.get(desk_url(other_lead)).status_code == 404
    assert client.get(live_url(other_lead)).status_code == 404
    assert client.post(desk_url(other_lead), {"do": "take"}).status_code == 404
    assert client.get(desk_url(terminal_lead)).status_code == 200


def test_superusers_see_every_bots_leads(admin_client, lead):
    waiting_for(lead, 5)

    assert len(admin_client.get(WAITING_LIST).context["cl"].result_list) == 1
    assert admin_client.get(desk_url(lead)).status_code == 200


def test_a_post_without_the_csrf_token_changes_nothing(olga, lead):
    client = logged_in(olga, enforce_csrf_checks=True)

    refused = client.post(desk_url(lead), {"do": "reply", "reply-text": "Hello"})

    assert refused.status_code == 403
    assert not Message.objects.exists()
    assert not OutboxEntry.objects.exists()


def test_the_desk_posts_carry_the_csrf_token(olga, lead):
    client = logged_in(olga, enforce_csrf_checks=True)
    html = page(client.get(desk_url(lead)))
    token = client.cookies["csrftoken"].value

    accepted = client.post(desk_url(lead), {"do": "take", "csrfmiddlewaretoken": token})

    buttons_form = '<form id="desk-actions" method="post"><input type="hidden"'
    assert f'{buttons_form} name="csrfmiddlewaretoken"' in html
    assert accepted.status_code == 302
    assert Handoff.objects.get().state == Handoff.State.TAKEN


# --- A lead's desk ------------------------------------------------------------------------------


def test_the_desk_shows_the_recent_transcript_with_operators_and_notes_marked(olga, lead):
    MessageFactory(contact=lead, conversation__contact=lead, role="user", text="Is anyone here?")
    conversation = lead.conversations.get()
    MessageFactory(
        contact=lead,
        conversation=conversation,
        role="operator",
        text="Yes, Olga here.",
        author_name="Olga",
        delivery="delivered",
    )
    MessageFactory(
        contact=lead, conversation=conversation, role="note", text="VIP", author_name="Olga"
    )
    waiting_for(lead, 7)

    html = page(logged_in(olga).get(desk_url(lead)))

    assert "Is anyone here?" in html
    assert 'class="message role-operator"' in html and "Yes, Olga here." in html
    assert 'class="message role-note"' in html and "Internal note" in html
    assert "Operator</strong> · Olga" in html
    assert "Delivered" in html
    assert "Waiting for an operator" in html and "waiting for a reply for 7\xa0minutes" in html


def test_the_desk_shows_why_a_reply_did_not_arrive(olga, lead):
    MessageFactory(
        contact=lead,
        conversation__contact=lead,
        role="operator",
        text="Hello",
        delivery="undelivered",
        delivery_error="BadRequest: chat not found",
    )

    html = page(logged_in(olga).get(desk_url(lead)))

    assert "Not delivered: BadRequest: chat not found" in html


def test_the_live_part_shows_a_message_stored_after_the_page_was_opened(olga, lead):
    client = logged_in(olga)
    html = page(client.get(desk_url(lead)))
    assert f'data-live-url="{live_url(lead)}"' in html

    MessageFactory(contact=lead, conversation__contact=lead, text="A new question")
    fragment = page(client.get(live_url(lead)))

    assert "A new question" in fragment
    assert "<html" not in fragment
    assert "csrfmiddlewaretoken" not in fragment  # unchanged parts stay the same text


def test_take_over_holds_the_conversation_and_tells_the_topic(olga, lead):
    response = logged_in(olga).post(desk_url(lead), {"do": "take"})

    assert response.status_code == 302 and response.url == desk_url(lead)
    handoff = Handoff.objects.get()
    assert (handoff.state, handoff.reason, handoff.taken_by) == ("taken", "staff", olga)
    assert list(OutboxEntry.objects.values_list("kind", "author_name")) == [("taken", "Olga")]


def test_taking_over_a_conversation_another_operator_holds_makes_it_yours(olga, lead, bot):
    boris = operator(bots=[bot], first_name="Boris", username="boris")
    logged_in(boris).post(desk_url(lead), {"do": "take"})

    logged_in(olga).post(desk_url(lead), {"do": "take"})

    assert Handoff.objects.get().taken_by == olga


def test_the_desk_offers_release_once_you_hold_the_conversation(olga, lead):
    client = logged_in(olga)
    client.post(desk_url(lead), {"do": "take"})

    html = page(client.get(desk_url(lead)))

    assert "held by olga" in html
    assert 'value="release"' in html and 'value="take"' not in html


def test_release_gives_the_conversation_back_and_tells_the_topic(olga, lead):
    waiting_for(lead, 2, state=Handoff.State.TAKEN)

    response = logged_in(olga).post(desk_url(lead), {"do": "release"}, follow=True)

    assert "Released: the assistant answers this person again." in page(response)
    assert Handoff.objects.get().state == Handoff.State.CLOSED
    assert list(OutboxEntry.objects.values_list("kind", flat=True)) == ["released"]


def test_release_with_nothing_open_says_so_and_tells_nobody(olga, lead):
    response = logged_in(olga).post(desk_url(lead), {"do": "release"}, follow=True)

    assert "Nobody held this conversation" in page(response)
    assert not OutboxEntry.objects.exists()


def test_a_reply_is_stored_for_the_bot_to_send_and_takes_the_conversation(olga, lead):
    waiting_for(lead, 4)

    response = logged_in(olga).post(desk_url(lead), {"do": "reply", "reply-text": " Hello! "})

    assert response.status_code == 302
    reply = Message.objects.get()
    assert (reply.role, reply.text, reply.author, reply.author_name, reply.delivery) == (
        "operator",
        "Hello!",
        olga,
        "Olga",
        "pending",
    )
    entry = OutboxEntry.objects.get()
    assert (entry.kind, entry.message, entry.claimed_until) == ("reply", reply, None)
    handoff = Handoff.objects.get()
    assert (handoff.state, handoff.taken_by, handoff.waiting_since) == ("taken", olga, None)


def test_an_operator_without_a_first_name_signs_with_the_username(lead, bot):
    client = logged_in(operator(bots=[bot], first_name="", username="duty"))

    client.post(desk_url(lead), {"do": "reply", "reply-text": "Hi"})

    assert Message.objects.get().author_name == "duty"


def test_a_note_is_kept_never_sent_and_shown_to_the_topic(olga, lead):
    response = logged_in(olga).post(desk_url(lead), {"do": "note", "note-text": "Calls at 5"})

    assert response.status_code == 302
    note = Message.objects.get()
    assert (note.role, note.text, note.author_name, note.delivery) == (
        "note",
        "Calls at 5",
        "Olga",
        "",
    )
    assert list(OutboxEntry.objects.values_list("kind", "message")) == [("note", note.pk)]
    assert not Handoff.objects.exists()


def test_an_empty_reply_is_refused_with_the_form_saying_why(olga, lead):
    response = logged_in(olga).post(desk_url(lead), {"do": "reply", "reply-text": "  "})

    assert "This field is required." in page(response)
    assert not Message.objects.exists()


def test_a_reply_to_a_lead_of_no_bot_is_refused(olga):
    terminal_lead = ContactFactory(bot=None)

    html = page(logged_in(olga).get(desk_url(terminal_lead)))
    refused = logged_in(olga).post(desk_url(terminal_lead), {"do": "reply", "reply-text": "Hello"})

    assert "This lead is not on Telegram" in html and 'value="reply"' not in html
    assert "This lead is not on Telegram" in page(refused)
    assert not Message.objects.exists()


def test_a_reply_to_a_lead_whose_bot_is_off_is_refused(olga, lead, bot):
    bot.is_active = False
    bot.save()

    refused = logged_in(olga).post(desk_url(lead), {"do": "reply", "reply-text": "Hello"})

    assert "bot is switched off: a reply cannot reach them" in page(refused)
    assert not OutboxEntry.objects.exists()


def test_take_over_of_a_lead_of_no_bot_leaves_nothing_for_telegram(olga):
    terminal_lead = ContactFactory(bot=None)

    logged_in(olga).post(desk_url(terminal_lead), {"do": "take"})

    assert Handoff.objects.get().state == Handoff.State.TAKEN
    assert not OutboxEntry.objects.exists()


def test_an_unknown_action_is_a_bad_request(olga, lead):
    assert logged_in(olga).post(desk_url(lead), {"do": "dance"}).status_code == 400


def test_the_transcript_links_operators_to_the_desk(olga, lead, bot):
    transcript = reverse("admin:conversations_contact_transcript", args=[lead.pk])
    olga.user_permissions.add(Permission.objects.get(codename="view_contact"))

    assert f'href="{desk_url(lead)}"' in page(logged_in(olga).get(transcript))
    viewer = UserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_contact"))
    viewer.bots.add(bot)
    assert f'href="{desk_url(lead)}"' not in page(logged_in(viewer).get(transcript))


def test_the_desk_speaks_russian(olga, lead):
    html = page(logged_in(olga).get(desk_url(lead), HTTP_ACCEPT_LANGUAGE="ru"))

    assert "Взять разговор на себя" in html
    assert "Ответ человеку" in html
