"""`manage.py load_data`: the shipped prompts, catalog, scenarios and models, run by `make run`.

It runs on every start, so by default it only creates what is missing: a prompt or price
that staff changed in admin is never overwritten behind their back. `--update` makes the
shipped files win.
"""

from django.utils.translation import gettext as _

from assistant.management.commands.load_models import LOADER as MODELS
from catalog.management.commands.load_catalog import LOADER as SERVICES
from conversations.management.commands.load_prompts import LOADER as PROMPTS
from core.data_sources import LoadJob
from core.management.load_command import LoadCommand, add_dry_run_argument
from discovery.management.commands.load_scenarios import LOADER as SCENARIOS

# Scenarios after the catalog: a scenario may name a service by its slug.
LOADERS = (PROMPTS, SERVICES, SCENARIOS, MODELS)


class Command(LoadCommand):
    help = _(
        "Load the shipped prompts, services, scenarios and LLM models in one transaction. "
        "Creates missing records and keeps existing ones as staff edited them; --update "
        "overwrites them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--update",
            action="store_true",
            help=_("Overwrite existing records with the shipped defaults."),
        )
        add_dry_run_argument(parser)

    def handle(self, *args, **options):
        jobs = [LoadJob(loader, str(loader.default_source)) for loader in LOADERS]
        self.load(jobs, update=options["update"], prune=False, dry_run=options["dry_run"])
