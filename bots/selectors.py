"""Reads of the bots: what a process serving them and the use cases need, as plain data."""

from __future__ import annotations

import datetime
import hashlib
import zoneinfo
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from bots.models import Bot, OperatorAccount
from bots.tokens import decrypt_token, token_from_environment
from core.config_cache import cached_config


@dataclass(frozen=True)
class BotInfo:
    """One bot as configured, detached from the ORM (the token is read separately)."""

    id: int
    name: str
    username: str
    telegram_id: int
    is_active: bool
    languages: tuple[str, ...]
    staff_chat_id: str
    sign_operator_messages: bool
    time_zone: str
    work_days: frozenset[int]
    opens_at: datetime.time
    closes_at: datetime.time
    #: Changes with the token's place (its variable, or the stored token): a new token.
    token_source: str
    #: Changes whenever staff save the bot.
    version: str

    @classmethod
    def from_bot(cls, bot: Bot) -> BotInfo:
        return cls(
            id=bot.pk,
            name=bot.name,
            username=bot.username,
            telegram_id=bot.telegram_id,
            is_active=bot.is_active,
            languages=tuple(bot.languages),
            staff_chat_id=bot.staff_chat_id,
            sign_operator_messages=bot.sign_operator_messages,
            time_zone=bot.time_zone,
            work_days=frozenset(bot.work_days),
            opens_at=bot.opens_at,
            closes_at=bot.closes_at,
            token_source=_token_source(bot),
            version=f"{bot.updated_at.isoformat()}|{_token_source(bot)}",
        )

    def is_open(self, at: datetime.datetime) -> bool:
        """Whether `at` falls in business hours, in the bot's time zone. Hours that close
        before they open run past midnight (the night counts to the day it began)."""
        local = at.astimezone(zoneinfo.ZoneInfo(self.time_zone))
        now = local.time()
        if self.opens_at <= self.closes_at:
            return local.weekday() in self.work_days and self.opens_at <= now < self.closes_at
        if now >= self.opens_at:
            return local.weekday() in self.work_days
        yesterday = (local.weekday() - 1) % 7
        return yesterday in self.work_days and now < self.closes_at

    def next_opening(self, at: datetime.datetime) -> datetime.datetime | None:
        """When business hours next begin after `at` (in the bot's time zone), or None
        when the bot has no working days."""
        zone = zoneinfo.ZoneInfo(self.time_zone)
        local = at.astimezone(zone)
        for days in range(8):
            day = local.date() + datetime.timedelta(days=days)
            opening = datetime.datetime.combine(day, self.opens_at, tzinfo=zone)
            if day.weekday() in self.work_days and opening > local:
                return opening
        return None

    def speaks(self, language: str) -> str:
        """`language` if the bot speaks it, else its first language."""
        return language if language in self.languages else self.languages[0]


def _token_source(bot: Bot) -> str:
    """A digest of where the token is, so a change is seen without keeping the token around."""
    return hashlib.sha256(f"{bot.token_variable}|{bot.encrypted_token}".encode()).hexdigest()


@cached_config
def _bots() -> tuple[BotInfo, ...]:
    return tuple(BotInfo.from_bot(bot) for bot in Bot.objects.all())


def active_bots() -> list[BotInfo]:
    return [bot for bot in _bots() if bot.is_active]


def bot_info(*, bot_id: int) -> BotInfo | None:
    return next((bot for bot in _bots() if bot.id == bot_id), None)


def bot_by_telegram_id(*, telegram_id: int) -> BotInfo | None:
    return next((bot for bot in _bots() if bot.telegram_id == telegram_id), None)


def bot_token(*, bot_id: int) -> str:
    """The bot's token, decrypted or read from its variable; never logged or cached.

    Raises `TokenUnavailable` saying why it cannot be read (never the token).
    """
    variable, encrypted = Bot.objects.values_list("token_variable", "encrypted_token").get(
        pk=bot_id
    )
    if variable:
        return token_from_environment(variable)
    return decrypt_token(encrypted)


# --- Who sees which bot ----------------------------------------------------------------------


def visible_bot_ids(user) -> frozenset[int] | None:
    """The bots whose leads `user` sees in the admin: None for every bot (a superuser), else
    the ids of the bots they work with (`Bot.staff`).

    Kept on the user object for the rest of the request, as Django keeps its permissions.
    """
    if user.is_superuser:
        return None
    if not hasattr(user, "_visible_bot_ids"):
        user._visible_bot_ids = frozenset(user.bots.values_list("pk", flat=True))
    return user._visible_bot_ids


def visible_to(user, path: str = "bot") -> Q:
    """The rows `user` may see of those that reach a bot by `path`: their bots' rows and the
    rows of no bot (shared prompts and scenarios, the terminal chat's leads)."""
    bot_ids = visible_bot_ids(user)
    if bot_ids is None:
        return Q()
    return Q(**{f"{path}__in": bot_ids}) | Q(**{f"{path}__isnull": True})


def visible_bots(user) -> QuerySet[Bot]:
    """The bots `user` works with (every bot for a superuser), for lists and choices."""
    bot_ids = visible_bot_ids(user)
    return Bot.objects.all() if bot_ids is None else Bot.objects.filter(pk__in=bot_ids)


def staff_user_of(*, telegram_user_id: int) -> int | None:
    """The staff user whose Telegram account this is, if one was registered."""
    rows = OperatorAccount.objects.filter(telegram_user_id=telegram_user_id)
    return rows.values_list("user_id", flat=True).first()
