"""`manage.py runbot`: the Telegram bot, by long polling, with its inbox."""

import asyncio
import logging

from django.conf import settings

from bot.inbox import bot_id_of
from bot.management.bot_process import BotProcessCommand, until_stopped
from bot.serving import serving

logger = logging.getLogger(__name__)


class Command(BotProcessCommand):
    help = (
        "Run the Telegram bot (long polling): updates are stored, then answered (on "
        "PostgreSQL by job workers, of this process and of any `runworker`). Stops cleanly on "
        "Ctrl+C or SIGTERM."
    )

    def handle(self, *args, **options):
        application = self.application(options)
        logger.info("Bot starting (long polling)")
        asyncio.run(self.serve(application, options["concurrency"]))
        logger.info("Bot stopped")

    @staticmethod
    async def serve(application, concurrency: int) -> None:
        async with serving(
            application,
            bot_id=bot_id_of(settings.TELEGRAM_BOT_TOKEN),
            drain_seconds=settings.SHUTDOWN_DRAIN_SECONDS,
            concurrency=concurrency,
        ) as tasks:
            await until_stopped(tasks)
