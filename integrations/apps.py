from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("CRM integrations")

    def ready(self):
        from core.config_cache import watch
        from integrations import receivers  # noqa: F401 (lead events from the models' signals)
        from integrations.models import Integration

        watch(Integration)
