"""Staff add bots in admin: the token is checked with Telegram, kept encrypted and never shown
again."""

import pytest
from django.urls import reverse

from bots.forms import BotForm
from bots.models import Bot
from bots.selectors import bot_token
from tests.admin_forms import change_form_data
from tests.factories import BotFactory
from tests.fakes.telegram_server import TOKEN
from tests.permissions import login_with_permissions

ADD = reverse("admin:bots_bot_add")
UNKNOWN_TOKEN = "987654321:AAFotherTokenOtherTokenOther"


@pytest.fixture(autouse=True)
def telegram(settings, fake_telegram):
    """English pages, and Telegram's answers from the fake (it knows only its own token)."""
    settings.LANGUAGE_CODE = "en"
    settings.TELEGRAM_API_BASE_URL = fake_telegram.base_url
    return fake_telegram


def form(**changes) -> dict:
    data = {
        "name": "Shop",
        "token": "",
        "token_variable": "",
        "is_active": "on",
        "languages": ["ru", "en"],
        "staff_chat_id": "",
        "time_zone": "Europe/Moscow",
        "work_days": ["0", "1", "2", "3", "4"],
        "opens_at": "09:00",
        "closes_at": "18:00",
        # The bot's own models (the assistant's inline), left to the site's.
        "models-TOTAL_FORMS": "0",
        "models-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def errors_of(response) -> str:
    return str(response.context["adminform"].form.errors)


def test_a_bot_added_with_its_token_keeps_it_encrypted(admin_client):
    response = admin_client.post(ADD, form(token=TOKEN))

    assert response.status_code == 302
    bot = Bot.objects.get()
    assert (bot.telegram_id, bot.username) == (123456789, "fake_test_bot")
    assert bot_token(bot_id=bot.pk) == TOKEN
    assert TOKEN not in bot.encrypted_token


def test_the_token_is_never_shown_again(admin_client):
    bot = BotFactory(token=TOKEN)

    for page in (
        reverse("admin:bots_bot_changelist"),
        reverse("admin:bots_bot_change", args=[bot.pk]),
    ):
        content = admin_client.get(page).content.decode()
        assert "TEST-fake-token" not in content
        assert bot.encrypted_token not in content
    assert "stored encrypted" in content


def test_saving_without_a_new_token_keeps_the_old_one(admin_client):
    bot = BotFactory(token=TOKEN)

    response = admin_client.post(
        reverse("admin:bots_bot_change", args=[bot.pk]), form(name="Renamed")
    )

    assert response.status_code == 302
    bot.refresh_from_db()
    assert (bot.name, bot_token(bot_id=bot.pk)) == ("Renamed", TOKEN)


def test_a_bot_named_by_variable_stores_no_token(admin_client, monkeypatch):
    monkeypatch.setenv("SHOP_BOT_TOKEN", TOKEN)

    response = admin_client.post(ADD, form(token_variable="SHOP_BOT_TOKEN"))

    assert response.status_code == 302
    bot = Bot.objects.get()
    assert (bot.token_variable, bot.encrypted_token, bot.telegram_id) == (
        "SHOP_BOT_TOKEN",
        "",
        123456789,
    )


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({}, "Give the bot&#x27;s token or the variable that holds it."),
        ({"token": TOKEN, "token_variable": "SHOP_BOT_TOKEN"}, "not both"),
        ({"token": "12345"}, "does not look like a token"),
        ({"token_variable": "SECRET_KEY"}, "own settings"),
        ({"token_variable": "UNSET_BOT_TOKEN"}, "is not set"),
        ({"token": TOKEN, "languages": []}, "Choose at least one language"),
        ({"token": TOKEN, "time_zone": "Mars/Olympus"}, "not a time zone"),
    ],
)
def test_what_cannot_be_saved_says_why(admin_client, changes, error, monkeypatch):
    monkeypatch.delenv("UNSET_BOT_TOKEN", raising=False)

    response = admin_client.post(ADD, form(**changes))

    assert response.status_code == 200
    assert error in errors_of(response)
    assert not Bot.objects.exists()


def test_one_telegram_bot_is_registered_once(admin_client):
    BotFactory(token=TOKEN)

    response = admin_client.post(ADD, form(token=TOKEN))

    assert "already registered" in errors_of(response)


def test_without_keys_staff_are_told_to_set_them_or_use_a_variable(admin_client, settings):
    settings.BOT_TOKEN_KEYS = []

    response = admin_client.post(ADD, form(token=TOKEN))

    assert "BOT_TOKEN_KEYS" in errors_of(response)


def test_a_token_telegram_does_not_know_is_not_saved(admin_client):
    response = admin_client.post(ADD, form(token=UNKNOWN_TOKEN))

    assert "Telegram does not know this token" in errors_of(response)
    assert not Bot.objects.exists()


def test_with_telegram_unreachable_the_bot_is_saved_and_staff_are_told(
    admin_client, settings, telegram
):
    telegram.stop()

    response = admin_client.post(ADD, form(token=TOKEN), follow=True)

    assert Bot.objects.get().username == ""
    assert "could not be reached to check the token" in response.content.decode()


def test_the_add_page_shows_where_the_token_will_be_kept(admin_client):
    content = admin_client.get(ADD).content.decode()

    assert 'name="token"' in content
    assert 'name="token_variable"' in content


def test_the_bots_own_form_checks_only_the_tokens_shape(db):
    """Telegram is asked by the layer that talks to it (`bot.admin`); alone the form keeps
    the bot with its username unknown."""
    bound = BotForm(data=form(token=UNKNOWN_TOKEN))

    assert bound.is_valid(), bound.errors
    assert (bound.instance.telegram_id, bound.instance.username) == (987654321, "")


def test_staff_who_are_not_superusers_see_only_the_bots_they_work_with(client, db):
    shop, _clinic = BotFactory(name="Shop"), BotFactory(name="Clinic")
    staff = login_with_permissions(client, "view_bot", bots=[shop])

    response = staff.get(reverse("admin:bots_bot_changelist"))

    assert list(response.context["cl"].result_list) == [shop]


def test_a_superuser_sees_every_bot(admin_client):
    bots = [BotFactory(name="Clinic"), BotFactory(name="Shop")]

    response = admin_client.get(reverse("admin:bots_bot_changelist"))

    assert list(response.context["cl"].result_list) == bots


def test_a_staff_users_page_takes_the_telegram_account_they_answer_from(admin_client, staff_user):
    page = reverse("admin:auth_user_change", args=[staff_user.pk])
    shown = admin_client.get(page)
    data = change_form_data(shown)
    data.update({"operator_account-TOTAL_FORMS": "1", "operator_account-0-telegram_user_id": "555"})

    response = admin_client.post(page, data)

    assert response.status_code == 302, response.context["errors"]
    assert staff_user.operator_account.telegram_user_id == 555
    assert str(staff_user.operator_account) == "555"
