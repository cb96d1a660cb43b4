"""Keeping personal data no longer than needed: the texts of old messages removed, handled
Telegram updates deleted, and what a person asked to forget emptied from the inbox too.

`apply_retention` runs once an hour in every bot process (`serving.py`, the first time a
minute after it starts) and as
`manage.py apply_retention` (for a scheduler, or to run it at once).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from bot.inbox import HANDLED_KEPT, inbox_forget_chat, inbox_prune
from bots.models import Bot
from conversations import services as conversation_services
from conversations.models import Contact
from conversations.signals import contact_erased

logger = logging.getLogger(__name__)

#: How often the bot processes apply the retention period, the first time this long after
#: they start.
RETENTION_SECONDS = 3600.0
RETENTION_FIRST_SECONDS = 60.0


@dataclass(frozen=True)
class Retained:
    messages_redacted: int
    updates_deleted: int


def apply_retention(now: dt.datetime | None = None) -> Retained:
    """Texts older than PERSONAL_DATA_RETENTION_DAYS removed (0 keeps them), handled updates
    older than `HANDLED_KEPT` (or the retention period, when shorter) deleted."""
    now = now or timezone.now()
    days = settings.PERSONAL_DATA_RETENTION_DAYS
    redacted = 0
    if days:
        cutoff = now - dt.timedelta(days=days)
        redacted = conversation_services.messages_redact_before(cutoff=cutoff)
    kept = min(HANDLED_KEPT, dt.timedelta(days=days)) if days else HANDLED_KEPT
    deleted = inbox_prune(before=now - kept)
    if redacted or deleted:
        logger.info("Retention: %s texts removed, %s handled updates deleted", redacted, deleted)
    return Retained(redacted, deleted)


def forget_inbox_chat(
    sender, *, bot_id: int | None, channel: str, external_id: str, **_identity
) -> None:
    """A Telegram person's data deleted: their private chat's stored updates go too."""
    if channel != Contact.Channel.TELEGRAM or bot_id is None or not external_id.isdigit():
        return
    telegram_id = Bot.objects.values_list("telegram_id", flat=True).get(pk=bot_id)
    inbox_forget_chat(bot_id=telegram_id, chat_id=int(external_id))


def connect() -> None:
    contact_erased.connect(forget_inbox_chat, dispatch_uid="bot.forget_inbox_chat")
