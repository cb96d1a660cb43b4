from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("System")

    def ready(self):
        from core.logging_setup import init_sentry

        init_sentry(dsn=settings.SENTRY_DSN)
