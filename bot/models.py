"""The inbox: every Telegram update, stored before Telegram is told it arrived."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundUpdate(models.Model):
    """One update as Telegram sent it, kept until it has been handled.

    Update ids belong to a bot, so a redelivery is recognised by (bot, update id): another bot
    on the same database may send the same ids.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        DONE = "done", _("Handled")
        FAILED = "failed", _("Failed")

    bot_id = models.BigIntegerField(_("bot id"))
    update_id = models.BigIntegerField(_("update id"))
    chat_id = models.BigIntegerField(
        _("chat id"),
        null=True,
        blank=True,
        help_text=_("Updates of one chat are handled one at a time, in order."),
    )
    #: The update as JSON text with every non-ASCII character escaped: PostgreSQL's JSON
    #: columns refuse the NUL characters and lone surrogates a person can send.
    payload = models.TextField(_("update"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)

    class Meta:
        verbose_name = _("incoming update")
        verbose_name_plural = _("incoming updates")
        constraints = [
            models.UniqueConstraint(fields=["bot_id", "update_id"], name="uniq_inbound_bot_update")
        ]
        indexes = [
            models.Index(
                fields=["state", "id"],
                name="inbound_waiting",
                condition=models.Q(state="queued"),
            ),
            # /metrics: what became of the updates of the last minutes, from the index alone.
            models.Index(fields=["received_at", "state"], name="inbound_received"),
        ]

    def __str__(self) -> str:
        return f"{self.bot_id}/{self.update_id}"
