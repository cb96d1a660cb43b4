"""`manage.py prune_logs --days N`: keep the database log sink's table small (run it daily)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.services import log_entries_prune


class Command(BaseCommand):
    help = gettext_lazy("Delete database log entries older than N days (default 30).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=30,
            help=gettext_lazy("Keep entries from the last N days (N >= 1)."),
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help=gettext_lazy("Rows deleted per transaction (default 5000)."),
        )

    def handle(self, *args, days, batch_size, **options):
        if days < 1:
            raise CommandError(_("--days must be 1 or more, got %(days)s.") % {"days": days})
        if batch_size < 1:
            raise CommandError(
                _("--batch-size must be 1 or more, got %(size)s.") % {"size": batch_size}
            )
        cutoff = timezone.now() - timedelta(days=days)
        deleted = log_entries_prune(older_than=cutoff, batch_size=batch_size)
        message = ngettext(
            "Deleted %(count)d log entry created before %(cutoff)s.",
            "Deleted %(count)d log entries created before %(cutoff)s.",
            deleted,
        )
        cutoff_text = f"{timezone.localtime(cutoff):%Y-%m-%d %H:%M}"
        self.stdout.write(message % {"count": deleted, "cutoff": cutoff_text})
