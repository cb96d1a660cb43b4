"""The applications of the bots a process serves, kept in step with what staff set in admin.

Every `RELOAD_SECONDS` (and whenever an update names a bot this process does not serve yet)
the active bots are read (`bots.selectors.active_bots`, cached until a change), so a bot added,
changed or switched off in admin takes effect within seconds, without a restart:

- a new active bot: its token is read, Telegram is asked who it is (`getMe`: a refused token
  is logged and the bot left alone until staff change it) and its application is built;
- a bot switched off, deleted, or given another token: its application stops taking updates
  and is closed once the updates it is handling are done (at most the drain time);
- any other change (name, languages, staff chat, hours) reaches the running application at
  once (`bot_data[BOT]`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.application import BOT, READ_TIMEOUT, build_application, close_runtime
from bots.selectors import BotInfo, active_bots, bot_token
from bots.services import bot_from_environment, bot_set_username
from bots.tokens import TokenUnavailable, is_valid_token, telegram_id_of
from conversations.models import Contact
from conversations.services import contacts_adopt
from core.db import db_call

logger = logging.getLogger(__name__)

#: Seconds between two looks at the bots staff configured.
RELOAD_SECONDS = 2.0


def environment_bot_registered() -> int | None:
    """The Telegram id of the bot of `TELEGRAM_BOT_TOKEN` (None without a valid one),
    registered beside the bots of the admin the first time a process meets it: the Telegram
    leads of no bot (from before several bots) become its own then."""
    token = settings.TELEGRAM_BOT_TOKEN
    if not is_valid_token(token):
        return None
    bot_id, created = bot_from_environment(token=token)
    if created:
        adopted = contacts_adopt(bot_id=bot_id, channel=Contact.Channel.TELEGRAM)
        logger.info("Registered the bot of TELEGRAM_BOT_TOKEN (%s leads are its own)", adopted)
    return telegram_id_of(token)


@dataclass
class ServedBot:
    """A bot this process serves, with the number of its updates being handled."""

    info: BotInfo
    application: Application
    busy: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self):
        self.idle.set()

    @contextlib.contextmanager
    def handling(self):
        """While one of its updates is handled: the bot is not closed under it."""
        self.busy += 1
        self.idle.clear()
        try:
            yield self.application
        finally:
            self.busy -= 1
            if not self.busy:
                self.idle.set()


@dataclass(frozen=True)
class Changes:
    """What one look at the configuration started and stopped."""

    started: list[ServedBot]
    stopped: list[ServedBot]


class BotStarting(Exception):
    """The bot is active but could not start yet (Telegram was unreachable): try again."""

    def __init__(self, telegram_id: int):
        super().__init__(f"bot {telegram_id} could not start yet")


class BotApplications:
    """The running application of each active bot, by the bot's Telegram id."""

    def __init__(
        self,
        *,
        api_base_url: str,
        drain_seconds: float,
        read_timeout: float = READ_TIMEOUT,
    ):
        self.api_base_url = api_base_url
        self.drain_seconds = drain_seconds
        self.read_timeout = read_timeout
        self._served: dict[int, ServedBot] = {}
        #: Bots whose token could not be used, by the version that failed: tried again once
        #: staff change them.
        self._refused: dict[int, str] = {}
        #: Active bots that could not start yet (Telegram unreachable), tried again each look.
        self._starting: set[int] = set()
        self._retiring: set[asyncio.Task] = set()
        self._lock = asyncio.Lock()

    def served(self) -> list[ServedBot]:
        return list(self._served.values())

    def get(self, telegram_id: int) -> ServedBot | None:
        return self._served.get(telegram_id)

    async def application_for(self, telegram_id: int) -> ServedBot | None:
        """The bot's application; a bot not served yet (added a moment ago) is looked up.

        None when the bot is not served: switched off, unknown, or its token refused.
        Raises `BotStarting` while an active bot could not start yet (Telegram unreachable).
        """
        served = self._served.get(telegram_id)
        if served is None:
            await self.refresh()
            served = self._served.get(telegram_id)
        if served is None and telegram_id in self._starting:
            raise BotStarting(telegram_id)
        return served

    async def refresh(self) -> Changes:
        """Start, update and stop applications to match the active bots."""
        async with self._lock:
            active = {bot.telegram_id: bot for bot in await db_call(active_bots)()}
            stopped = [
                self._served.pop(telegram_id)
                for telegram_id, served in list(self._served.items())
                if _must_restart(served, active.get(telegram_id))
            ]
            for served in stopped:
                self._retire(served)
            started = []
            self._starting.clear()
            for telegram_id, info in active.items():
                if (served := self._served.get(telegram_id)) is not None:
                    served.info = info
                    served.application.bot_data[BOT] = info
                elif self._refused.get(telegram_id) != info.version:
                    served = await self._start(info)
                    if served is not None:
                        self._served[telegram_id] = served
                        started.append(served)
            return Changes(started, stopped)

    async def _start(self, info: BotInfo) -> ServedBot | None:
        try:
            token = await db_call(bot_token)(bot_id=info.id)
        except TokenUnavailable as error:
            logger.error("Bot %s (%s) is not served: %s", info.id, info.name, error)
            self._refused[info.telegram_id] = info.version
            return None
        if telegram_id_of(token) != info.telegram_id:
            logger.error(
                "Bot %s (%s) is not served: its token belongs to another Telegram bot (%s)",
                info.id,
                info.name,
                telegram_id_of(token),
            )
            self._refused[info.telegram_id] = info.version
            return None
        application = build_application(
            bot=info, token=token, api_base_url=self.api_base_url, read_timeout=self.read_timeout
        )
        try:
            await application.initialize()
        except InvalidToken:
            logger.error("Telegram refused the token of bot %s (%s)", info.id, info.name)
            self._refused[info.telegram_id] = info.version
            await close_runtime(application)
            return None
        except TelegramError as error:
            logger.warning(
                "Bot %s (%s) could not start; trying again: %s", info.id, info.name, error
            )
            self._starting.add(info.telegram_id)
            await close_runtime(application)
            return None
        username = application.bot.username
        if username != info.username:
            await db_call(bot_set_username)(bot_id=info.id, username=username)
        logger.info("Serving bot %s (@%s)", info.id, username)
        return ServedBot(info, application)

    def _retire(self, served: ServedBot) -> None:
        logger.info("Bot %s (%s) is no longer served here", served.info.id, served.info.name)
        task = asyncio.create_task(self._close(served), name=f"closing bot {served.info.id}")
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _close(self, served: ServedBot) -> None:
        """Close once the bot's updates in hand are done, or after the drain time."""
        try:
            await asyncio.wait_for(served.idle.wait(), timeout=self.drain_seconds)
        except TimeoutError:
            logger.warning("Bot %s closed with updates still in hand", served.info.id)
        try:
            await served.application.shutdown()
        finally:
            await close_runtime(served.application)

    async def close(self) -> None:
        """Close every application (after the workers have drained)."""
        async with self._lock:
            for served in self._served.values():
                served.idle.set()
                self._retire(served)
            self._served.clear()
        await asyncio.gather(*self._retiring, return_exceptions=True)


def _must_restart(served: ServedBot, now: BotInfo | None) -> bool:
    """Switched off or deleted (`now` is None), or given another token."""
    return now is None or now.token_source != served.info.token_source
