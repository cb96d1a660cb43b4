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
from bot.job_queue import JOB_CONCURRENCY
from bot.registry import environment_bot_registered
from bots.selectors import active_bots
from bots.tokens import is_valid_token
from core.db import DatabaseThreads
from core.metrics import serve_process_metrics

logger = logging.getLogger(__name__)


def setup_hint(problem: str) -> str:
    return _(
        "TELEGRAM_BOT_TOKEN is %(problem)s. Set it in .env: create a bot with @BotFather in "
        "Telegram (/newbot) and copy the token it gives you (it looks like 123456789:AAE...)."
    ) % {"problem": problem}


def register_environment_bot() -> None:
    """The bot of `TELEGRAM_BOT_TOKEN`, when set, is registered (once) beside those added in
    admin. A malformed token stops the command (code 2), as does having no active bot."""
    token = settings.TELEGRAM_BOT_TOKEN
    if token and not is_valid_token(token):
        raise CommandError(setup_hint(_("malformed")), returncode=2)
    environment_bot_registered()
    if not active_bots():
        raise CommandError(
            setup_hint(_("not set")) + " " + _("Or add a bot in admin (Bots) and switch it on."),
            returncode=2,
        )


class BotProcessCommand(BaseCommand):
    """A long-running process of the bots; stops cleanly on Ctrl+C or SIGTERM.

    A command names its `process` (an async context manager like `bot.serving.serving`,
    yielding a `Running` whose tasks end early only on failure) and what it logs at start
    and stop.
    """

    process: Callable
    starting_message: str
    stopped_message: str

    def handle(self, *args, **options):
        self.check_start(options)
        logger.info(self.starting_message)
        try:
            asyncio.run(self.run_process(options["concurrency"]))
        finally:
            DatabaseThreads.shut_down()
        logger.info(self.stopped_message)

    async def run_process(self, concurrency: int) -> None:
        async with self.process(
            api_base_url=settings.TELEGRAM_API_BASE_URL,
            drain_seconds=settings.SHUTDOWN_DRAIN_SECONDS,
            concurrency=concurrency,
        ) as running:
            await until_stopped(running.tasks)

    def add_arguments(self, parser):
        parser.add_argument("--allow-missing-key", action="store_true", help=ALLOW_MISSING_KEY_HELP)
        parser.add_argument(
            "--concurrency",
            type=int,
            default=JOB_CONCURRENCY,
            help="On PostgreSQL: updates this process handles at once (default: %(default)s).",
        )

    def check_start(self, options) -> None:
        """The bots, the options and the answering model are checked; from here on the
        process serves its metrics."""
        if options["concurrency"] < 1:
            raise CommandError(_("--concurrency must be at least 1."), returncode=2)
        register_environment_bot()
        check_answering_model(allow_missing_key=options["allow_missing_key"])
        serve_metrics()


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
