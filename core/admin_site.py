"""The project's admin site: its header and title, and an index other apps add pages to.

`core.apps.ProjectAdminConfig` installs it in place of `django.contrib.admin`'s default site,
so every `@admin.register` and `admin.site` mean this one. An app with a page of its own
adds a link from its AppConfig.ready (`admin.site.add_index_link(...)`); an app that shows
more of another app's model subclasses that model's admin and `extend`s it. The site names no
app.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class IndexLink:
    """A page shown above the models on the admin index to staff holding `permission`."""

    section: str
    title: str
    url_name: str
    permission: str


class ParentPermissionsInline(admin.options.InlineModelAdmin):
    """An inline of rows an app above keeps about the parent object, edited as part of it.

    Staff who may view or change the parent may view or change these rows, as they could the
    parent's own fields: no permissions on a model they never see on its own.
    """

    def _may(self, request, action: str) -> bool:
        opts = self.parent_model._meta
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")

    def has_view_permission(self, request, obj=None):
        return self._may(request, "view") or self._may(request, "change")

    def has_add_permission(self, request, obj):
        return self._may(request, "change")

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change")

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "change")


class ProjectAdminSite(admin.AdminSite):
    site_header = _("Consultation assistant")
    site_title = _("Consultation assistant")
    index_title = _("Administration")
    index_template = "admin/core/index.html"

    def __init__(self, name="admin"):
        super().__init__(name)
        self._index_links: dict[str, IndexLink] = {}

    def add_index_link(self, *, section, title, url_name: str, permission: str) -> None:
        """List a page on the index; adding the same `url_name` again replaces it."""
        self._index_links[url_name] = IndexLink(section, title, url_name, permission)

    def extend(self, model, admin_class) -> None:
        """Register `admin_class` for `model` in place of the admin it subclasses.

        An app adds to the admin of a model of an app below it this way, from its admin
        module, which imports the admin it subclasses (so that one is registered first). An
        `admin_class` that does not subclass the admin registered now would drop what that
        one adds: it is refused at start.
        """
        current = type(self.get_model_admin(model))
        if not issubclass(admin_class, current):
            raise ImproperlyConfigured(
                f"{admin_class.__qualname__} does not extend {current.__qualname__}, "
                f"the admin registered for {model._meta.label}."
            )
        self.unregister(model)
        self.register(model, admin_class)

    def index_links_for(self, user) -> list[IndexLink]:
        return [link for link in self._index_links.values() if user.has_perm(link.permission)]

    def index(self, request, extra_context=None):
        context = {"index_links": self.index_links_for(request.user), **(extra_context or {})}
        return super().index(request, context)
