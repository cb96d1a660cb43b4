"""The Telegram bots a business runs: each its own name, token, languages, staff chat and hours.

Telegram code lives in `bot/`; this app only keeps what staff configure, so the apps below the
assistant (leads, prompts, the catalog, scenarios) can belong to a bot.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from bots.tokens import validate_token_variable


def all_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def site_time_zone() -> str:
    return settings.TIME_ZONE


def working_week() -> list[int]:
    """Monday to Friday (0 is Monday, as in `datetime.weekday`)."""
    return [0, 1, 2, 3, 4]


def validate_time_zone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(name)s is not a time zone name such as Europe/Moscow."),
            code="time_zone",
            params={"name": name},
        )


class Bot(models.Model):
    """One Telegram bot: what people see of it, and where its staff are.

    The token is kept encrypted (`encrypted_token`, see `bots.tokens`) or read from the
    environment variable `token_variable`; `telegram_id` is the number in the token, the id
    Telegram gives the bot, which names it in the inbox and the webhook's path.
    """

    name = models.CharField(_("name"), max_length=100)
    username = models.CharField(
        _("username"), max_length=64, blank=True, help_text=_("Read from Telegram (getMe).")
    )
    telegram_id = models.BigIntegerField(_("Telegram id"), unique=True, editable=False)
    token_variable = models.CharField(
        _("token variable"),
        max_length=100,
        blank=True,
        validators=[validate_token_variable],
        help_text=_("The environment variable holding the token, e.g. SHOP_BOT_TOKEN."),
    )
    encrypted_token = models.TextField(_("encrypted token"), blank=True, editable=False)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Switched off, the bot stops answering.")
    )
    languages = models.JSONField(
        _("languages"),
        default=all_languages,
        help_text=_("The languages the bot speaks; the first is for everyone else."),
    )
    staff_chat_id = models.CharField(
        _("staff chat"),
        max_length=32,
        blank=True,
        help_text=_(
            "Id of the staff group (a supergroup with topics for operators), e.g. -1001234567890."
        ),
    )
    sign_operator_messages = models.BooleanField(
        _("sign operators' messages"),
        default=True,
        help_text=_("An operator's message to a person ends with the operator's first name."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=site_time_zone, validators=[validate_time_zone]
    )
    work_days = models.JSONField(
        _("working days"), default=working_week, help_text=_("0 is Monday, 6 is Sunday.")
    )
    opens_at = models.TimeField(_("opens at"), default=datetime.time(9, 0))
    closes_at = models.TimeField(_("closes at"), default=datetime.time(18, 0))
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="bots",
        verbose_name=_("staff"),
        help_text=_(
            "Staff users who see this bot's leads and answer them; superusers see every bot."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("bot")
        verbose_name_plural = _("bots")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(token_variable="", encrypted_token=""),
                name="bot_has_token",
                violation_error_message=_("Give the bot's token or the variable that holds it."),
            ),
        ]

    def __str__(self):
        return f"{self.name} (@{self.username})" if self.username else self.name


class OperatorAccount(models.Model):
    """A staff user's Telegram account: what they write in the staff chat's topics is stored
    as theirs (the transcript and the analytics name the staff user, not only a first name)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="operator_account",
        verbose_name=_("staff user"),
    )
    telegram_user_id = models.BigIntegerField(
        _("Telegram user id"),
        unique=True,
        help_text=_("Their numeric id in Telegram (e.g. from @userinfobot)."),
    )

    class Meta:
        verbose_name = _("Telegram account")
        verbose_name_plural = _("Telegram accounts")

    def __str__(self):
        return str(self.telegram_user_id)
