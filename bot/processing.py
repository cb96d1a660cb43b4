"""Handling one stored update with the bot's handlers, whoever took it from the inbox.

The in-process inbox worker and the procrastinate workers both call `UpdateProcessor.process`;
the outcome tells them whether the update is done, failed for good, or waits for the
database to come back.
"""

from __future__ import annotations

import enum
import logging

from django.db import InterfaceError, OperationalError
from django.utils import translation
from django.utils.translation import gettext as _
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from assistant.usecases.exchange import supported_language
from bot.inbox import inbox_fail, inbox_finish, inbox_take
from bot.registry import BotApplications, BotStarting
from core.backoff import Backoff
from core.db import db_call

logger = logging.getLogger(__name__)

#: The database is unreachable or restarting: the update stays in the inbox and is tried again.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
#: Pauses before such an update is tried again, by the inbox worker and the job queue alike.
UPDATE_RETRY_BACKOFF = Backoff(first=0.5, longest=15.0)


class Result(enum.Enum):
    DONE = "done"
    FAILED = "failed"
    RETRY = "retry"


async def dispatch(application: Application, update: Update) -> None:
    """Run the first handler that takes the update.

    Unlike `Application.process_update`, errors reach the caller, who decides between trying
    again (the database is away) and giving up with an apology (a fault of ours).
    """
    for handlers in application.handlers.values():
        for handler in handlers:
            check = handler.check_update(update)
            if check is None or check is False:
                continue
            context = application.context_types.context.from_update(update, application)
            await handler.handle_update(update, application, check, context)
            return


class UnreadableUpdate(Exception):
    """python-telegram-bot could not read the stored update (a schema it does not know)."""

    def __init__(self, cause: Exception):
        super().__init__(f"the update cannot be read: {type(cause).__name__}: {cause}")


class BotNotServed(Exception):
    """The update's bot is switched off, deleted, or its token was refused."""

    def __init__(self, bot_id: int):
        super().__init__(f"bot {bot_id} is not served (switched off, deleted or its token refused)")


class UpdateProcessor:
    """The handlers of each update's bot applied to updates from the inbox."""

    def __init__(self, bots: BotApplications):
        self.bots = bots

    async def process(self, inbound_id: int) -> Result:
        try:
            taken = await db_call(inbox_take)(inbound_id=inbound_id)
            served = taken and await self.bots.application_for(taken.bot_id)
        except DATABASE_UNAVAILABLE as error:
            logger.warning("Database unavailable; update %s waits: %s", inbound_id, error)
            return Result.RETRY
        except BotStarting as error:
            logger.warning("Update %s waits: %s", inbound_id, error)
            return Result.RETRY
        if taken is None:
            return Result.DONE
        if served is None:
            logger.warning(
                "Update %s is not handled: its bot %s is not served", inbound_id, taken.bot_id
            )
            await self._keep_error(inbound_id, BotNotServed(taken.bot_id), final=True)
            return Result.FAILED
        with served.handling() as application:
            return await self._handle(inbound_id, taken.payload, application)

    async def _handle(self, inbound_id: int, payload: dict, application: Application) -> Result:
        try:
            update = Update.de_json(payload, application.bot)
        except Exception as error:
            # Nobody to apologise to; trying again would fail the same way and, left
            # waiting, it would hold up its chat and keep /readyz failing.
            logger.error("Update %s cannot be read", inbound_id, exc_info=error)
            await self._keep_error(inbound_id, UnreadableUpdate(error), final=True)
            return Result.FAILED
        try:
            await dispatch(application, update)
        except DATABASE_UNAVAILABLE as error:
            logger.warning("Database unavailable; update %s will be tried again", inbound_id)
            await self._keep_error(inbound_id, error, final=False)
            return Result.RETRY
        except Exception as error:
            logger.error("Error while handling update %s", inbound_id, exc_info=error)
            await apologise(update)
            await self._keep_error(inbound_id, error, final=True)
            return Result.FAILED
        try:
            await db_call(inbox_finish)(inbound_id=inbound_id)
        except DATABASE_UNAVAILABLE:
            logger.warning(
                "Update %s was handled but not marked; it is taken again and resumes, "
                "so nothing said is repeated",
                inbound_id,
            )
            return Result.RETRY
        return Result.DONE

    async def _keep_error(self, inbound_id: int, error: Exception, *, final: bool) -> None:
        try:
            await db_call(inbox_fail)(
                inbound_id=inbound_id, error=f"{type(error).__name__}: {error}", final=final
            )
        except DATABASE_UNAVAILABLE:
            logger.warning("Could not record the failure of update %s", inbound_id)


async def apologise(update: Update) -> None:
    """Say something went wrong instead of going silent."""
    if update.effective_chat is None:
        return
    user = update.effective_user
    with translation.override(supported_language(user.language_code if user else None)):
        apology = _("Sorry, something went wrong. Please try again.")
    try:
        await update.get_bot().send_message(update.effective_chat.id, apology)
    except TelegramError:
        logger.warning("Could not apologise in chat %s", update.effective_chat.id)
