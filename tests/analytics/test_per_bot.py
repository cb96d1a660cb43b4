"""The analytics page per bot: a bot filter, and staff who are not superusers see only the numbers
of the bots they work with (and of leads of no bot)."""

import pytest

from analytics.models import NO_BOT
from tests.analytics.seed import conversation, lead, message, moscow
from tests.analytics.test_csv import CSV, rows
from tests.analytics.test_page import MARCH, PAGE
from tests.factories import BotFactory
from tests.permissions import login_with_permissions

DAY = moscow("2025-03-03")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def bots(db):
    """A shop bot with three leads (one from ads), a clinic bot with two and a terminal lead."""
    shop, clinic = BotFactory(name="Shop"), BotFactory(name="Clinic")
    for bot, leads in ((shop, 3), (clinic, 2), (None, 1)):
        for number in range(leads):
            contact = lead(DAY, bot=bot, source="ads" if bot is shop and not number else "")
            message(conversation(contact), text="How much?")
    lead(DAY, bot=clinic, source="clinic_only")
    return shop, clinic


def started(response) -> int:
    return response.context["report"].funnel.total[0].count


def test_the_page_counts_every_bots_leads_by_default(admin_client, bots):
    assert started(admin_client.get(PAGE, MARCH)) == 7


@pytest.mark.parametrize(
    ("bot", "leads", "conversations"), [("Shop", 3, 3), ("Clinic", 3, 2), (None, 1, 1)]
)
def test_the_bot_filter_counts_one_bots_leads(admin_client, bots, bot, leads, conversations):
    chosen = {b.name: b.pk for b in bots}.get(bot, NO_BOT)

    response = admin_client.get(PAGE, {**MARCH, "bot": chosen})

    assert started(response) == leads
    assert response.context["report"].conversations.conversations == conversations


def test_staff_see_the_numbers_of_their_bots_and_of_no_bot(client, bots):
    staff = login_with_permissions(client, "view_contact", bots=[bots[0]])

    response = staff.get(PAGE, MARCH)

    assert started(response) == 4
    assert [value for value, _label in response.context["form"].fields["bot"].choices] == [
        "",
        bots[0].pk,
        NO_BOT,
    ]
    assert "clinic_only" not in response.content.decode()


def test_another_bot_asked_for_by_staff_falls_back_to_their_own(client, bots):
    staff = login_with_permissions(client, "view_contact", bots=[bots[0]])

    response = staff.get(PAGE, {**MARCH, "bot": bots[1].pk})

    assert started(response) == 4
    assert "bot" in response.context["form"].errors


def test_the_csv_names_the_bot_and_counts_its_leads(admin_client, bots):
    table = rows(admin_client.get(CSV, {**MARCH, "bot": bots[0].pk}))

    assert table[2] == ["", "Bot", "Shop"]
    funnel = table[table.index(["Funnel"]) + 2]
    assert funnel[:2] == ["Started", "3"]
