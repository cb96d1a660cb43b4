"""A web chat staff put on their own site: which bot answers there, who may embed it, how
it looks and how much one visitor may send."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_site_key() -> str:
    """The public key in the embed snippet: unguessable, so a site cannot be enumerated."""
    return secrets.token_urlsafe(16)


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, as browsers send it in `Origin` ("" if not one)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def validate_origins(value: str) -> None:
    bad = [line for line in value.split() if origin_of(line) != line.strip().rstrip("/")]
    if bad:
        raise ValidationError(
            _("Not an origin (such as https://example.com): %(lines)s"),
            params={"lines": ", ".join(bad)},
        )


class WebSite(models.Model):
    """One site that embeds the chat: its visitors become leads of `bot` (its prompts,
    catalog, models and operators), on the channel *Web chat*."""

    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(
        _("site key"),
        max_length=40,
        unique=True,
        default=new_site_key,
        editable=False,
        help_text=_("Public: it is in the snippet on the site."),
    )
    bot = models.ForeignKey(
        "bots.Bot",
        on_delete=models.PROTECT,
        related_name="web_sites",
        verbose_name=_("bot"),
        help_text=_("Answers here with its prompts, services and models; its operators take over."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    allowed_origins = models.TextField(
        _("allowed origins"),
        validators=[validate_origins],
        help_text=_(
            "The sites that may show the chat, one per line, e.g. https://example.com "
            "(scheme, host and port as in the address bar). Elsewhere it does not open."
        ),
    )
    greeting = models.JSONField(
        _("greeting"),
        default=dict,
        blank=True,
        help_text=_(
            'Shown when the window opens, per language: {"ru": "…", "en": "…"}. Empty: the '
            "bot's greeting."
        ),
    )
    title = models.CharField(
        _("window title"), max_length=60, blank=True, help_text=_("Empty: the bot's name.")
    )
    accent_colour = models.CharField(
        _("accent colour"),
        max_length=7,
        default="#2563eb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour such as #2563eb."))],
    )
    visitor_messages_per_minute = models.PositiveIntegerField(
        _("messages per visitor per minute"), default=10
    )
    address_messages_per_minute = models.PositiveIntegerField(
        _("messages per IP address per minute"),
        default=60,
        help_text=_("All visitors behind one address together (an office shares one)."),
    )
    max_message_chars = models.PositiveIntegerField(_("longest message, characters"), default=2000)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("web chat site")
        verbose_name_plural = _("web chat sites")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SendingWindow(models.Model):
    """How many messages one sender (a visitor, an IP address) sent to a site in one minute:
    counted in the database, so every web process shares the limit."""

    site = models.ForeignKey(WebSite, on_delete=models.CASCADE, related_name="+")
    sender = models.CharField(max_length=80)
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "sender", "minute"], name="one_sending_window")
        ]

    def __str__(self) -> str:
        return f"{self.sender} @ {self.minute:%H:%M}: {self.count}"
