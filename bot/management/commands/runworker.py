"""`manage.py runworker`: handles stored updates (from the webhook or another process)."""

import asyncio
import logging

from django.conf import settings

from bot.inbox import bot_id_of
from bot.job_queue import uses_job_queue
from bot.management.bot_process import BotProcessCommand, until_stopped
from bot.serving import handling

logger = logging.getLogger(__name__)


class Command(BotProcessCommand):
    help = (
        "Handle the bot's stored updates: start as many as you need on PostgreSQL (each chat "
        "stays in order); on SQLite run one. Stops cleanly on Ctrl+C or SIGTERM."
    )

    def handle(self, *args, **options):
        application = self.application(options)
        kind = "job worker" if uses_job_queue() else "inbox worker (SQLite: run only one)"
        logger.info("Worker starting: %s", kind)
        asyncio.run(self.work(application, options["concurrency"]))
        logger.info("Worker stopped")

    @staticmethod
    async def work(application, concurrency: int) -> None:
        async with handling(
            application,
            bot_id=bot_id_of(settings.TELEGRAM_BOT_TOKEN),
            drain_seconds=settings.SHUTDOWN_DRAIN_SECONDS,
            concurrency=concurrency,
        ) as (_worker, working):
            await until_stopped((working,))
