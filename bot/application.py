"""Building the python-telegram-bot Application that `runbot` (and the tests) run."""

from __future__ import annotations

import httpx
from django.utils import translation
from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from assistant.runtime import Runtime
from assistant.usecases import BUTTONS, COMMANDS
from bot import handlers
from bot.handlers import BOT
from bot.ratelimit import ChatRetryAfterLimiter
from bots.selectors import BotInfo

#: Connections to Telegram: one per chat being answered at once.
MAX_CONCURRENT_UPDATES = 256
#: Idle connections kept open for the next calls. httpx checks every idle connection (a
#: system call each) on every request, so keeping all 256 after a burst cost more CPU per
#: message than opening one now and then.
KEPT_CONNECTIONS = 16
#: Seconds to wait for Telegram's answer to a call (python-telegram-bot's own default). A
#: message whose answer did not come in time may still have arrived: see `bot.delivery`.
READ_TIMEOUT = 5.0


def telegram_api_root(url: str) -> str:
    """The Bot API server's root, whether or not the URL already ends in `/bot`.

    Tools write the base URL both ways (`https://api.telegram.org` and `.../bot`); PTB adds
    `/bot<token>` itself.
    """
    root = url.strip().rstrip("/")
    return root.removesuffix("/bot") if root.endswith("/bot") else root


def build_application(
    *, bot: BotInfo, token: str, api_base_url: str, read_timeout: float = READ_TIMEOUT
) -> Application:
    """The bot with its handlers, 429 handling and its runtime.

    The runtime (flood limits, LLM clients) and the bot as configured live in `bot_data`;
    `close_runtime` closes the runtime. Updates reach the handlers from the inbox
    (`bot.processing`), never from PTB's updater.
    """
    base = telegram_api_root(api_base_url)
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .rate_limiter(ChatRetryAfterLimiter())
        .request(telegram_requests(read_timeout))
        .build()
    )
    application.bot_data[handlers.RUNTIME] = Runtime.from_settings()
    application.bot_data[BOT] = bot
    register_handlers(application)
    return application


def telegram_requests(read_timeout: float) -> HTTPXRequest:
    """The HTTP client of the bot's calls: a connection per chat answered at once, a few kept."""
    limits = httpx.Limits(
        max_connections=MAX_CONCURRENT_UPDATES, max_keepalive_connections=KEPT_CONNECTIONS
    )
    return HTTPXRequest(
        connection_pool_size=MAX_CONCURRENT_UPDATES,
        read_timeout=read_timeout,
        httpx_kwargs={"limits": limits},
    )


def register_handlers(application: Application) -> None:
    new_message = filters.UpdateType.MESSAGE
    operators_at_work = new_message & handlers.StaffTopics(application) & filters.TEXT
    application.add_handler(MessageHandler(operators_at_work, handlers.staff_topic_message))
    for command in COMMANDS:
        application.add_handler(
            CommandHandler(command.name, handlers.command(command), filters=new_message)
        )
    for route in BUTTONS:
        application.add_handler(
            CallbackQueryHandler(handlers.button(route), pattern=f"^(?:{route.pattern})$")
        )
    application.add_handler(CallbackQueryHandler(handlers.button(None)))
    application.add_handler(MessageHandler(new_message & filters.CONTACT, handlers.shared_contact))
    application.add_handler(MessageHandler(new_message & filters.COMMAND, handlers.unknown_command))
    application.add_handler(MessageHandler(new_message & filters.TEXT, handlers.text_message))
    spoken = filters.VOICE | filters.AUDIO
    application.add_handler(MessageHandler(new_message & spoken, handlers.voice_message))
    application.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.TEXT, handlers.edited_message)
    )
    application.add_handler(
        MessageHandler(new_message & ~filters.StatusUpdate.ALL, handlers.other_content)
    )


def menu_commands(language: str) -> list[BotCommand]:
    with translation.override(language):
        return [BotCommand(command.name, str(command.description)) for command in COMMANDS]


async def publish_command_menu(application: Application) -> None:
    """The command menu in every language the bot speaks, plus its first for the rest."""
    languages = application.bot_data[BOT].languages
    for language in languages:
        await application.bot.set_my_commands(menu_commands(language), language_code=language)
    await application.bot.set_my_commands(menu_commands(languages[0]))


async def close_runtime(application: Application) -> None:
    await application.bot_data[handlers.RUNTIME].close()


ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
