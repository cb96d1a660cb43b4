"""The analytics summary: the funnel of a period in all and per bot, from the rollup."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Contact
from tests.api.conftest import issue
from tests.factories import BotFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def started(stages) -> int:
    return stages[0]["count"]


def test_the_summary_counts_leads_in_all_and_per_bot(api):
    first, second = BotFactory(name="A"), BotFactory(name="B")
    ContactFactory(bot=first)
    ContactFactory(bot=first, status=Contact.Status.WON, phone="+79161234567")
    ContactFactory(bot=second)

    summary = api.get("/analytics/summary").json()

    assert started(summary["funnel"]) == 3
    per_bot = {row["name"]: started(row["funnel"]) for row in summary["by_bot"]}
    assert per_bot == {"A": 2, "B": 1, "no bot": 0}
    assert summary["date_to"] == timezone.localdate().isoformat()
    assert summary["date_from"] == (timezone.localdate() - timedelta(days=29)).isoformat()


def test_the_summary_counts_only_the_tokens_bots(api_as):
    mine, theirs = BotFactory(name="Mine"), BotFactory(name="Theirs")
    manager = UserFactory(username="manager")
    mine.staff.add(manager)
    ContactFactory(bot=mine)
    ContactFactory(bot=theirs)

    summary = api_as(issue(user=manager)).get("/analytics/summary").json()

    assert started(summary["funnel"]) == 1
    assert [row["name"] for row in summary["by_bot"]] == ["Mine", "no bot"]


def test_a_period_backwards_or_over_a_year_is_refused(api):
    today = timezone.localdate()

    backwards = api.get("/analytics/summary", date_from=today, date_to=today - timedelta(days=1))
    long = api.get("/analytics/summary", date_from=today - timedelta(days=400), date_to=today)

    assert backwards.status_code == long.status_code == 422
