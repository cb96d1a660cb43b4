"""What `load_prompts`, `load_catalog`, `load_models` and `load_data` have in common."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.data_sources import FORMATS, DataSourceError, Loader, LoadJob, run_loads


class LoadCommand(BaseCommand):
    """Load one kind of data from its shipped file, another file or an http(s) URL.

    Existing records are updated from the source: the source is the truth here, unlike
    `load_data`, which only fills in what is missing.
    """

    loader: Loader

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            help=_("File path or http(s) URL; the shipped defaults when omitted."),
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help=_("Format when the name or Content-Type does not tell it."),
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help=_("Deactivate records the source does not list (never deletes)."),
        )
        add_dry_run_argument(parser)

    def handle(self, *args, **options):
        source = options["source"] or str(self.loader.default_source)
        job = LoadJob(self.loader, source, options["format"])
        self.load([job], update=True, prune=options["prune"], dry_run=options["dry_run"])

    def load(self, jobs: list[LoadJob], *, update: bool, prune: bool, dry_run: bool) -> None:
        try:
            results = run_loads(jobs, update=update, prune=prune, dry_run=dry_run)
        except DataSourceError as error:
            raise CommandError(str(error)) from None
        for label, result in results:
            self.stdout.write(f"{label}: {result}")
        if dry_run:
            self.stdout.write(_("Dry run: nothing was saved."))


def add_dry_run_argument(parser) -> None:
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help=_("Check the source and show the counts without saving anything."),
    )
