"""The bot's admin form: the token is written once and never shown again."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from bots.models import Bot
from bots.tokens import (
    TokenUnavailable,
    can_encrypt,
    encrypt_token,
    is_valid_token,
    telegram_id_of,
    token_from_environment,
    validate_token_variable,
)

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class BotForm(forms.ModelForm):
    """Takes a new token (kept encrypted) or the name of the variable holding it.

    `token_checked` is where the layer that talks to Telegram asks Telegram who the token
    belongs to (`bot.admin` fills it in); here only its shape is checked.
    """

    token = forms.CharField(
        label=_("token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "From @BotFather. Stored encrypted and never shown again; leave empty to keep the "
            "current one."
        ),
    )
    languages = forms.TypedMultipleChoiceField(
        label=_("languages"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one language.")},
        help_text=_("The languages the bot speaks; the first is for everyone else."),
    )
    work_days = forms.TypedMultipleChoiceField(
        label=_("working days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Bot
        fields = [
            "name",
            "token_variable",
            "is_active",
            "languages",
            "staff_chat_id",
            "sign_operator_messages",
            "time_zone",
            "work_days",
            "opens_at",
            "closes_at",
            "staff",
        ]

    def clean(self):
        cleaned = super().clean()
        token, variable = cleaned.get("token"), cleaned.get("token_variable")
        if token and variable:
            raise forms.ValidationError(
                _("Give either the token or the variable that holds it, not both.")
            )
        if token:
            self._take_token(token)
        elif variable:
            self._take_variable(variable)
        elif not self.instance.encrypted_token:
            raise forms.ValidationError(_("Give the bot's token or the variable that holds it."))
        return cleaned

    def _take_token(self, token: str) -> None:
        if not is_valid_token(token):
            self.add_error("token", _("This does not look like a token from @BotFather."))
            return
        if not can_encrypt():
            self.add_error(
                "token",
                _(
                    "Tokens can be stored only with BOT_TOKEN_KEYS set in .env; or put the "
                    "token in a variable and give its name."
                ),
            )
            return
        self._check_with_telegram("token", token)
        self.instance.encrypted_token = encrypt_token(token)

    def _take_variable(self, variable: str) -> None:
        try:
            validate_token_variable(variable)
        except forms.ValidationError as error:
            self.add_error("token_variable", error)
            return
        try:
            token = token_from_environment(variable)
        except TokenUnavailable as error:
            self.add_error("token_variable", _("Cannot read the token: %(why)s.") % {"why": error})
            return
        self._check_with_telegram("token_variable", token)
        self.instance.encrypted_token = ""

    def _check_with_telegram(self, field: str, token: str) -> None:
        telegram_id = telegram_id_of(token)
        others = Bot.objects.exclude(pk=self.instance.pk).filter(telegram_id=telegram_id)
        if others.exists():
            self.add_error(field, _("This Telegram bot is already registered here."))
            return
        self.instance.telegram_id = telegram_id
        self.instance.username = self.token_checked(token, field) or self.instance.username

    def token_checked(self, token: str, field: str) -> str:
        """The bot's username as Telegram tells it; here: unknown (nothing talks Telegram)."""
        return ""
