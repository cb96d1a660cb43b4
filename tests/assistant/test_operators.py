"""What the person is told about when a person answers, how the model's call for a person is
read, and handoffs recorded once whatever the timing."""

import io
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from assistant.terminal import TerminalChannel
from assistant.usecases.operators import HandingOver, asked_for_a_person, waiting_note
from conversations.models import Handoff, StaffTopic
from conversations.services import ContactInfo, handoff_request, handoff_take
from conversations.services import handoffs as handoff_services
from tests.bots.test_business_hours import hours
from tests.factories import ContactFactory

MOSCOW = ZoneInfo("Europe/Moscow")


def at(moment: str):
    return mock.patch(
        "django.utils.timezone.now",
        return_value=datetime.fromisoformat(moment).replace(tzinfo=MOSCOW),
    )


def test_within_business_hours_an_operator_answers_shortly():
    with at("2026-12-07 10:00"):
        assert waiting_note(hours("09:00", "18:00")).startswith("An operator will answer you here")
    assert waiting_note(None).startswith("An operator will answer you here shortly")


def test_outside_business_hours_the_person_learns_when(settings):
    settings.LANGUAGE_CODE = "en"
    with at("2026-12-11 20:00"):  # a Friday evening
        note = waiting_note(hours("09:00", "18:00"))

    assert "a person will answer you here after 14 December, 09:00" in note


def test_a_bot_without_working_days_promises_no_time():
    with at("2026-12-07 10:00"):
        note = waiting_note(hours("09:00", "18:00", days=()))

    assert note == "An operator will answer you here as soon as possible."


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (("hand_to_person", '{"reason": "angry"}'), HandingOver("angry")),
        (("hand_to_person", "[1, 2]"), HandingOver("")),
        (("hand_to_person", '{"reason": 5}'), HandingOver("")),
        (("hand_to_person", ""), HandingOver("")),
        (("record_lead_fields", "{}"), None),
        (None, None),
    ],
)
def test_only_the_call_for_a_person_hands_over(call, expected):
    assert asked_for_a_person(call) == expected


async def test_the_terminal_has_no_staff_chat():
    channel = TerminalChannel(io.StringIO())

    assert channel.staff_chat == ""
    assert await channel.open_staff_topic(title="Anna", card="card") is None
    assert (await channel.tell_topic(1, "text")).state == "delivered"


def test_the_terminals_person_sits_at_it(db):
    channel = TerminalChannel(io.StringIO())

    assert channel.to_person(ContactInfo.from_contact(ContactFactory())) is channel


def test_a_handoff_opened_at_the_same_moment_elsewhere_is_the_one_returned(db, monkeypatch):
    """Another message opened one between this one's look and its insert: the unique open
    handoff per lead refuses the second, and the first is returned."""
    contact = ContactFactory()
    Handoff.objects.create(contact=contact, reason=Handoff.Reason.STAFF)
    real_open = handoff_services._open
    looks = []

    def nothing_open_at_first_look(contact_id):
        looks.append(contact_id)
        return Handoff.objects.none() if len(looks) == 1 else real_open(contact_id)

    monkeypatch.setattr(handoff_services, "_open", nothing_open_at_first_look)

    handoff = handoff_request(contact_id=contact.pk, reason=Handoff.Reason.PERSON)

    assert (handoff.reason, handoff.opened) == ("staff", False)
    assert Handoff.objects.count() == 1


def test_staff_taking_over_unasked_opens_a_handoff_held_by_them(db, staff_user):
    contact = ContactFactory()

    handoff = handoff_take(contact_id=contact.pk, user_id=staff_user.pk)

    row = Handoff.objects.get()
    assert (handoff.taken, row.reason, row.taken_by_id) == (True, "staff", staff_user.pk)
    assert str(row) == f"{contact} · With an operator"
    assert handoff_services.handoff_open(contact_id=contact.pk).id == row.pk


def test_a_topic_names_its_chat_and_thread(db):
    topic = StaffTopic.objects.create(contact=ContactFactory(), chat_id="-100", thread_id=7)

    assert str(topic) == "-100/7"


def test_an_operators_message_handled_again_is_found_not_stored_twice(db):
    contact = ContactFactory()
    first = handoff_services.operator_record_message(
        contact_id=contact.pk, text="Hi", author_name="Olga", event_key="telegram:1:9"
    )

    again = handoff_services.operator_record_message(
        contact_id=contact.pk, text="Hi", author_name="Olga", event_key="telegram:1:9"
    )

    assert (again.id, again.delivered_before) == (first.id, False)


def test_a_new_staff_chat_gets_the_lead_a_new_topic_and_the_same_chat_keeps_the_first(db):
    contact = ContactFactory()
    handoff_services.staff_topic_save(contact_id=contact.pk, chat_id="-100", thread_id=7)

    same_chat = handoff_services.staff_topic_save(
        contact_id=contact.pk, chat_id="-100", thread_id=9
    )
    new_chat = handoff_services.staff_topic_save(contact_id=contact.pk, chat_id="-200", thread_id=3)

    assert (same_chat.chat_id, same_chat.thread_id) == ("-100", 7)
    assert (new_chat.chat_id, new_chat.thread_id) == ("-200", 3)
    assert StaffTopic.objects.get().thread_id == 3
