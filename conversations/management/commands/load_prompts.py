"""`manage.py load_prompts`: prompts from conversations/defaults/prompts.yaml, a file or a URL."""

from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from conversations.services import prompts_load
from core.data_sources import Loader
from core.management.load_command import LoadCommand

LOADER = Loader(
    label=gettext_lazy("prompts"),
    root_key="prompts",
    default_source=Path(__file__).resolve().parents[2] / "defaults" / "prompts.yaml",
    load=prompts_load,
)


class Command(LoadCommand):
    help = _("Create or update prompts, keyed by key and language, from a file or URL.")
    loader = LOADER
