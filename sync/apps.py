from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = _("Automatic sync")

    def ready(self):
        from bot.signals import serving_started
        from sync.runner import start_syncing

        serving_started.connect(start_syncing, dispatch_uid="sync.start_syncing")
