"""`manage.py runbot`: the Telegram bot, by long polling, with its inbox."""

from bot.management.bot_process import BotProcessCommand
from bot.serving import serving


class Command(BotProcessCommand):
    help = (
        "Run the Telegram bot (long polling): updates are stored, then answered (on "
        "PostgreSQL by job workers, of this process and of any `runworker`). Stops cleanly on "
        "Ctrl+C or SIGTERM."
    )
    process = staticmethod(serving)
    starting_message = "Bot starting (long polling)"
    stopped_message = "Bot stopped"
