"""Writes to the bots that do not come from the admin form."""

from __future__ import annotations

from django.db import transaction

from bots.models import Bot
from bots.tokens import ENV_BOT_VARIABLE, reencrypt_token, telegram_id_of
from core.config_cache import config_changed


def bot_set_username(*, bot_id: int, username: str) -> None:
    """The username Telegram gave (getMe), kept so staff and links show it."""
    Bot.objects.filter(pk=bot_id).update(username=username)
    config_changed()


def bot_from_environment(*, token: str) -> tuple[int, bool]:
    """The bot of `TELEGRAM_BOT_TOKEN`, registered on first start; (its id, whether new)."""
    bot, created = Bot.objects.get_or_create(
        telegram_id=telegram_id_of(token),
        defaults={"name": "Telegram", "token_variable": ENV_BOT_VARIABLE},
    )
    return bot.pk, created


def bots_reencrypt_tokens() -> int:
    """Every stored token under the first key (all in one transaction: none or all move)."""
    with transaction.atomic():
        bots = list(Bot.objects.select_for_update().exclude(encrypted_token=""))
        for bot in bots:
            bot.encrypted_token = reencrypt_token(bot.encrypted_token)
        Bot.objects.bulk_update(bots, ["encrypted_token"])
    return len(bots)
