from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistantConfig(AppConfig):
    name = "assistant"
    verbose_name = _("LLM assistant")

    def ready(self):
        from assistant.models import BotModels, LLMModel, LLMProvider
        from core.config_cache import watch

        watch(LLMModel, LLMProvider, BotModels)
