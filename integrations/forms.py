"""The integration's admin form: its secret is written once and never shown again."""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from bots.tokens import can_encrypt
from integrations.models import Integration


def _https_by_default(field, **kwargs):
    """An address typed without a scheme is https (Django 6's default, without the warning)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class IntegrationForm(forms.ModelForm):
    """Takes a new secret (kept encrypted with BOT_TOKEN_KEYS); empty keeps the current one."""

    secret = forms.CharField(
        label=_("secret"),
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Webhook: the key its requests are signed with (HMAC-SHA256). Bitrix24: the code "
            "of the incoming webhook (the last part of its address). amoCRM: the long-lived "
            "token. Stored encrypted and never shown again; leave empty to keep the current one."
        ),
    )

    class Meta:
        model = Integration
        fields = ["name", "kind", "is_active", "url", "bot"]
        formfield_callback = _https_by_default

    def clean(self):
        cleaned = super().clean()
        secret = cleaned.get("secret", "")
        if secret and not can_encrypt():
            raise forms.ValidationError(
                _("BOT_TOKEN_KEYS is not set, so a secret cannot be stored encrypted.")
            )
        if not secret and not self.instance.has_secret:
            self.add_error("secret", _("Give the secret; it is needed to send anything."))
        return cleaned

    def save(self, commit=True):
        secret = self.cleaned_data.get("secret")
        if secret:
            self.instance.set_secret(secret)
        return super().save(commit)
