"""`manage.py runbot`: the Telegram bot, by long polling."""

import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assistant.readiness import ALLOW_MISSING_KEY_HELP, check_answering_model
from bot.application import ALLOWED_UPDATES, build_application, is_valid_token

logger = logging.getLogger(__name__)


def setup_hint(problem: str) -> str:
    return _(
        "TELEGRAM_BOT_TOKEN is %(problem)s. Set it in .env: create a bot with @BotFather in "
        "Telegram (/newbot) and copy the token it gives you (it looks like 123456789:AAE...)."
    ) % {"problem": problem}


class Command(BaseCommand):
    help = "Run the Telegram bot (long polling). Stops cleanly on Ctrl+C or SIGTERM."

    def add_arguments(self, parser):
        parser.add_argument("--allow-missing-key", action="store_true", help=ALLOW_MISSING_KEY_HELP)

    def handle(self, *args, **options):
        token = settings.TELEGRAM_BOT_TOKEN
        if not token:
            raise CommandError(setup_hint(_("not set")), returncode=2)
        if not is_valid_token(token):
            raise CommandError(setup_hint(_("malformed")), returncode=2)
        check_answering_model(allow_missing_key=options["allow_missing_key"])
        application = build_application(token=token, api_base_url=settings.TELEGRAM_API_BASE_URL)
        logger.info("Bot starting (long polling)")
        application.run_polling(
            allowed_updates=ALLOWED_UPDATES,
            stop_signals=(signal.SIGINT, signal.SIGTERM),
            close_loop=False,
        )
        logger.info("Bot stopped")
