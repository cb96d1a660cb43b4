"""CRM delivery: the integrations staff configure, the lead events waiting for them (an outbox
written in the transaction of the change), each event's delivery to each integration, and the
CRM's own id of each lead."""

import re
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bots.tokens import decrypt_token, encrypt_token

#: CRM field names: Bitrix24's (UF_CRM_1700000000, COMMENTS), a webhook's (budget_rub).
FIELD_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,99}$"
#: amoCRM's custom fields are named by their numeric id.
FIELD_ID = r"^[1-9][0-9]{0,18}$"


class Integration(models.Model):
    """Where lead events go: a generic webhook or a CRM, with its secret kept encrypted."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", _("Webhook (JSON, signed)")
        BITRIX24 = "bitrix24", _("Bitrix24 (incoming webhook)")
        AMOCRM = "amocrm", _("amoCRM (API v4, long-lived token)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    url = models.URLField(
        _("URL"),
        max_length=500,
        help_text=_(
            "Webhook: the address events are posted to. Bitrix24: the incoming webhook's "
            "address up to its code, e.g. https://example.bitrix24.ru/rest/1/. amoCRM: the "
            "account's address, e.g. https://example.amocrm.ru"
        ),
    )
    secret_encrypted = models.TextField(_("secret (encrypted)"), blank=True, editable=False)
    bot = models.ForeignKey(
        "bots.Bot",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bot"),
        help_text=_("Only this bot's leads; empty: every bot's."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = encrypt_token(secret) if secret else ""

    def secret(self) -> str:
        """The secret in clear; '' when none was given. Raises `TokenUnavailable` when no key
        of BOT_TOKEN_KEYS decrypts it."""
        return decrypt_token(self.secret_encrypted) if self.secret_encrypted else ""


class FieldMapping(models.Model):
    """A lead-card field sent as one of the CRM's fields."""

    integration = models.ForeignKey(
        Integration,
        on_delete=models.CASCADE,
        related_name="mappings",
        verbose_name=_("integration"),
    )
    card_key = models.SlugField(
        _("lead card field"),
        max_length=50,
        help_text=_("The key of a scenario field, e.g. budget."),
    )
    crm_field = models.CharField(
        _("CRM field"),
        max_length=100,
        help_text=_(
            "Bitrix24: UF_CRM_… or a lead field such as OPPORTUNITY; amoCRM: the custom field's "
            "number; webhook: any name."
        ),
    )

    class Meta:
        verbose_name = _("field mapping")
        verbose_name_plural = _("field mappings")
        ordering = ["card_key"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "card_key"], name="uniq_mapping_key"),
        ]

    def __str__(self):
        return f"{self.card_key} → {self.crm_field}"

    def clean(self):
        if self.integration.kind == Integration.Kind.AMOCRM:
            if not re.match(FIELD_ID, self.crm_field or ""):
                raise ValidationError({"crm_field": _("amoCRM names a field by its number.")})
        elif not re.match(FIELD_NAME, self.crm_field or ""):
            raise ValidationError(
                {"crm_field": _("Latin letters, digits and _, starting with a letter.")}
            )


class LeadEvent(models.Model):
    """Something that happened to a lead, with the lead as it was then (the outbox)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Lead created")
        CONTACT_SHARED = "contact_shared", _("Contact shared")
        CARD_CHANGED = "card_changed", _("Lead card changed")
        QUALIFIED = "qualified", _("Qualified")
        CONFIRMED = "confirmed", _("Card confirmed")
        STATUS_CHANGED = "status_changed", _("Status changed")
        HANDED_OVER = "handed_over", _("Handed to an operator")

    uid = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    contact = models.ForeignKey(
        "conversations.Contact",
        on_delete=models.CASCADE,
        related_name="crm_events",
        verbose_name=_("lead"),
    )
    sequence = models.PositiveIntegerField(_("number within the lead"))
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    data = models.JSONField(_("details"), default=dict, blank=True)
    lead = models.JSONField(_("lead then"))
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("lead event")
        verbose_name_plural = _("lead events")
        constraints = [
            models.UniqueConstraint(fields=["contact", "sequence"], name="uniq_lead_event_number"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.sequence}"


class Delivery(models.Model):
    """One event on its way to one integration."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Failed for good")

    OPEN = (Status.PENDING, Status.RETRYING)

    event = models.ForeignKey(
        LeadEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event")
    )
    integration = models.ForeignKey(
        Integration,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("integration"),
    )
    # The event's lead again: the outbox is read per (integration, lead), along one index.
    contact = models.ForeignKey(
        "conversations.Contact",
        on_delete=models.CASCADE,
        related_name="crm_deliveries",
        verbose_name=_("lead"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"))
    give_up_at = models.DateTimeField(_("retried until"))
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    response_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    response = models.CharField(_("response"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["integration", "contact", "id"],
                condition=Q(status__in=["pending", "retrying"]),
                name="delivery_open",
            ),
            models.Index(fields=["status", "-id"], name="delivery_status"),
        ]

    def __str__(self):
        return f"{self.event} → {self.integration}"


class CrmRecord(models.Model):
    """The CRM's own id of a lead, so later events update that record instead of adding one."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="records", verbose_name=_("integration")
    )
    contact = models.ForeignKey(
        "conversations.Contact",
        on_delete=models.CASCADE,
        related_name="crm_records",
        verbose_name=_("lead"),
    )
    external_id = models.CharField(_("id in the CRM"), max_length=64)
    external_contact_id = models.CharField(
        _("contact's id in the CRM"), max_length=64, blank=True, help_text=_("amoCRM's contact.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("CRM record")
        verbose_name_plural = _("CRM records")
        constraints = [
            models.UniqueConstraint(fields=["integration", "contact"], name="uniq_crm_record"),
        ]

    def __str__(self):
        return f"{self.integration}: {self.external_id}"
