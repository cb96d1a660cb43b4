from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VkConfig(AppConfig):
    name = "vk"
    verbose_name = _("VK")

    def ready(self):
        from bot.signals import serving_started
        from conversations.signals import contact_erased
        from core.config_cache import watch
        from vk.models import VkCommunity
        from vk.receivers import forget_events
        from vk.serving import start_serving_communities

        watch(VkCommunity)
        serving_started.connect(start_serving_communities, dispatch_uid="vk.start_serving")
        contact_erased.connect(forget_events, dispatch_uid="vk.forget_events")
