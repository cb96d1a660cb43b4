"""The project's admin site: its header and title, and an index other apps add pages to.

`core.apps.ProjectAdminConfig` installs it in place of `django.contrib.admin`'s default site,
so every `@admin.register` and `admin.site` mean this one. An app with a page of its own
adds a link from its AppConfig.ready (`admin.site.add_index_link(...)`); the site names no app.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class IndexLink:
    """A page shown above the models on the admin index to staff holding `permission`."""

    section: str
    title: str
    url_name: str
    permission: str


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

    def index_links_for(self, user) -> list[IndexLink]:
        return [link for link in self._index_links.values() if user.has_perm(link.permission)]

    def index(self, request, extra_context=None):
        context = {"index_links": self.index_links_for(request.user), **(extra_context or {})}
        return super().index(request, context)
