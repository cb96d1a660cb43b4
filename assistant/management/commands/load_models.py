"""`manage.py load_models`: the LLM registry from assistant/defaults/models.yaml, a file or URL."""

from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistant.services import llm_registry_load
from core.data_sources import Loader
from core.management.load_command import LoadCommand

LOADER = Loader(
    label=gettext_lazy("LLM providers and models"),
    root_key="providers",
    default_source=Path(__file__).resolve().parents[2] / "defaults" / "models.yaml",
    load=llm_registry_load,
)


class Command(LoadCommand):
    help = _(
        "Create or update LLM providers (by name) and models (by provider and model id) "
        "from a file or URL."
    )
    loader = LOADER
