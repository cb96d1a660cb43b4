"""The tokens of the public API: issued in admin, kept hashed, each with scopes and a rate."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Every secret starts with this, so a leaked one is recognised (by people and scanners).
SECRET_PREFIX = "ca_"  # noqa: S105 (a prefix, not a secret)
#: How much of a secret is kept in clear: enough to tell tokens apart, too little to guess.
SHOWN_PREFIX_LENGTH = 10


class ApiToken(models.Model):
    """A bearer token. Only the SHA-256 of its secret is stored: the secret is shown once,
    when the token is issued, and never again."""

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Who or what uses it, e.g. “CRM sync”.")
    )
    prefix = models.CharField(_("begins with"), max_length=SHOWN_PREFIX_LENGTH, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    bots = models.ManyToManyField(
        "bots.Bot",
        blank=True,
        related_name="+",
        verbose_name=_("bots"),
        help_text=_(
            "Only these bots' leads and prompts; none chosen: the bots its issuer works with."
        ),
    )
    rate_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_("More requests within a minute are refused with 429 until the next one."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
        help_text=_("Messages sent with the token are this staff user's."),
    )
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    #: The minute being counted and the requests in it (a fixed window in the row itself, so
    #: every web process counts the same requests).
    window_start = models.DateTimeField(null=True, editable=False)
    window_requests = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
