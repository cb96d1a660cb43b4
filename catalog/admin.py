"""Staff admin for the catalog: what the assistant may offer, in which order, at what price."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy, pgettext_lazy

from catalog.models import Service
from core.admin_names import ModelNames, ModelNamesMixin


@admin.register(Service)
class ServiceAdmin(ModelNamesMixin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "service"),
        genitive=pgettext_lazy("genitive", "service"),
        counted=ngettext_lazy("%(count)s service", "%(count)s services", "count"),
    )
    list_display = ("title", "price_display", "currency", "duration", "is_active", "position")
    list_display_links = ("title",)
    list_editable = ("is_active", "position")
    list_filter = ("is_active", "currency")
    search_fields = ("title", "short_description")
    prepopulated_fields = {"slug": ("title",)}
    ordering = ("position", "title")
    actions = ("activate", "deactivate")

    @admin.display(description=_("price"), ordering="price")
    def price_display(self, service):
        return _("on request") if service.price is None else service.price

    @admin.action(description=_("Activate selected services"), permissions=["change"])
    def activate(self, request, queryset):
        self._set_active(request, queryset, active=True)

    @admin.action(description=_("Deactivate selected services"), permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, active=False)

    def _set_active(self, request, queryset, *, active):
        # A flag flip on a handful of rows: one UPDATE, no per-object signals to honour.
        updated = queryset.update(is_active=active, updated_at=timezone.now())
        template = (
            ngettext("%(count)d service activated.", "%(count)d services activated.", updated)
            if active
            else ngettext(
                "%(count)d service deactivated.", "%(count)d services deactivated.", updated
            )
        )
        self.message_user(request, template % {"count": updated}, messages.SUCCESS)
