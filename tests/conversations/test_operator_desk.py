"""The outbox the admin fills and the bot processes empty, and the reminders' claims: what
each process may take, and that only one process takes each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Handoff, OutboxEntry
from conversations.selectors import leads_to_remind, leads_to_tell, outbox_next
from conversations.services import (
    desk_note,
    desk_release,
    desk_reply,
    desk_take,
    handoff_claim_escalation,
    handoff_claim_reminder,
    operator_record_message,
    outbox_claim,
    outbox_done,
)
from tests.factories import BotFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot():
    return BotFactory()


@pytest.fixture
def lead(bot):
    return ContactFactory(bot=bot)


@pytest.fixture
def user():
    return UserFactory(username="olga")


def reply(lead, user, text="Hello"):
    return desk_reply(contact_id=lead.pk, user_id=user.pk, author_name="Olga", text=text)


def test_a_lead_s_entries_are_taken_one_at_a_time_in_the_order_written(lead, user, bot):
    reply(lead, user, "first")
    reply(lead, user, "second")

    [first] = outbox_next(bot_ids=[bot.pk])
    assert first.text == "first"
    assert outbox_claim(entry_id=first.id, lease_seconds=60)
    assert outbox_next(bot_ids=[bot.pk]) == []  # the second waits behind the first

    outbox_done(entry_id=first.id)
    [second] = outbox_next(bot_ids=[bot.pk])
    assert (second.text, second.kind, second.author_name) == ("second", "reply", "Olga")


def test_leads_are_taken_side_by_side(lead, user, bot):
    other = ContactFactory(bot=bot)
    reply(lead, user)
    desk_take(contact_id=other.pk, user_id=user.pk, author_name="Olga")

    items = outbox_next(bot_ids=[bot.pk])

    assert [(item.contact.id, item.kind) for item in items] == [
        (lead.pk, "reply"),
        (other.pk, "taken"),
    ]


def test_an_entry_reads_as_what_it_is_and_for_which_lead(lead, user):
    reply(lead, user)

    assert str(OutboxEntry.objects.get()) == f"Reply to the person: {lead.pk}"


def test_entries_of_bots_served_elsewhere_are_left_alone(lead, user):
    reply(lead, user)

    assert outbox_next(bot_ids=[BotFactory().pk]) == []


def test_of_two_claims_at_once_one_wins(lead, user, bot):
    reply(lead, user)
    [item] = outbox_next(bot_ids=[bot.pk])

    claims = [outbox_claim(entry_id=item.id, lease_seconds=60) for _process in range(2)]

    assert claims == [True, False]


def test_a_claim_that_ran_out_is_taken_again(lead, user, bot):
    reply(lead, user)
    [item] = outbox_next(bot_ids=[bot.pk])
    outbox_claim(entry_id=item.id, lease_seconds=60)
    OutboxEntry.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))

    assert [again.id for again in outbox_next(bot_ids=[bot.pk])] == [item.id]
    assert outbox_claim(entry_id=item.id, lease_seconds=60)


def test_notes_and_releases_carry_their_text_and_author(lead, user, bot):
    desk_note(contact_id=lead.pk, user_id=user.pk, author_name="Olga", text="VIP")
    desk_take(contact_id=lead.pk, user_id=user.pk, author_name="Olga")
    assert desk_release(contact_id=lead.pk, author_name="Olga")

    kinds = []
    while items := outbox_next(bot_ids=[bot.pk]):
        kinds.append((items[0].kind, items[0].text))
        outbox_done(entry_id=items[0].id)

    assert kinds == [("note", "VIP"), ("taken", ""), ("released", "")]


# --- Reminders ----------------------------------------------------------------------------------


def waiting(lead, minutes: int) -> Handoff:
    return Handoff.objects.create(
        contact=lead,
        reason=Handoff.Reason.PERSON,
        waiting_since=timezone.now() - timedelta(minutes=minutes),
    )


def ago(minutes: int):
    return timezone.now() - timedelta(minutes=minutes)


def test_only_people_waiting_longer_than_the_limit_are_reminded_of(lead, bot):
    long = waiting(lead, 12)
    waiting(ContactFactory(bot=bot), 3)

    assert [w.handoff_id for w in leads_to_remind(bot_ids=[bot.pk], waiting_before=ago(10))] == [
        long.pk
    ]
    assert leads_to_remind(bot_ids=[BotFactory().pk], waiting_before=ago(10)) == []


def test_a_reminder_is_claimed_once_per_wait(lead, bot):
    handoff = waiting(lead, 12)
    [found] = leads_to_remind(bot_ids=[bot.pk], waiting_before=ago(10))

    claims = [
        handoff_claim_reminder(handoff_id=handoff.pk, waiting_since=found.waiting_since)
        for _process in range(2)
    ]

    assert claims == [True, False]
    assert leads_to_remind(bot_ids=[bot.pk], waiting_before=ago(10)) == []
    assert [w.handoff_id for w in leads_to_tell(bot_ids=[bot.pk], waiting_before=ago(10))] == [
        handoff.pk
    ]


def test_an_operator_reply_ends_the_wait_a_reminder_was_about(lead, bot):
    handoff = waiting(lead, 25)
    [found] = leads_to_tell(bot_ids=[bot.pk], waiting_before=ago(20))

    operator_record_message(contact_id=lead.pk, text="Here I am", author_name="Olga")

    assert not handoff_claim_escalation(handoff_id=handoff.pk, waiting_since=found.waiting_since)
    assert not handoff_claim_reminder(handoff_id=handoff.pk, waiting_since=found.waiting_since)
