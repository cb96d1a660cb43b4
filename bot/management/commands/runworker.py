"""`manage.py runworker`: handles stored updates (from the webhook or another process)."""

from bot.job_queue import uses_job_queue
from bot.management.bot_process import BotProcessCommand
from bot.serving import handling


class Command(BotProcessCommand):
    help = (
        "Handle the bot's stored updates: start as many as you need on PostgreSQL (each chat "
        "stays in order); on SQLite run one. Stops cleanly on Ctrl+C or SIGTERM."
    )
    process = staticmethod(handling)
    stopped_message = "Worker stopped"

    @property
    def starting_message(self) -> str:
        kind = "job worker" if uses_job_queue() else "inbox worker (SQLite: run only one)"
        return f"Worker starting: {kind}"
