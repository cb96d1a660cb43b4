from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscoveryConfig(AppConfig):
    name = "discovery"
    verbose_name = _("Need discovery")

    def ready(self):
        from core.config_cache import watch
        from discovery import receivers
        from discovery.models import Scenario, ScenarioField

        watch(Scenario, ScenarioField)
        receivers.connect()
