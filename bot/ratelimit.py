"""Honouring Telegram's 429 `retry_after` per chat.

After a 429 for a chat, no further call goes to that chat until the time is up. Calls whose
caller owns the retries (the delivery of messages, which has its own deadline; drafts and
chat actions, which a newer one replaces anyway) are refused at once with `RetryAfter` during
a pause; other calls wait it out and are retried a bounded number of times.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

from prometheus_client import Counter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from core.expiring import ExpiringMap

logger = logging.getLogger(__name__)

PREVIEW_ENDPOINTS = frozenset({"sendMessageDraft", "sendChatAction"})
WHOLE_BOT = "*"
#: `rate_limit_args` of a call whose caller retries it (see `bot.delivery`).
RETRIED_BY_CALLER = "retried-by-caller"
#: This process's 429s from Telegram (a process-wide Prometheus counter, served on METRICS_PORT).
RETRY_AFTER_ANSWERS = Counter(
    "consult_telegram_retry_after", "Telegram's 429 answers (retry after), by method.", ["method"]
)


def retry_after_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class ChatRetryAfterLimiter(BaseRateLimiter[str]):
    """Waits out a chat's (or the whole bot's) flood pause; pauses expire from memory."""

    def __init__(self, max_retries: int = 3, clock=time.monotonic):
        self.max_retries = max_retries
        self.clock = clock
        self._paused_until: ExpiringMap[Any, float] = ExpiringMap(clock)

    async def initialize(self) -> None:
        self._paused_until.clear()

    async def shutdown(self) -> None:
        self._paused_until.clear()

    def pause_left(self, chat_id: Any) -> float:
        until = max(self._paused_until.get(chat_id, 0.0), self._paused_until.get(WHOLE_BOT, 0.0))
        return max(until - self.clock(), 0.0)

    def pause(self, chat_id: Any, seconds: float) -> None:
        """No call goes to `chat_id` for `seconds` (as Telegram asked)."""
        until = self.clock() + seconds
        self._paused_until.set(chat_id, until, expires_at=until)

    def tracked_chats(self) -> int:
        """How many chats are remembered as paused (for memory checks)."""
        return len(self._paused_until)

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        chat_id = data.get("chat_id", WHOLE_BOT)
        refuse_in_pause = endpoint in PREVIEW_ENDPOINTS or rate_limit_args == RETRIED_BY_CALLER
        attempt = 0
        while True:
            wait = self.pause_left(chat_id)
            if wait > 0:
                if refuse_in_pause:
                    raise RetryAfter(max(int(wait + 0.999), 1))
                await asyncio.sleep(wait)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                RETRY_AFTER_ANSWERS.labels(endpoint).inc()
                seconds = retry_after_seconds(error)
                self.pause(chat_id, seconds)
                logger.warning("Telegram asked to wait %.0f s for chat %s", seconds, chat_id)
                if refuse_in_pause or attempt == self.max_retries:
                    raise
                attempt += 1
