"""`manage.py telegram_webhook set|delete|info [--bot ID]`: Telegram posts each active bot's
updates to its webhook on this site (`bot.webhook`) instead of `runbot` fetching them, or
stops doing so.

Nothing printed names the token or the secret: the output may be pasted into a ticket.
"""

import argparse
import asyncio
from collections.abc import Coroutine
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from telegram import Bot, WebhookInfo
from telegram.error import TelegramError

from bot.application import ALLOWED_UPDATES, telegram_api_root
from bot.management.bot_process import register_environment_bot
from bot.webhook import bot_webhook_secret
from bots.selectors import BotInfo, active_bots, bot_token
from bots.tokens import TokenUnavailable

#: Telegram posts only over HTTPS; plain HTTP is allowed to this machine, for tests.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAX_CONNECTIONS = range(1, 101)


def connection_count(text: str) -> int:
    """A `--max-connections` value within Telegram's limits."""
    number = int(text)
    if number not in MAX_CONNECTIONS:
        raise argparse.ArgumentTypeError(_("must be between 1 and 100"))
    return number


class Command(BaseCommand):
    help = gettext_lazy(
        "Register this site's webhook with Telegram (set), remove it (delete) or show what "
        "Telegram reports about it (info)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="set|delete|info")
        setting = actions.add_parser(
            "set",
            help=gettext_lazy(
                "Point Telegram at TELEGRAM_WEBHOOK_URL with TELEGRAM_WEBHOOK_SECRET."
            ),
        )
        setting.add_argument(
            "--max-connections",
            type=connection_count,
            metavar="N",
            help=gettext_lazy("Updates Telegram posts at once, 1-100 (Telegram's default: 40)."),
        )
        deleting = actions.add_parser(
            "delete", help=gettext_lazy("Stop Telegram posting updates here.")
        )
        for subparser in (setting, deleting):
            subparser.add_argument(
                "--drop-pending-updates",
                action="store_true",
                help=gettext_lazy("Telegram forgets the updates it has not delivered yet."),
            )
        showing = actions.add_parser(
            "info", help=gettext_lazy("What Telegram reports about the webhook.")
        )
        for subparser in (setting, deleting, showing):
            subparser.add_argument(
                "--bot",
                type=int,
                metavar="ID",
                help=gettext_lazy("Only this bot (its id in admin); default: every active bot."),
            )

    def handle(self, *args, action, **options):
        register_environment_bot()
        for bot in chosen_bots(options["bot"]):
            self.stdout.write(_("Bot %(name)s (id %(id)s):") % {"name": bot.name, "id": bot.id})
            token = readable_token(bot)
            if action == "set":
                url = webhook_url(bot.telegram_id)
                work = self.set_webhook(token, url, webhook_secret(bot.telegram_id), options)
            elif action == "delete":
                work = self.delete_webhook(token, options["drop_pending_updates"])
            else:
                work = self.show_info(token)
            asyncio.run(refusal_in_one_line(work))

    async def set_webhook(self, token: str, url: str, secret: str, options: dict) -> None:
        async with bot_for(token) as bot:
            await bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                max_connections=options["max_connections"],
                drop_pending_updates=options["drop_pending_updates"],
            )
        self.stdout.write(
            _("Webhook set: Telegram posts %(updates)s to %(url)s.")
            % {"updates": ", ".join(ALLOWED_UPDATES), "url": url}
        )
        if options["drop_pending_updates"]:
            self.stdout.write(_("Updates not delivered yet were dropped."))

    async def delete_webhook(self, token: str, drop_pending_updates: bool) -> None:
        async with bot_for(token) as bot:
            await bot.delete_webhook(drop_pending_updates=drop_pending_updates)
        self.stdout.write(_("Webhook deleted: runbot can take updates by long polling."))
        if drop_pending_updates:
            self.stdout.write(_("Updates not delivered yet were dropped."))

    async def show_info(self, token: str) -> None:
        async with bot_for(token) as bot:
            info = await bot.get_webhook_info()
        for line in info_lines(info):
            self.stdout.write(line)


async def refusal_in_one_line(work: Coroutine) -> None:
    """What Telegram refused (or a network failure) as one line, not a traceback."""
    try:
        await work
    except TelegramError as error:
        raise CommandError(_("Telegram refused: %(error)s") % {"error": error}) from None


def bot_for(token: str) -> Bot:
    """A bare bot on the configured Bot API server, as `build_application` reaches it."""
    return Bot(token, base_url=f"{telegram_api_root(settings.TELEGRAM_API_BASE_URL)}/bot")


def webhook_url(telegram_id: int) -> str:
    """Where Telegram posts: `TELEGRAM_WEBHOOK_URL` and the webhook's path for this bot."""
    base = settings.TELEGRAM_WEBHOOK_URL
    if not base:
        raise CommandError(
            _(
                "TELEGRAM_WEBHOOK_URL is not set. Set it in .env to this site's public https "
                "address, e.g. https://bot.example.com."
            ),
            returncode=2,
        )
    parts = urlsplit(base)
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise CommandError(
            _("TELEGRAM_WEBHOOK_URL must start with https://: Telegram posts only over HTTPS."),
            returncode=2,
        )
    return base.rstrip("/") + reverse("telegram_webhook", args=[telegram_id])


def chosen_bots(bot_id: int | None) -> list[BotInfo]:
    bots = [bot for bot in active_bots() if bot_id is None or bot.id == bot_id]
    if not bots:
        raise CommandError(_("No active bot has the id %(id)s.") % {"id": bot_id}, returncode=2)
    return bots


def readable_token(bot: BotInfo) -> str:
    try:
        return bot_token(bot_id=bot.id)
    except TokenUnavailable as error:
        raise CommandError(_("The bot's token cannot be read: %(why)s") % {"why": error}) from None


def webhook_secret(telegram_id: int) -> str:
    """The bot's own secret, derived from TELEGRAM_WEBHOOK_SECRET."""
    if not settings.TELEGRAM_WEBHOOK_SECRET:
        raise CommandError(
            _(
                "TELEGRAM_WEBHOOK_SECRET is not set. Set it in .env to a random value, e.g. "
                'the output of: python -c "import secrets; print(secrets.token_urlsafe(32))"'
            ),
            returncode=2,
        )
    return bot_webhook_secret(telegram_id)


def info_lines(info: WebhookInfo) -> list[str]:
    pending = _("Pending updates: %(count)s") % {"count": info.pending_update_count}
    if not info.url:
        return [_("No webhook is set: runbot takes updates by long polling."), pending]
    if info.last_error_date is None:
        last_error = _("Last error: none")
    else:
        when = timezone.localtime(info.last_error_date).strftime("%Y-%m-%d %H:%M:%S %Z")
        last_error = _("Last error: %(when)s, %(message)s") % {
            "when": when,
            "message": info.last_error_message,
        }
    allowed = ", ".join(info.allowed_updates) if info.allowed_updates else _("Telegram's default")
    return [
        _("URL: %(url)s") % {"url": info.url},
        pending,
        last_error,
        _("Max connections: %(count)s") % {"count": info.max_connections},
        _("Allowed updates: %(updates)s") % {"updates": allowed},
    ]
