"""Need discovery: staff-defined scenarios, where each lead stands in one, the services the lead
asked about, and the lead card the assistant fills in."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import LLMUsage


class Scenario(models.Model):
    """What to find out from a person, and when this scenario applies.

    Texts that the person or the model reads are kept per language in JSON maps
    (`{"ru": "...", "en": "..."}`), so a new language needs no schema change; the admin
    shows one box per language of `settings.LANGUAGES`.
    """

    class AppliesTo(models.TextChoices):
        DEFAULT = "default", _("By default")
        SOURCE = "source", _("Deep-link source")
        SERVICE = "service", _("Interest in a service")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    applies_to = models.CharField(
        _("applies"), max_length=10, choices=AppliesTo.choices, default=AppliesTo.DEFAULT
    )
    source = models.CharField(
        _("source"), max_length=64, blank=True, help_text=_("Deep-link payload, e.g. ads_vk.")
    )
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scenarios",
        verbose_name=_("service"),
    )
    bot = models.ForeignKey(
        "bots.Bot",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scenarios",
        verbose_name=_("bot"),
        help_text=_("Only for this bot's leads; empty: for every bot's."),
    )
    guidance = models.JSONField(
        _("guidance"),
        default=dict,
        blank=True,
        help_text=_("How the assistant should lead the conversation, per language."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class ScenarioField(models.Model):
    """One thing to learn about the person, asked for in the scenario's order."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        MONEY = "money", _("Money")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice from a list")
        SERVICE = "service", _("Service from the catalog")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")

    scenario = models.ForeignKey(
        Scenario, on_delete=models.CASCADE, related_name="fields", verbose_name=_("scenario")
    )
    key = models.SlugField(
        _("key"), max_length=50, help_text=_("Latin letters, digits and _, e.g. budget.")
    )
    field_type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    labels = models.JSONField(_("label"), default=dict, blank=True)
    hints = models.JSONField(
        _("question hint"),
        default=dict,
        blank=True,
        help_text=_("What the assistant should ask or pay attention to, per language."),
    )
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For a choice from a list: one option per line.")
    )
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("field to learn")
        verbose_name_plural = _("fields to learn")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "key"], name="uniq_scenario_field_key"),
        ]

    def __str__(self):
        return self.label(settings.LANGUAGE_CODE)

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels.get(settings.LANGUAGE_CODE) or self.key

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class LeadDiscovery(models.Model):
    """Where a lead's need discovery stands: the scenario its card follows, and whether the
    person confirmed the summary of that card. One row per lead, made when a scenario first
    applies; a lead without one has neither.
    """

    contact = models.OneToOneField(
        "conversations.Contact",
        on_delete=models.CASCADE,
        related_name="discovery",
        verbose_name=_("lead"),
    )
    scenario = models.ForeignKey(
        Scenario,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scenario"),
    )
    card_confirmed_at = models.DateTimeField(_("lead card confirmed"), null=True, blank=True)

    class Meta:
        verbose_name = _("need discovery")
        verbose_name_plural = _("need discovery")

    def __str__(self):
        return str(self.scenario or "—")


class ServiceInterest(models.Model):
    """A service the lead pressed "I'm interested" on; pressing again keeps the first row."""

    contact = models.ForeignKey(
        "conversations.Contact",
        on_delete=models.CASCADE,
        related_name="service_interests",
        verbose_name=_("lead"),
    )
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.CASCADE,
        related_name="interests",
        verbose_name=_("service"),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("interest in a service")
        verbose_name_plural = _("interests in services")
        constraints = [
            models.UniqueConstraint(fields=["contact", "service"], name="uniq_service_interest"),
        ]

    def __str__(self):
        return str(self.service)


class LeadFieldValue(models.Model):
    """A value on the lead card; a change adds a row, so the card keeps its history."""

    contact = models.ForeignKey(
        "conversations.Contact",
        on_delete=models.CASCADE,
        related_name="field_values",
        verbose_name=_("lead"),
    )
    key = models.SlugField(_("field"), max_length=50)
    value = models.JSONField(_("value"))
    display = models.CharField(_("shown as"), max_length=500)
    source_message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from message"),
    )
    is_current = models.BooleanField(_("current"), default=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("lead card value")
        verbose_name_plural = _("lead card values")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "key"],
                condition=Q(is_current=True),
                name="one_current_value_per_field",
            ),
        ]
        indexes = [
            models.Index(fields=["contact", "key", "-created_at"], name="lead_value_history"),
        ]

    def __str__(self):
        return f"{self.key}: {self.display}"


class ExtractionRun(LLMUsage):
    """One structured-output call that read a message for the lead card, with its cost."""

    class Status(models.TextChoices):
        OK = "ok", _("Completed")
        INVALID = "invalid", _("Unusable answer")
        FAILED = "failed", _("Failed")

    contact = models.ForeignKey(
        "conversations.Contact",
        on_delete=models.CASCADE,
        related_name="extraction_runs",
        verbose_name=_("lead"),
    )
    message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("message"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    error = models.CharField(_("error"), max_length=500, blank=True)
    values_saved = models.PositiveIntegerField(_("values saved"), default=0)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("extraction run")
        verbose_name_plural = _("extraction runs")
        ordering = ["-created_at"]
        # The admin's model filter lists the distinct names from this index, not the table.
        indexes = [models.Index(fields=["model_name"], name="extraction_run_model")]

    def __str__(self):
        return f"{self.model_name} · {self.get_status_display()}"
