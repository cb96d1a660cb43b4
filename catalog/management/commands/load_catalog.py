"""`manage.py load_catalog`: services from catalog/defaults/services.yaml, a file or a URL."""

from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.services import services_load
from core.data_sources import Loader
from core.management.load_command import LoadCommand

LOADER = Loader(
    label=gettext_lazy("services"),
    root_key="services",
    default_source=Path(__file__).resolve().parents[2] / "defaults" / "services.yaml",
    load=services_load,
)


class Command(LoadCommand):
    help = _("Create or update catalog services, keyed by slug, from a file or URL.")
    loader = LOADER
