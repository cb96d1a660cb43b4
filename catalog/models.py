"""The services a business offers; the only source of prices the assistant may quote."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.languages import TextsMaxLength, localized

TITLE_MAX_LENGTH = 200
SHORT_DESCRIPTION_MAX_LENGTH = 300
DURATION_MAX_LENGTH = 100


def _texts(verbose_name, max_length: int | None = None) -> models.JSONField:
    return models.JSONField(
        verbose_name,
        default=dict,
        blank=True,
        validators=[TextsMaxLength(max_length)] if max_length else [],
    )


class Service(models.Model):
    """A service with the texts a person reads kept per language (`{"ru": ..., "en": ...}`).

    As for discovery scenarios, a new language needs no schema change. A text left empty in
    a language is read in the site language, so that one must have at least the title.
    """

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    titles = _texts(_("title"), TITLE_MAX_LENGTH)
    short_descriptions = _texts(_("short description"), SHORT_DESCRIPTION_MAX_LENGTH)
    descriptions = _texts(_("full description"))
    price = models.DecimalField(
        _("price"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Leave empty for 'price on request'."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    durations = _texts(_("duration"), DURATION_MAX_LENGTH)
    is_active = models.BooleanField(_("active"), default=True)
    bots = models.ManyToManyField(
        "bots.Bot",
        blank=True,
        related_name="services",
        verbose_name=_("offered by bots"),
        help_text=_("The bots that offer this service; none chosen: every bot."),
    )
    position = models.PositiveIntegerField(_("position"), default=0, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["position", "id"]

    def __str__(self):
        return self.title_in(settings.LANGUAGE_CODE) or self.slug

    def title_in(self, language: str | None) -> str:
        return localized(self.titles, language)
