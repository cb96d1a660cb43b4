from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotsConfig(AppConfig):
    name = "bots"
    verbose_name = _("Bots")

    def ready(self):
        from bots.models import Bot
        from core.config_cache import watch

        watch(Bot)
