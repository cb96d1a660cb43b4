"""`manage.py apply_retention`: apply the retention period now (the bot processes also do
it once an hour)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from bot.retention import apply_retention


class Command(BaseCommand):
    help = gettext_lazy(
        "Remove the text of messages older than PERSONAL_DATA_RETENTION_DAYS and delete "
        "handled Telegram updates that are no longer needed."
    )

    def handle(self, *args, **options):
        retained = apply_retention()
        days = settings.PERSONAL_DATA_RETENTION_DAYS
        if days:
            removed = ngettext(
                "Text removed from %(count)d message older than %(days)d days.",
                "Texts removed from %(count)d messages older than %(days)d days.",
                retained.messages_redacted,
            )
            self.stdout.write(removed % {"count": retained.messages_redacted, "days": days})
        else:
            self.stdout.write(_("PERSONAL_DATA_RETENTION_DAYS is 0: message texts are kept."))
        self.stdout.write(
            _("Handled Telegram updates deleted: %(count)d.") % {"count": retained.updates_deleted}
        )
