"""What every app may use: the database log sink's table, and the fields of an LLM call's cost."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LogEntry(models.Model):
    """A log record kept by the database sink, for staff to read in admin."""

    created_at = models.DateTimeField(_("time"), db_index=True)
    level = models.CharField(_("level"), max_length=10, db_index=True)
    logger_name = models.CharField(_("logger"), max_length=200, db_index=True)
    message = models.TextField(_("message"))
    traceback = models.TextField(_("traceback"), blank=True)

    class Meta:
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.level} {self.logger_name}"


class LLMUsage(models.Model):
    """What one LLM call cost and which model made it: a reply and an extraction run alike.

    Abstract, so each app keeps its own table; the analytics read the same columns in both.
    """

    model_name = models.CharField(_("model"), max_length=200, blank=True)
    prompt_tokens = models.PositiveIntegerField(_("prompt tokens"), null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(_("completion tokens"), null=True, blank=True)
    tokens_estimated = models.BooleanField(
        _("tokens estimated"),
        default=False,
        help_text=_("The provider sent no token counts; they were estimated from the text."),
    )
    latency_ms = models.PositiveIntegerField(_("latency, ms"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def tokens_display(self) -> str:
        """Prompt + completion tokens for staff, "≈" first when they are an estimate."""
        if self.prompt_tokens is None and self.completion_tokens is None:
            return ""
        counts = f"{self.prompt_tokens or 0} + {self.completion_tokens or 0}"
        return f"≈ {counts}" if self.tokens_estimated else counts


#: The fields of `LLMUsage`, for an admin that places them among its model's own fields.
LLM_USAGE_FIELDS = tuple(field.name for field in LLMUsage._meta.fields)


class ConfigVersion(models.Model):
    """One row whose token changes whenever staff change what the assistant is configured
    with (prompts, catalog, models, scenarios): processes cache those reads under it."""

    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("configuration version")
        verbose_name_plural = _("configuration versions")

    def __str__(self):
        return self.token
