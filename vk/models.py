"""VK communities the assistant answers in (community messages), and the events VK sent them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from bots.tokens import decrypt_token, encrypt_token


class VkCommunity(models.Model):
    """A VK community whose messages one of the bots answers (its prompts, services, models,
    staff chat and operators): the same assistant, a second messenger."""

    name = models.CharField(_("name"), max_length=100)
    group_id = models.PositiveBigIntegerField(
        _("community id"), unique=True, help_text=_("The number in the community's address.")
    )
    bot = models.ForeignKey(
        "bots.Bot",
        on_delete=models.PROTECT,
        related_name="vk_communities",
        verbose_name=_("bot"),
        help_text=_("Answers here with its prompts, services and models; its staff are told."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    callback_api = models.BooleanField(
        _("receive by Callback API"),
        default=False,
        help_text=_(
            "VK posts the messages to this server (webhook mode) instead of the bot's processes "
            "asking VK (Bots Long Poll API, the default)."
        ),
    )
    token_encrypted = models.TextField(_("access key (encrypted)"), blank=True, editable=False)
    confirmation_code = models.CharField(
        _("Callback API confirmation code"),
        max_length=40,
        blank=True,
        help_text=_("Only for the Callback API: the string VK asks the server to return."),
    )
    callback_secret = models.CharField(
        _("Callback API secret"),
        max_length=64,
        blank=True,
        help_text=_("Only for the Callback API: the secret key set for the server in VK."),
    )
    poll_ts = models.CharField(_("long poll position"), max_length=40, blank=True, editable=False)
    served_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("VK community")
        verbose_name_plural = _("VK communities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        """A save of staff's fields never moves what the serving process keeps (its long poll
        position, its claim), which changed while the admin page was open."""
        if self.pk and not kwargs.get("update_fields") and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if field.name not in ("id", "poll_ts", "served_until")
            ]
        super().save(*args, **kwargs)

    def set_token(self, token: str) -> None:
        self.token_encrypted = encrypt_token(token)

    def token(self) -> str:
        return decrypt_token(self.token_encrypted)


class VkEvent(models.Model):
    """An event VK sent a community (a message, a button press), stored before VK is told it
    arrived, then handled in order per conversation (`peer_id`)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        DONE = "done", _("Handled")
        FAILED = "failed", _("Failed")

    community = models.ForeignKey(VkCommunity, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(_("VK event id"), max_length=64)
    peer_id = models.BigIntegerField(_("conversation"))
    kind = models.CharField(_("type"), max_length=40)
    payload = models.JSONField(_("event"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("VK event")
        verbose_name_plural = _("VK events")
        constraints = [
            models.UniqueConstraint(fields=["community", "event_id"], name="one_vk_event")
        ]
        indexes = [
            models.Index(
                fields=["community", "id"],
                condition=models.Q(state="queued"),
                name="vk_event_queued",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"
