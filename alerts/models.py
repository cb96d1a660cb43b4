"""Alert rules staff tune in admin, and the incidents they raised."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AlertRule(models.Model):
    """A condition to watch; an incident is raised while it holds, told once, and told again
    when it clears."""

    class Kind(models.TextChoices):
        LLM_ERROR_RATE = "llm_error_rate", _("LLM error rate")
        MODEL_FAILING = "model_failing", _("A model failing every call")
        QUEUE_LAG = "queue_lag", _("Updates waiting too long")
        TELEGRAM_429 = "telegram_429", _("Telegram asks to slow down")
        NO_UPDATES = "no_updates", _("No updates during business hours")
        UNDELIVERED = "undelivered", _("Replies not delivered")
        SYNC_FAILED = "sync_failed", _("A sync source failing")
        CRM_DEAD = "crm_dead", _("CRM deliveries failed for good")

    kind = models.CharField(_("condition"), max_length=20, choices=Kind.choices, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    threshold = models.FloatField(
        _("threshold"),
        help_text=_(
            "LLM error rate: percent of failed calls; a model failing: failed calls with none "
            "answered; updates waiting: seconds; Telegram: 429 answers; no updates: minutes; "
            "replies not delivered: count; a sync source failing: not used; CRM deliveries: count."
        ),
    )
    window_minutes = models.PositiveIntegerField(
        _("window, minutes"),
        default=5,
        help_text=_("The period counted (not used for waiting updates and for no updates)."),
    )
    notify_email = models.BooleanField(
        _("also by e-mail"), default=True, help_text=_("To the addresses in ALERT_EMAILS.")
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["kind"]

    def __str__(self):
        return self.get_kind_display()


class Incident(models.Model):
    """A rule's condition held from `opened_at` until `closed_at`; `subject` tells apart what it
    is about (a model, a bot) when a rule watches several things."""

    rule = models.ForeignKey(
        AlertRule, on_delete=models.CASCADE, related_name="incidents", verbose_name=_("rule")
    )
    subject = models.CharField(_("about"), max_length=100, blank=True)
    detail = models.CharField(_("what was seen"), max_length=500)
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("recovered"), null=True, blank=True)
    notified = models.CharField(
        _("told"),
        max_length=500,
        blank=True,
        help_text=_("Where the alert went (staff chats, e-mail) and what failed."),
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened_at"]
        constraints = [
            # One open incident per rule and subject: the process that opens it tells staff.
            models.UniqueConstraint(
                fields=["rule", "subject"],
                condition=Q(closed_at__isnull=True),
                name="one_open_incident",
            ),
        ]

    def __str__(self):
        return f"{self.rule}: {self.detail}"
