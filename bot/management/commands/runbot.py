"""`manage.py runbot`: the Telegram bot, by long polling, with its inbox."""

import asyncio
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assistant.readiness import ALLOW_MISSING_KEY_HELP, check_answering_model
from bot.application import build_application, is_valid_token
from bot.inbox import bot_id_of
from bot.serving import serving

logger = logging.getLogger(__name__)


def setup_hint(problem: str) -> str:
    return _(
        "TELEGRAM_BOT_TOKEN is %(problem)s. Set it in .env: create a bot with @BotFather in "
        "Telegram (/newbot) and copy the token it gives you (it looks like 123456789:AAE...)."
    ) % {"problem": problem}


class Command(BaseCommand):
    help = (
        "Run the Telegram bot (long polling): updates are stored, then answered. Stops "
        "cleanly on Ctrl+C or SIGTERM."
    )

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
        asyncio.run(run_until_stopped(application, bot_id_of(token)))
        logger.info("Bot stopped")


async def run_until_stopped(application, bot_id: int) -> None:
    """Serve until SIGINT or SIGTERM; a refused token ends the bot with an error."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serving(
        application, bot_id=bot_id, drain_seconds=settings.SHUTDOWN_DRAIN_SECONDS
    ) as polling:
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if polling.done() and polling.exception() is not None:
            raise CommandError(
                _("Telegram refused the bot: %(error)s") % {"error": polling.exception()}
            )
