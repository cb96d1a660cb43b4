"""`manage.py prune_crm_events`: delete delivered lead events older than CRM_KEEP_DAYS (daily)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy, ngettext

from integrations.services import lead_events_prune


class Command(BaseCommand):
    help = gettext_lazy("Delete lead events older than CRM_KEEP_DAYS that every CRM has received.")

    def handle(self, *args, **options):
        deleted = lead_events_prune()
        message = ngettext(
            "Deleted %(count)d lead event older than %(days)d days.",
            "Deleted %(count)d lead events older than %(days)d days.",
            deleted,
        ) % {"count": deleted, "days": settings.CRM_KEEP_DAYS}
        self.stdout.write(message)
