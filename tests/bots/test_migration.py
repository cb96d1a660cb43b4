"""The one bot of TELEGRAM_BOT_TOKEN becomes the first `Bot`, with its leads and staff."""

import pytest
from django.contrib.auth.hashers import make_password

from tests.migrating import migrate, migrate_to_latest

BEFORE = [("conversations", "0011_message_event_key")]
AFTER = [("bots", "0002_first_bot")]
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
def one_bot_data(transactional_db, settings):
    """Leads and staff as they were with one bot."""
    old = migrate(BEFORE)
    Contact = old.get_model("conversations", "Contact")
    User = old.get_model("auth", "User")
    Contact.objects.create(channel="telegram", external_id="42", first_name="Anna")
    Contact.objects.create(channel="terminal", external_id="7", first_name="Ivan")
    User.objects.create(username="operator", is_staff=True, password=make_password("x"))
    User.objects.create(username="customer", is_staff=False, password=make_password("x"))
    yield
    migrate_to_latest()


def test_the_bot_of_the_token_keeps_its_leads_and_staff(one_bot_data, settings):
    settings.TELEGRAM_BOT_TOKEN = TOKEN

    new = migrate(AFTER)

    bot = new.get_model("bots", "Bot").objects.get()
    assert (bot.telegram_id, bot.token_variable, bot.encrypted_token) == (
        123456789,
        "TELEGRAM_BOT_TOKEN",
        "",
    )
    Contact = new.get_model("conversations", "Contact")
    assert dict(Contact.objects.values_list("external_id", "bot")) == {"42": bot.pk, "7": None}
    assert [user.username for user in bot.staff.all()] == ["operator"]


def test_without_a_token_no_bot_is_made_and_nothing_changes(one_bot_data, settings):
    settings.TELEGRAM_BOT_TOKEN = ""

    new = migrate(AFTER)

    assert not new.get_model("bots", "Bot").objects.exists()
    assert not new.get_model("conversations", "Contact").objects.filter(bot__isnull=False).exists()


def test_going_back_keeps_the_leads_of_one_bot(one_bot_data, settings):
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    migrate(AFTER)

    old = migrate(BEFORE)

    assert old.get_model("conversations", "Contact").objects.count() == 2


def test_going_back_with_leads_of_two_bots_is_refused(one_bot_data, settings):
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    new = migrate(AFTER)
    second = new.get_model("bots", "Bot").objects.create(
        name="Second", telegram_id=55555, token_variable="SECOND_BOT_TOKEN"
    )
    new.get_model("conversations", "Contact").objects.create(
        channel="telegram", external_id="42", bot=second
    )

    with pytest.raises(RuntimeError, match="several bots"):
        migrate([("bots", "0001_bots")])
