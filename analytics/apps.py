from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from django.contrib import admin

        from analytics import receivers  # noqa: F401 (connects the rollup to the models' signals)
        from analytics.views import PERMISSION

        admin.site.add_index_link(
            section=_("Analytics"),
            title=_("Funnel, latency and LLM cost"),
            url_name="analytics:page",
            permission=PERMISSION,
        )
