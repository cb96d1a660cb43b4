"""Telegram's webhook: updates posted by Telegram are stored in the inbox, then confirmed.

Telegram counts an update as delivered when the webhook answers 2xx, so the view answers 200
only after the update is committed (`bot.intake.store_updates`); with the database down it
answers 503 and Telegram tries again later. Handling is a worker's job, not this view's.
Each bot has its own path (`/telegram/webhook/<the bot's Telegram id>/`) and its own secret,
derived from `TELEGRAM_WEBHOOK_SECRET` (`bot_webhook_secret`), which every request must carry:
`manage.py telegram_webhook set` registers both for every active bot.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bot.inbox import is_update_id
from bot.intake import store_updates
from bot.processing import DATABASE_UNAVAILABLE
from bot.registry import environment_bot_registered
from bots.selectors import bot_by_telegram_id
from core.db import db_call

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (the header's name)
#: Seconds Telegram is asked to wait before posting again while the database is away.
RETRY_AFTER_SECONDS = 5


@csrf_exempt
@require_POST
async def telegram_webhook(request: HttpRequest, bot_id: int) -> HttpResponse:
    """Store the posted update; 200 once it is committed (a repeated one is stored once)."""
    if not settings.TELEGRAM_WEBHOOK_SECRET:
        return HttpResponse(status=404)
    if not secret_matches(request.headers.get(SECRET_HEADER, ""), bot_webhook_secret(bot_id)):
        logger.warning("Webhook request for bot %s refused: wrong or missing secret token", bot_id)
        return HttpResponse(status=403)
    body = body_within(request, settings.TELEGRAM_WEBHOOK_MAX_BYTES)
    if body is None:
        logger.warning("Webhook request for bot %s refused: the body is too large", bot_id)
        return HttpResponse(status=413)
    update = update_in(body)
    if update is None:
        logger.warning("Webhook request for bot %s refused: not an update", bot_id)
        return HttpResponse(status=400)
    try:
        if not await db_call(is_served)(bot_id):
            logger.warning("Webhook request for bot %s refused: no such active bot", bot_id)
            return HttpResponse(status=404)
        await db_call(store_updates)(bot_id=bot_id, payloads=[update])
    except DATABASE_UNAVAILABLE as error:
        logger.warning(
            "Database unavailable; update %s of bot %s is left to Telegram to post again: %s",
            update["update_id"],
            bot_id,
            error,
        )
        return HttpResponse(status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return JsonResponse({})


def is_served(telegram_id: int) -> bool:
    """An active bot; the bot of `TELEGRAM_BOT_TOKEN` is registered if no process has yet."""
    bot = bot_by_telegram_id(telegram_id=telegram_id)
    if bot is None:  # registered now, it is active (an existing row would have been found)
        return environment_bot_registered() == telegram_id
    return bot.is_active


def bot_webhook_secret(telegram_id: int, site_secret: str | None = None) -> str:
    """The bot's own secret: a leaked one opens no other bot's webhook, and none is stored.

    Derived from `site_secret`, `TELEGRAM_WEBHOOK_SECRET` unless another process's is given.
    """
    key = (settings.TELEGRAM_WEBHOOK_SECRET if site_secret is None else site_secret).encode()
    return hmac.new(key, f"telegram-webhook:{telegram_id}".encode(), hashlib.sha256).hexdigest()


def secret_matches(given: str, expected: str) -> bool:
    """Compared in constant time, so the answer's timing tells nothing about the secret."""
    return hmac.compare_digest(given.encode(), expected.encode())


def body_within(request: HttpRequest, limit: int) -> bytes | None:
    """The body when it has at most `limit` bytes, else None; the declared length is trusted
    only to refuse early, and no more than `limit + 1` bytes are read."""
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = request.read(limit + 1)
    return body if len(body) <= limit else None


def update_in(body: bytes) -> dict | None:
    """The update in a JSON body; None unless it is an object with an update id that can be
    Telegram's (a whole number from 0 that fits the inbox)."""
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past Python's limit
        return None
    if not isinstance(update, dict) or not is_update_id(update.get("update_id")):
        return None
    return update
