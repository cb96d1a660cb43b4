from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self):
        from alerts.monitor import start_checking
        from bot.signals import serving_started

        serving_started.connect(start_checking, dispatch_uid="alerts.start_checking")
