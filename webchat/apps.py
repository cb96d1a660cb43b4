from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebchatConfig(AppConfig):
    name = "webchat"
    verbose_name = _("Web chat")

    def ready(self):
        from core.config_cache import watch
        from webchat.models import WebSite

        watch(WebSite)
