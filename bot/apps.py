from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotConfig(AppConfig):
    name = "bot"
    verbose_name = _("Telegram bot")

    def ready(self):
        from bot import retention

        hide_job_queue_admin()
        retention.connect()


def hide_job_queue_admin() -> None:
    """Staff follow updates in the inbox's admin; procrastinate's jobs are plumbing (and
    have no tables on SQLite), so its own admin page is not offered."""
    from django.contrib import admin
    from procrastinate.contrib.django.models import ProcrastinateJob

    admin.site.unregister(ProcrastinateJob)
