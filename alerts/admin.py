"""Alert rules (thresholds staff tune) and the incidents they raised."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from alerts.models import AlertRule, Incident
from core.admin_display import short_datetime
from core.admin_names import ModelNames, ModelNamesMixin


@admin.register(AlertRule)
class AlertRuleAdmin(ModelNamesMixin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "alert rule"),
        genitive=pgettext_lazy("genitive", "alert rule"),
        counted=ngettext_lazy("%(count)s alert rule", "%(count)s alert rules", "count"),
    )
    list_display = ("kind", "is_active", "threshold", "window_minutes", "notify_email")
    list_editable = ("is_active", "threshold", "window_minutes", "notify_email")
    fields = ("kind", "is_active", "threshold", "window_minutes", "notify_email")
    readonly_fields = ("kind",)

    def has_add_permission(self, request):
        """One rule per condition, made by the migration: a condition has no other code."""
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ModelNamesMixin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "incident"),
        genitive=pgettext_lazy("genitive", "incident"),
        counted=ngettext_lazy("%(count)s incident", "%(count)s incidents", "count"),
    )
    list_display = ("rule", "detail", "opened", "recovered", "notified")
    list_filter = ("rule", ("closed_at", admin.EmptyFieldListFilter))
    list_select_related = ("rule",)
    date_hierarchy = "opened_at"

    @admin.display(description=_("opened"), ordering="opened_at")
    def opened(self, incident):
        return short_datetime(incident.opened_at)

    @admin.display(description=_("recovered"), ordering="closed_at")
    def recovered(self, incident):
        return short_datetime(incident.closed_at) if incident.closed_at else _("still on")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
