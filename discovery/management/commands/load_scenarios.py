"""`manage.py load_scenarios`: scenarios from discovery/defaults/scenarios.yaml, a file or a URL."""

from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.data_sources import Loader
from core.management.load_command import LoadCommand
from discovery.services import scenarios_load

LOADER = Loader(
    label=gettext_lazy("scenarios and their fields"),
    root_key="scenarios",
    default_source=Path(__file__).resolve().parents[2] / "defaults" / "scenarios.yaml",
    load=scenarios_load,
)


class Command(LoadCommand):
    help = _(
        "Create or update need-discovery scenarios (by slug) and their fields (by key) from a "
        "YAML or JSON file or URL; a service scenario names its service by catalog slug."
    )
    loader = LOADER

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # Fields have no "active" flag, so here --prune does delete them; say so in --help.
        prune = next(action for action in parser._actions if action.dest == "prune")
        prune.help = _(
            "Deactivate scenarios the source does not list, and delete fields it does not "
            "list from the scenarios it does."
        )
