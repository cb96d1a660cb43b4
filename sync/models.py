"""Where prompts, the catalog, the model registry and scenarios are kept outside the admin,
and what each sync from there did."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.data_sources import FORMATS


class SyncSource(models.Model):
    """A file or an http(s) URL that one kind of configuration is read from, every so often."""

    class Kind(models.TextChoices):
        PROMPTS = "prompts", _("Prompts")
        CATALOG = "catalog", _("Services catalog")
        MODELS = "models", _("LLM models")
        SCENARIOS = "scenarios", _("Need-discovery scenarios")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("what it holds"), max_length=10, choices=Kind.choices)
    location = models.CharField(
        _("file or URL"),
        max_length=500,
        help_text=_("A file path on the bot's server, or an http(s) URL."),
    )
    format = models.CharField(
        _("format"),
        max_length=4,
        choices=[("", _("from the name or the server"))] + [(f, f.upper()) for f in FORMATS],
        blank=True,
    )
    every_minutes = models.PositiveIntegerField(_("every, minutes"), default=60)
    prune = models.BooleanField(
        _("switch off what it no longer lists"),
        default=False,
        help_text=_("Records the source stops listing are deactivated (never deleted)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    etag = models.CharField(max_length=200, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    next_run_at = models.DateTimeField(_("next sync"), null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("sync source")
        verbose_name_plural = _("sync sources")
        ordering = ["name"]

    def __str__(self):
        return self.name


class SyncRun(models.Model):
    """One sync of a source: what it found and what it changed, readable for staff."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        UNCHANGED = "unchanged", _("Nothing changed")
        FAILED = "failed", _("Failed: the last good version kept")

    source = models.ForeignKey(
        SyncSource, on_delete=models.CASCADE, related_name="runs", verbose_name=_("source")
    )
    started_at = models.DateTimeField(_("started"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    changes = models.TextField(_("changes"), blank=True)
    error = models.TextField(_("error"), blank=True)
    by_staff = models.BooleanField(_("started by staff"), default=False)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "-started_at"], name="sync_run_source_time")]

    def __str__(self):
        return f"{self.source}: {self.get_outcome_display()}"
