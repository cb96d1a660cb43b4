"""A bot's staff chat from a process that does not serve the bot: the web process, whose web
chat leads staff hear of in the bot's Telegram staff chat as of its own.

One Telegram client per bot and token, made at the first need and kept; a bot whose token
cannot be read or that Telegram refuses has no staff side here (staff follow its leads in the
admin), and that is logged, not raised.
"""

from __future__ import annotations

import logging

from django.conf import settings
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.application import READ_TIMEOUT, telegram_api_root, telegram_requests
from bot.channel import TelegramChannel
from bot.handlers import staff_chat_of
from bot.ratelimit import ChatRetryAfterLimiter
from bots.selectors import BotInfo, bot_token
from bots.tokens import TokenUnavailable
from core.db import db_call

logger = logging.getLogger(__name__)


class StaffSides:
    """The staff channels of the bots, for one event loop (its clients are bound to it)."""

    def __init__(self):
        self._bots: dict[tuple[int, str], ExtBot] = {}

    async def channel(self, info: BotInfo) -> TelegramChannel | None:
        """The bot talking to its staff chat; None without a staff chat or a usable token."""
        staff_chat = staff_chat_of(info)
        if not staff_chat:
            return None
        bot = await self._bot(info)
        if bot is None:
            return None
        return TelegramChannel(bot, staff_chat, private=False, staff_chat_id=staff_chat)

    async def _bot(self, info: BotInfo) -> ExtBot | None:
        key = (info.id, info.token_source)
        if key not in self._bots:
            try:
                token = await db_call(bot_token)(bot_id=info.id)
                root = telegram_api_root(settings.TELEGRAM_API_BASE_URL)
                bot = ExtBot(
                    token,
                    base_url=f"{root}/bot",
                    base_file_url=f"{root}/file/bot",
                    request=telegram_requests(READ_TIMEOUT),
                    rate_limiter=ChatRetryAfterLimiter(),
                )
                await bot.initialize()
            except (TokenUnavailable, TelegramError) as error:
                logger.warning("Bot %s cannot tell its staff chat from here: %s", info.id, error)
                return None
            self._bots[key] = bot
        return self._bots[key]

    async def close(self) -> None:
        for bot in self._bots.values():
            await bot.shutdown()
        self._bots.clear()
