"""What `runbot` and `runworker` share: the checks before start and running until a signal
(`telegram_webhook` checks the token the same way)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assistant.readiness import ALLOW_MISSING_KEY_HELP, check_answering_model
from bot.application import build_application, is_valid_token
from bot.inbox import bot_id_of
from bot.job_queue import JOB_CONCURRENCY
from core.db import DatabaseThreads
from core.metrics import serve_process_metrics

logger = logging.getLogger(__name__)


def setup_hint(problem: str) -> str:
    return _(
        "TELEGRAM_BOT_TOKEN is %(problem)s. Set it in .env: create a bot with @BotFather in "
        "Telegram (/newbot) and copy the token it gives you (it looks like 123456789:AAE...)."
    ) % {"problem": problem}


def required_token() -> str:
    """`TELEGRAM_BOT_TOKEN`, when set and well-formed; otherwise the command stops (code 2)."""
    token = settings.TELEGRAM_BOT_TOKEN
    if not token:
        raise CommandError(setup_hint(_("not set")), returncode=2)
    if not is_valid_token(token):
        raise CommandError(setup_hint(_("malformed")), returncode=2)
    return token


class BotProcessCommand(BaseCommand):
    """A long-running process of the bot; stops cleanly on Ctrl+C or SIGTERM.

    A command names its `process` (an async context manager like `bot.serving.serving`,
    yielding the tasks that end early only on failure) and what it logs at start and stop.
    """

    process: Callable
    starting_message: str
    stopped_message: str

    def handle(self, *args, **options):
        application = self.application(options)
        logger.info(self.starting_message)
        try:
            asyncio.run(self.run_process(application, options["concurrency"]))
        finally:
            DatabaseThreads.shut_down()
        logger.info(self.stopped_message)

    async def run_process(self, application, concurrency: int) -> None:
        async with self.process(
            application,
            bot_id=bot_id_of(settings.TELEGRAM_BOT_TOKEN),
            drain_seconds=settings.SHUTDOWN_DRAIN_SECONDS,
            concurrency=concurrency,
        ) as tasks:
            await until_stopped(tasks)

    def add_arguments(self, parser):
        parser.add_argument("--allow-missing-key", action="store_true", help=ALLOW_MISSING_KEY_HELP)
        parser.add_argument(
            "--concurrency",
            type=int,
            default=JOB_CONCURRENCY,
            help="On PostgreSQL: updates this process handles at once (default: %(default)s).",
        )

    def application(self, options):
        """The bot's application, after the token and the answering model were checked; from
        here on the process serves its metrics."""
        token = required_token()
        if options["concurrency"] < 1:
            raise CommandError(_("--concurrency must be at least 1."), returncode=2)
        check_answering_model(allow_missing_key=options["allow_missing_key"])
        serve_metrics()
        return build_application(token=token, api_base_url=settings.TELEGRAM_API_BASE_URL)


def serve_metrics() -> None:
    """This process's counters on `METRICS_HOST:METRICS_PORT` (when the port is set)."""
    try:
        serve_process_metrics(host=settings.METRICS_HOST, port=settings.METRICS_PORT)
    except OSError as error:
        raise CommandError(
            _("Cannot serve metrics on %(host)s:%(port)s (METRICS_PORT): %(error)s")
            % {"host": settings.METRICS_HOST, "port": settings.METRICS_PORT, "error": error},
            returncode=2,
        ) from error


async def until_stopped(tasks: tuple[asyncio.Task, ...]) -> None:
    """Wait for SIGINT or SIGTERM; one of `tasks` ending first means it failed: say why."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({stopping, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    for task in tasks:
        if task.done():
            error = task.exception() or _("it ended unexpectedly")
            raise CommandError(_("The bot stopped: %(error)s") % {"error": error})
