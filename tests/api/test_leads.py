"""Leads through the API: lists with filters and cursors, a lead with its card, its status,
its conversations and messages, each token seeing its bots' leads only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Contact
from conversations.services import contact_erase
from integrations.models import LeadEvent
from tests.api.conftest import issue
from tests.factories import (
    BotFactory,
    ContactFactory,
    ConversationFactory,
    IntegrationFactory,
    LeadFieldValueFactory,
    MessageFactory,
    ScenarioFactory,
    ScenarioFieldFactory,
    ServiceFactory,
    UserFactory,
    add_interests,
)

pytestmark = pytest.mark.django_db


def ids(answer) -> list[int]:
    assert answer.status_code == 200, answer.content
    return [item["id"] for item in answer.json()["items"]]


def test_leads_are_listed_newest_first(api):
    older, newer = ContactFactory(), ContactFactory()
    Contact.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))

    assert ids(api.get("/leads")) == [newer.pk, older.pk]


def test_leads_are_filtered_by_status_bot_channel_and_time(api):
    bot = BotFactory()
    won = ContactFactory(bot=bot, status=Contact.Status.WON)
    ContactFactory(bot=bot)
    ContactFactory(status=Contact.Status.WON)
    terminal = ContactFactory(channel=Contact.Channel.TERMINAL)
    week_ago = timezone.now() - timedelta(days=7)
    Contact.objects.filter(pk=terminal.pk).update(created_at=week_ago)

    assert ids(api.get("/leads", status="won", bot=bot.pk)) == [won.pk]
    assert ids(api.get("/leads", channel="terminal")) == [terminal.pk]
    day_ago = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(api.get("/leads", created_before=day_ago)) == [terminal.pk]
    assert terminal.pk not in ids(api.get("/leads", created_after=day_ago))


def test_a_time_with_any_iso_offset_filters_and_one_beyond_the_calendar_is_refused(api):
    lead = ContactFactory()
    created = lead.created_at.astimezone(timezone.get_fixed_timezone(-(18 * 60 + 11)))

    assert ids(api.get("/leads", created_after=(created - timedelta(minutes=1)).isoformat())) == [
        lead.pk
    ]
    assert ids(api.get("/leads", created_before=created.isoformat())) == []
    assert api.get("/leads", created_after="0001-01-01T00:00+05:00").status_code == 422


def test_a_time_without_an_offset_is_read_in_the_sites_time_zone(api, settings):
    settings.TIME_ZONE = "Asia/Vladivostok"
    lead = ContactFactory()
    local = timezone.localtime(lead.created_at, timezone.get_default_timezone())
    minute_before = (local - timedelta(minutes=1)).replace(tzinfo=None).isoformat()
    minute_after = (local + timedelta(minutes=1)).replace(tzinfo=None).isoformat()

    assert ids(api.get("/leads", created_after=minute_before)) == [lead.pk]
    assert ids(api.get("/leads", created_after=minute_after)) == []


def test_a_misspelt_filter_is_refused_rather_than_ignored(api):
    ContactFactory(status=Contact.Status.WON)
    ContactFactory()

    answer = api.get("/leads", stauts="won")

    assert answer.status_code == 400
    assert answer.json()["detail"] == "Unknown query parameters: 'stauts'."
    assert api.get("/services", page=2).status_code == 400


@pytest.mark.parametrize("term", ["mari", "+7 916", "maria@example"])
def test_leads_are_found_by_name_phone_or_email(api, term):
    maria = ContactFactory(first_name="Maria", phone="+79161234567", email="maria@example.com")
    ContactFactory(first_name="Olga", phone="+79990000000")

    assert ids(api.get("/leads", search=term)) == [maria.pk]


def test_pages_follow_each_other_without_repeats_or_gaps_while_leads_arrive(api):
    now = timezone.now()
    first = [ContactFactory() for _n in range(7)]
    # Several leads in one instant: the id orders them.
    Contact.objects.filter(pk__in=[lead.pk for lead in first[2:5]]).update(created_at=now)
    seen, cursor = [], None
    while True:
        page = api.get("/leads", limit=2, **({"cursor": cursor} if cursor else {})).json()
        seen += [item["id"] for item in page["items"]]
        ContactFactory()  # a new lead between pages
        cursor = page["next_cursor"]
        if cursor is None:
            break

    expected = Contact.objects.filter(pk__in=[lead.pk for lead in first])
    assert seen == list(expected.order_by("-created_at", "-id").values_list("pk", flat=True))


def test_a_cursor_the_api_did_not_give_is_refused(api):
    for cursor in ("nonsense", "WzEsIDJd", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgMV0"):
        answer = api.get("/leads", cursor=cursor)
        assert answer.status_code == 400
        assert "cursor" in answer.json()["detail"]


def test_a_limit_over_100_is_refused(api):
    assert api.get("/leads", limit=101).status_code == 422


def test_a_lead_comes_with_its_card_and_interests(api):
    lead = ContactFactory(first_name="Anna", last_name="", phone="+79161234567")
    scenario = ScenarioFactory()
    ScenarioFieldFactory(scenario=scenario, key="name", required=True)
    ScenarioFieldFactory(scenario=scenario, key="budget")
    LeadFieldValueFactory(contact=lead, key="name", display="Anna")
    add_interests(lead, ServiceFactory(title="Audit"))

    answer = api.get(f"/leads/{lead.pk}").json()

    assert (answer["name"], answer["phone"], answer["interests"]) == (
        "Anna",
        "+79161234567",
        ["Audit"],
    )
    card = {entry["key"]: entry for entry in answer["card"]}
    assert (card["name"]["value"], card["name"]["required"]) == ("Anna", True)
    assert card["budget"]["value"] is None


def test_a_lead_whose_data_was_deleted_shows_none(api):
    lead = ContactFactory(first_name="Anna", phone="+79161234567", email="anna@example.com")
    contact_erase(contact_id=lead.pk)

    answer = api.get(f"/leads/{lead.pk}").json()

    assert answer["name"] == f"Deleted lead #{lead.pk}"
    assert (answer["phone"], answer["email"], answer["username"]) == ("", "", "")
    assert answer["erased_at"] is not None
    assert ids(api.get("/leads", search="anna")) == []


def test_a_status_change_reaches_the_crm_as_the_admins_does(api):
    lead = ContactFactory(status=Contact.Status.QUALIFIED)
    IntegrationFactory()

    answer = api.patch(f"/leads/{lead.pk}", {"status": "won"})

    assert answer.json()["status"] == "won"
    event = LeadEvent.objects.get(contact=lead)
    assert (event.kind, event.data) == ("status_changed", {"from": "qualified", "to": "won"})


def test_the_same_status_again_is_no_event(api):
    lead = ContactFactory(status=Contact.Status.WON)
    IntegrationFactory()

    assert api.patch(f"/leads/{lead.pk}", {"status": "won"}).status_code == 200
    assert not LeadEvent.objects.filter(contact=lead).exists()


def test_an_unknown_status_is_refused(api):
    lead = ContactFactory()

    answer = api.patch(f"/leads/{lead.pk}", {"status": "sold"})

    assert answer.status_code == 422
    assert answer.json()["errors"]


def test_a_leads_messages_come_oldest_first_with_their_delivery(api):
    lead = ContactFactory()
    conversation = ConversationFactory(contact=lead)
    asked = MessageFactory(conversation=conversation, text="How much?")
    answered = MessageFactory(
        conversation=conversation, role="assistant", text="5000", delivery="delivered"
    )

    page = api.get(f"/leads/{lead.pk}/messages", limit=1).json()
    rest = api.get(f"/leads/{lead.pk}/messages", cursor=page["next_cursor"]).json()

    assert [m["id"] for m in page["items"] + rest["items"]] == [asked.pk, answered.pk]
    assert rest["items"][0]["delivery"] == "delivered"
    assert rest["next_cursor"] is None


def test_a_leads_conversations_come_newest_first(api):
    lead = ContactFactory()
    older, newer = ConversationFactory(contact=lead), ConversationFactory(contact=lead)

    assert ids(api.get(f"/leads/{lead.pk}/conversations")) == [newer.pk, older.pk]


# --- Whose leads a token sees ----------------------------------------------------------------


@pytest.fixture
def two_bots():
    return BotFactory(), BotFactory()


def test_a_token_of_staff_sees_their_bots_leads_and_leads_of_no_bot(api_as, two_bots):
    mine, theirs = two_bots
    manager = UserFactory(username="manager")
    mine.staff.add(manager)
    seen, terminal = ContactFactory(bot=mine), ContactFactory()
    hidden = ContactFactory(bot=theirs)
    api = api_as(issue(user=manager))

    assert sorted(ids(api.get("/leads"))) == sorted([seen.pk, terminal.pk])
    assert api.get(f"/leads/{hidden.pk}").status_code == 404
    assert api.get(f"/leads/{hidden.pk}/messages").status_code == 404
    assert api.patch(f"/leads/{hidden.pk}", {"status": "won"}).status_code == 404


def test_a_token_limited_to_a_bot_sees_that_bots_leads(api_as, issuer, two_bots):
    chosen, other = two_bots
    seen = ContactFactory(bot=chosen)
    hidden = ContactFactory(bot=other)
    api = api_as(issue(user=issuer, bots=[chosen]))

    assert ids(api.get("/leads", bot=other.pk)) == []
    assert seen.pk in ids(api.get("/leads"))
    assert api.get(f"/leads/{hidden.pk}").status_code == 404


def test_a_token_keeps_within_bots_its_issuer_lost(api_as, two_bots):
    kept, lost = two_bots
    manager = UserFactory(username="manager")
    kept.staff.add(manager)
    lost.staff.add(manager)
    api = api_as(issue(user=manager, bots=[kept, lost]))
    lost.staff.remove(manager)
    lead = ContactFactory(bot=lost)

    assert api.get(f"/leads/{lead.pk}").status_code == 404


def test_answers_speak_the_language_asked_for(api_as, secret):
    api = api_as(secret)
    api.headers["Accept-Language"] = "ru"

    assert api.get("/leads", cursor="nonsense").json()["detail"] == (
        "Этот курсор выдан не этим API."
    )
