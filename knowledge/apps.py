from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self):
        from assistant.grounding import use_finder
        from bot.signals import serving_started
        from knowledge import receivers
        from knowledge.finding import find
        from knowledge.runner import start_indexing

        receivers.connect()
        use_finder(find)
        serving_started.connect(start_indexing, dispatch_uid="knowledge.start_indexing")
