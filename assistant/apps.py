from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class AssistantConfig(AppConfig):
    name = "assistant"
    verbose_name = _("LLM assistant")

    def ready(self):
        from assistant.logging_setup import init_sentry

        init_sentry(dsn=settings.SENTRY_DSN)
