"""What every app may log to: the database log sink's table."""

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
