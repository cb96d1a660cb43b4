"""`manage.py telegram_webhook set|delete|info` against the fake Bot API: each bot's URL and
secret and the update kinds reach Telegram, mistakes are one clear line, no secret is printed."""

import io

import pytest
from django.core.management import CommandError, call_command

from bot.application import ALLOWED_UPDATES
from bot.webhook import bot_webhook_secret
from bots.models import Bot
from bots.tokens import telegram_id_of
from tests.factories import BotFactory
from tests.fakes.telegram_server import TOKEN

SECRET = "webhook_Secret-123"
SITE = "https://bot.example.com"
HOOK_URL = f"{SITE}/telegram/webhook/{telegram_id_of(TOKEN)}/"


@pytest.fixture
def configured(settings, fake_telegram, db):
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_API_BASE_URL = fake_telegram.base_url
    settings.TELEGRAM_WEBHOOK_URL = SITE
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    return settings


def run(*args) -> str:
    out = io.StringIO()
    call_command("telegram_webhook", *args, stdout=out)
    output = out.getvalue()
    assert TOKEN not in output
    assert SECRET not in output
    assert bot_webhook_secret(telegram_id_of(TOKEN)) not in output
    return output


def refusal(*args) -> CommandError:
    with pytest.raises(CommandError) as error:
        run(*args)
    return error.value


def test_set_points_telegram_at_this_sites_webhook_with_the_secret(configured, fake_telegram):
    output = run("set")

    webhook = fake_telegram.webhook
    assert (webhook.url, webhook.secret_token) == (HOOK_URL, bot_webhook_secret(123456789))
    assert "Bot Telegram (id " in output
    assert webhook.allowed_updates == ALLOWED_UPDATES
    assert webhook.max_connections == 40
    assert f"Webhook set: Telegram posts message, edited_message, callback_query to {HOOK_URL}" in (
        output
    )


def test_set_can_drop_pending_updates_and_limit_connections(configured, fake_telegram):
    fake_telegram.push_message(7001, "waiting since yesterday")

    output = run("set", "--drop-pending-updates", "--max-connections", "5")

    assert fake_telegram.webhook.max_connections == 5
    assert fake_telegram.pending_update_count() == 0
    assert "Updates not delivered yet were dropped." in output


def test_set_keeps_pending_updates_unless_told(configured, fake_telegram):
    fake_telegram.push_message(7001, "waiting since yesterday")

    run("set")

    assert fake_telegram.pending_update_count() == 1


@pytest.mark.parametrize("site", [SITE + "/", "http://127.0.0.1:8000", "http://localhost:8000"])
def test_the_webhook_path_is_appended_to_the_sites_address(configured, fake_telegram, site):
    configured.TELEGRAM_WEBHOOK_URL = site

    run("set")

    assert fake_telegram.webhook.url == site.rstrip("/") + HOOK_URL.removeprefix(SITE)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TELEGRAM_WEBHOOK_URL", "", "TELEGRAM_WEBHOOK_URL is not set"),
        ("TELEGRAM_WEBHOOK_URL", "http://bot.example.com", "must start with https://"),
        ("TELEGRAM_WEBHOOK_SECRET", "", "TELEGRAM_WEBHOOK_SECRET is not set"),
        ("TELEGRAM_BOT_TOKEN", "", "Or add a bot in admin"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN is malformed"),
    ],
)
def test_set_without_what_it_needs_says_what_to_fix_and_calls_nobody(
    configured, fake_telegram, variable, value, message
):
    setattr(configured, variable, value)

    error = refusal("set")

    assert error.returncode == 2
    assert message in str(error)
    assert fake_telegram.calls == []


@pytest.mark.parametrize("count", ["0", "101", "many"])
def test_a_connection_count_outside_telegrams_limits_is_refused(configured, fake_telegram, count):
    error = refusal("set", "--max-connections", count)

    assert "--max-connections" in str(error)
    assert fake_telegram.calls == []


def test_what_telegram_refuses_is_reported_in_one_line(configured, fake_telegram):
    fake_telegram.fail_next(
        "setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host: Name or service"
    )

    error = refusal("set")

    assert str(error) == ("Telegram refused: Bad webhook: failed to resolve host: name or service")


def test_info_shows_the_webhook_and_its_last_error_but_no_secret(configured, fake_telegram):
    run("set", "--max-connections", "12")
    fake_telegram.push_message(7001, "waiting")
    fake_telegram.webhook_delivery_failed(
        "Wrong response from the webhook: 503 Service Unavailable"
    )

    output = run("info")

    assert f"URL: {HOOK_URL}" in output
    assert "Pending updates: 1" in output
    assert "Wrong response from the webhook: 503 Service Unavailable" in output
    assert "Max connections: 12" in output
    assert "Allowed updates: message, edited_message, callback_query" in output


def test_info_of_a_healthy_webhook_reports_no_error(configured):
    run("set")

    output = run("info")

    assert "Last error: none" in output


def test_info_without_a_webhook_says_long_polling_takes_the_updates(configured, fake_telegram):
    fake_telegram.push_message(7001, "waiting")

    output = run("info")

    assert "No webhook is set: runbot takes updates by long polling." in output
    assert "Pending updates: 1" in output


def test_info_needs_only_the_token(configured):
    configured.TELEGRAM_WEBHOOK_URL = ""
    configured.TELEGRAM_WEBHOOK_SECRET = ""

    assert "No webhook is set" in run("info")


@pytest.mark.parametrize(("options", "pending"), [((), 1), (("--drop-pending-updates",), 0)])
def test_delete_removes_the_webhook_and_may_drop_pending_updates(
    configured, fake_telegram, options, pending
):
    run("set")
    fake_telegram.push_message(7001, "waiting")

    output = run("delete", *options)

    assert fake_telegram.webhook is None
    assert fake_telegram.pending_update_count() == pending
    assert "Webhook deleted" in output
    assert ("Updates not delivered yet were dropped." in output) is (pending == 0)


def test_a_bot_added_in_admin_gets_its_own_webhook(configured, fake_telegram):
    configured.TELEGRAM_BOT_TOKEN = ""
    bot = BotFactory(token=TOKEN, name="Shop")

    output = run("set", "--bot", str(bot.pk))

    assert fake_telegram.webhook.secret_token == bot_webhook_secret(bot.telegram_id)
    assert f"Bot Shop (id {bot.pk}):" in output


def test_a_bot_that_is_not_active_is_refused(configured, fake_telegram):
    run("info")  # registers the bot of TELEGRAM_BOT_TOKEN
    Bot.objects.update(is_active=False)
    BotFactory(name="Other")

    error = refusal("info", "--bot", str(Bot.objects.get(name="Telegram").pk))

    assert "No active bot has the id" in str(error)


def test_a_bot_whose_token_cannot_be_read_says_why(configured, settings):
    configured.TELEGRAM_BOT_TOKEN = ""
    BotFactory(token=TOKEN)
    settings.BOT_TOKEN_KEYS = []

    error = refusal("info")

    assert "The bot's token cannot be read" in str(error)


def test_an_action_is_required(configured):
    with pytest.raises(CommandError, match=r"arguments are required: set\|delete\|info"):
        call_command("telegram_webhook")
