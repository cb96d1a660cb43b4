from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("System")
    default = True

    def ready(self):
        from core.config_cache import migrated
        from core.logging_setup import init_sentry

        init_sentry(dsn=settings.SENTRY_DSN)
        post_migrate.connect(migrated, sender=self, dispatch_uid="config_cache:migrate")


class ProjectAdminConfig(admin_apps.AdminConfig):
    """`django.contrib.admin` with the project's site as `admin.site`."""

    default = False
    default_site = "core.admin_site.ProjectAdminSite"
