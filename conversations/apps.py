from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Leads and conversations")

    def ready(self):
        from conversations.models import Prompt
        from core.config_cache import watch

        watch(Prompt)
