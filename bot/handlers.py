"""Telegram handlers: each turns an update into an `Incoming` and runs one use case.

Everything else (storing first, skipping a redelivered update, limits, the answer, staff
news) is the assistant's, through the `TelegramChannel` of the update's chat.
"""

from __future__ import annotations

import functools

from django.conf import settings
from telegram import Message, Update
from telegram.ext import ContextTypes, filters

from assistant import usecases
from assistant.runtime import Runtime
from assistant.usecases import ButtonRoute, Command, TopicMessage
from bot.channel import TelegramChannel
from bot.updates import Kind, addressed_to_bot, incoming_from, is_private, unsupported_kind
from bots.selectors import BotInfo

RUNTIME = "runtime"
#: The bot as staff configured it (`bots.selectors.BotInfo`), kept current by `bot.registry`.
BOT = "bot"


def runtime_of(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    return context.application.bot_data[RUNTIME]


def staff_chat_of(bot: BotInfo) -> str:
    """The bot's staff chat, else the site's (`TELEGRAM_STAFF_CHAT_ID`)."""
    return bot.staff_chat_id or settings.TELEGRAM_STAFF_CHAT_ID


class StaffTopics(filters.MessageFilter):
    """Messages in a topic of the bot's staff chat: operators at work."""

    def __init__(self, application):
        super().__init__(name="StaffTopics")
        self.application = application

    def filter(self, message: Message) -> bool:
        staff_chat = staff_chat_of(self.application.bot_data[BOT])
        return bool(staff_chat) and str(message.chat.id) == staff_chat and message.is_topic_message


async def run(
    update: Update,
    context,
    content_type: str,
    act: usecases.exchange.Action,
    *,
    show_life: bool = False,
) -> None:
    """Hand the update to the assistant as `content_type`, with the use case `act`.

    `show_life` starts the sign of life (a draft or "typing") before anything else, for
    messages that are likely to be answered by the model.
    """
    if update.effective_user is None or update.effective_chat is None:
        return
    bot = context.application.bot_data[BOT]
    channel = TelegramChannel(
        update.get_bot(),
        update.effective_chat.id,
        private=is_private(update),
        query=update.callback_query,
        staff_chat_id=staff_chat_of(bot),
    )
    if show_life:
        channel.show_life()
    try:
        await usecases.handle(
            incoming_from(update, content_type, bot_id=bot.id), channel, runtime_of(context), act
        )
    finally:
        await channel.close()


def command(command: Command):
    async def handle_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        argument = " ".join(context.args or ())
        await run(update, context, Kind.COMMAND, lambda exchange: command.act(exchange, argument))

    return handle_command


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await run(update, context, Kind.COMMAND, usecases.unknown_command)


def button(route: ButtonRoute | None):
    """A press of one kind of button; `None` takes presses no route knows."""
    act = route.act if route else usecases.stale_button

    async def handle_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        data = update.callback_query.data or ""
        await run(
            update, context, Kind.CALLBACK, functools.partial(usecases.press, act=act, data=data)
        )

    return handle_press


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Whether it is meant for the bot depends on its chat: without one (not Telegram's
    shape, but a Bot API emulator's) it is skipped, as `run` skips one without a sender."""
    if update.effective_chat is None or not addressed_to_bot(update):
        return
    await run(update, context, Kind.TEXT, usecases.answer_text, show_life=True)


async def shared_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A contact card in a group is other people's traffic: left alone."""
    if update.effective_chat is None or not is_private(update):
        return
    shared = update.effective_message.contact
    own = shared.user_id == update.effective_user.id

    async def share(exchange):
        await usecases.shared_contact(exchange, shared.phone_number or "", own)

    await run(update, context, Kind.CONTACT, share)


async def voice_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A voice note or audio file, to transcribe and answer; in groups it cannot be addressed
    to the bot (no mention), so it is other people's traffic: ignored."""
    if update.effective_chat is None or not is_private(update):
        return
    kind = Kind.VOICE if update.effective_message.voice else Kind.AUDIO
    await run(update, context, kind, usecases.answer_voice, show_life=True)


async def other_content(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, files, locations; in groups other people's traffic: ignored."""
    if update.effective_chat is None or not is_private(update):
        return
    await run(update, context, unsupported_kind(update), usecases.note_unsupported)


async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await run(update, context, Kind.TEXT, usecases.keep_edit)


async def staff_topic_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An operator wrote in a lead's topic: to the person, a note, or /release."""
    sender = update.effective_user
    message = update.effective_message
    if sender is None or sender.is_bot:
        return
    bot = context.application.bot_data[BOT]
    staff = TelegramChannel(
        update.get_bot(), message.chat.id, private=False, staff_chat_id=staff_chat_of(bot)
    )
    name = sender.first_name or ""
    topic_message = TopicMessage(
        staff_chat=str(message.chat.id),
        thread_id=message.message_thread_id,
        text=message.text or "",
        author_name=name,
        author_account=sender.id,
        signature=name if bot.sign_operator_messages else "",
        event_key=f"telegram:{update.get_bot().id}:{update.update_id}",
    )
    await usecases.operator_wrote(topic_message, staff)
