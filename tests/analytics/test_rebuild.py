"""`manage.py rebuild_analytics`, the migration that counts data stored before the rollup counted
per bot, and leads that became a bot's own at once."""

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from analytics.models import NO_BOT, DailyLeads
from analytics.selectors import funnel
from conversations.models import Contact
from conversations.services import contacts_adopt
from tests.analytics.conftest import PERIOD
from tests.analytics.seed import lead, moscow
from tests.factories import BotFactory


def rebuild(*args) -> str:
    out = StringIO()
    call_command("rebuild_analytics", *args, stdout=out)
    return out.getvalue()


def started(**filters) -> int:
    return funnel(**PERIOD, **filters).total[0].count


def test_rebuild_puts_wrong_totals_right_and_says_what_it_counted(db):
    lead(moscow("2025-03-02"))
    DailyLeads.objects.update(leads=5)

    output = rebuild()

    assert started() == 1
    assert "Leads: 1, conversations: 0, daily rows: 1." in output


def test_rebuild_since_a_day_leaves_the_days_before_it(db):
    lead(moscow("2025-03-02"))
    lead(moscow("2025-03-05"))
    DailyLeads.objects.update(leads=5)

    output = rebuild("--since", "2025-03-04")

    assert started() == 5 + 1
    assert "Leads: 1," in output


def test_a_since_that_is_not_a_date_is_refused_politely(db):
    with pytest.raises(CommandError) as refused:
        rebuild("--since", "4.3")

    assert str(refused.value) == "--since must be a date like 2025-03-01, got 4.3."


def count_existing_data():
    migration = importlib.import_module("analytics.migrations.0003_rollup_per_bot")
    migration.count_existing_data(apps, schema_editor=None)


def test_upgrading_counts_the_leads_stored_before_under_their_bots(db):
    shop = BotFactory()
    Contact.objects.bulk_create(
        [Contact(external_id="1"), Contact(external_id="2"), Contact(external_id="3", bot=shop)]
    )
    Contact.objects.update(created_at=moscow("2025-03-02"))

    count_existing_data()

    assert started() == 3
    assert (started(bots=frozenset({shop.pk})), started(bots=frozenset({NO_BOT}))) == (1, 2)


def test_leads_that_become_a_bots_own_at_once_are_counted_under_it(db):
    for external_id in ("1", "2"):
        lead(moscow("2025-03-02"), external_id=external_id)
    shop = BotFactory()

    adopted = contacts_adopt(bot_id=shop.pk, channel=Contact.Channel.TELEGRAM)

    assert adopted == 2
    assert (started(bots=frozenset({shop.pk})), started(bots=frozenset({NO_BOT}))) == (2, 0)
