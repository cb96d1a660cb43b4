from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("System")
    default = True

    def ready(self):
        from core.logging_setup import init_sentry

        init_sentry(dsn=settings.SENTRY_DSN)


class ProjectAdminConfig(admin_apps.AdminConfig):
    """`django.contrib.admin` with the project's site as `admin.site`."""

    default = False
    default_site = "core.admin_site.ProjectAdminSite"
