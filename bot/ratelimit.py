"""Honouring Telegram's 429 `retry_after` per chat.

After a 429 for a chat, no further call goes to that chat until the time is up; then the
message is delivered. Drafts are refused at once instead of queued (a newer draft or the
final message follows anyway); the streamer also skips group preview edits during a pause.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

logger = logging.getLogger(__name__)

PREVIEW_ENDPOINTS = frozenset({"sendMessageDraft", "sendChatAction"})
WHOLE_BOT = "*"


def retry_after_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class ChatRetryAfterLimiter(BaseRateLimiter[None]):
    """Waits out a chat's (or the whole bot's) flood pause and retries a bounded number of times."""

    def __init__(self, max_retries: int = 3, clock=time.monotonic):
        self.max_retries = max_retries
        self.clock = clock
        self._paused_until: dict[Any, float] = {}

    async def initialize(self) -> None:
        self._paused_until.clear()

    async def shutdown(self) -> None:
        self._paused_until.clear()

    def pause_left(self, chat_id: Any) -> float:
        now = self.clock()
        until = max(self._paused_until.get(chat_id, 0.0), self._paused_until.get(WHOLE_BOT, 0.0))
        return max(until - now, 0.0)

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        chat_id = data.get("chat_id", WHOLE_BOT)
        attempt = 0
        while True:
            wait = self.pause_left(chat_id)
            if wait > 0:
                if endpoint in PREVIEW_ENDPOINTS:
                    raise RetryAfter(max(int(wait + 0.999), 1))
                await asyncio.sleep(wait)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_after_seconds(error)
                self._paused_until[chat_id] = self.clock() + seconds
                logger.warning("Telegram asked to wait %.0f s for chat %s", seconds, chat_id)
                if endpoint in PREVIEW_ENDPOINTS or attempt == self.max_retries:
                    raise
                attempt += 1
