"""`manage.py rebuild_analytics [--since DATE]`: recount the analytics rollup from the data.

Needed after writes that bypass the models (bulk loads, SQL), after `TIME_ZONE` changes, or
when in doubt; the rollup is otherwise kept current as leads and messages change.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.rollup import rollup_rebuild


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("--since must be a date like 2025-03-01, got %(text)s.") % {"text": text}
        ) from None


class Command(BaseCommand):
    help = gettext_lazy(
        "Recount the analytics page's daily totals from leads, conversations and messages."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            help=gettext_lazy(
                "Recount only days from this one on (YYYY-MM-DD, in TIME_ZONE); default: all."
            ),
        )

    def handle(self, *args, since, **options):
        rebuilt = rollup_rebuild(since=None if since is None else _day(since))
        self.stdout.write(
            _(
                "Recounted. Leads: %(leads)d, conversations: %(conversations)d, "
                "daily rows: %(rows)d."
            )
            % {
                "leads": rebuilt.leads,
                "conversations": rebuilt.conversations,
                "rows": rebuilt.daily_rows,
            }
        )
