"""Operators on the analytics page: handoffs by reason, the wait for the first operator reply,
and conversations resolved by people or by the assistant, per bot like every number there."""

from datetime import timedelta

import pytest

from conversations.models import Handoff
from tests.analytics.seed import conversation, lead, message, moscow
from tests.analytics.test_csv import CSV, rows, section
from tests.analytics.test_page import MARCH, PAGE
from tests.factories import BotFactory

DAY = moscow("2025-03-03")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def handoff(contact, reason, *, wait_minutes=None, at=DAY):
    row = Handoff.objects.create(contact=contact, reason=reason)
    first_reply = at + timedelta(minutes=wait_minutes) if wait_minutes is not None else None
    Handoff.objects.filter(pk=row.pk).update(requested_at=at, first_reply_at=first_reply)


@pytest.fixture
def shop(db):
    """Four conversations of the shop bot: two handed over and answered (after 4 and 10
    minutes), one handed over by the assistant and not answered yet; one of another bot,
    answered, and one handoff before the period."""
    shop, clinic = BotFactory(name="Shop"), BotFactory(name="Clinic")
    leads = []
    for _number in range(4):
        contact = lead(DAY, bot=shop)
        message(conversation(contact), text="Hello")
        leads.append(contact)
    handoff(leads[0], Handoff.Reason.PERSON, wait_minutes=4)
    handoff(leads[1], Handoff.Reason.PERSON, wait_minutes=10)
    handoff(leads[2], Handoff.Reason.ASSISTANT)
    handoff(leads[3], Handoff.Reason.STAFF, wait_minutes=1, at=moscow("2025-02-01"))
    other = lead(DAY, bot=clinic)
    message(conversation(other), text="Hi")
    handoff(other, Handoff.Reason.PERSON, wait_minutes=30)
    return shop


def test_one_bots_operators_numbers(admin_client, shop):
    response = admin_client.get(PAGE, {**MARCH, "bot": shop.pk})

    stats = response.context["report"].handoffs
    assert stats.handoffs == 3
    assert stats.by_reason == [
        ("The person asked", 2),
        ("The assistant could not help", 1),
        ("Staff took over", 0),
    ]
    assert stats.answered == 2
    assert stats.first_reply_minutes == [(50, 4.0), (90, 10.0)]
    assert response.context["resolved_by_assistant"] == 2


def test_without_handoffs_the_waits_are_dashes(admin_client, db):
    content = admin_client.get(PAGE, MARCH).content.decode()

    assert "Handed to operators" in content
    assert "First operator reply, p50, min" in content


def test_the_csv_has_the_operators_section(admin_client, shop):
    table = rows(admin_client.get(CSV, MARCH))

    header, values = section(table, "Operators")
    assert header[0] == "Handed to operators"
    assert values[:4] == ["4", "3", "1", "0"]
    assert values[-2:] == ["10.0", "30.0"]
