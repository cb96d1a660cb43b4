"""Sync sources with their recent runs and a "Sync now" action; runs with what they changed."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from core.admin_display import short_datetime
from core.admin_names import ModelNames, ModelNamesMixin
from sync.models import SyncRun, SyncSource
from sync.services import sync_source


class RecentRuns(admin.TabularInline):
    model = SyncRun
    fields = ("started_at", "outcome", "summary", "by_staff")
    readonly_fields = fields
    ordering = ("-started_at", "-id")
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-started_at", "-id")


@admin.register(SyncSource)
class SyncSourceAdmin(ModelNamesMixin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "sync source"),
        genitive=pgettext_lazy("genitive", "sync source"),
        counted=ngettext_lazy("%(count)s sync source", "%(count)s sync sources", "count"),
    )
    list_display = ("name", "kind", "location", "every_minutes", "is_active", "state", "next_run")
    list_filter = ("kind", "is_active")
    fields = ("name", "kind", "location", "format", "every_minutes", "prune", "is_active")
    readonly_fields = ("last_error",)
    actions = ("sync_now",)
    inlines = (RecentRuns,)

    @admin.display(description=_("state"))
    def state(self, source):
        if source.last_error:
            return format_html('<span class="failed">{}</span>', _("failing"))
        return _("fine")

    @admin.display(description=_("next sync"), ordering="next_run_at")
    def next_run(self, source):
        return short_datetime(source.next_run_at) if source.next_run_at else _("soon")

    def get_fields(self, request, obj=None):
        return self.fields + (("last_error",) if obj and obj.last_error else ())

    @admin.action(description=_("Sync now"), permissions=["change"])
    def sync_now(self, request, queryset):
        """Synced in this request, each reported: staff see at once what a change did."""
        for source in queryset:
            run = sync_source(source.pk, by_staff=True)
            level = messages.ERROR if run.outcome == SyncRun.Outcome.FAILED else messages.SUCCESS
            detail = run.error or run.summary or run.get_outcome_display()
            self.message_user(request, f"{source}: {detail}", level)


@admin.register(SyncRun)
class SyncRunAdmin(ModelNamesMixin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "sync run"),
        genitive=pgettext_lazy("genitive", "sync run"),
        counted=ngettext_lazy("%(count)s sync run", "%(count)s sync runs", "count"),
    )
    list_display = ("source", "started", "outcome", "summary", "by_staff")
    list_filter = ("outcome", "source")
    list_select_related = ("source",)
    fields = ("source", "started_at", "outcome", "summary", "shown_changes", "error", "by_staff")
    readonly_fields = fields

    @admin.display(description=_("started"), ordering="started_at")
    def started(self, run):
        return short_datetime(run.started_at)

    @admin.display(description=_("changes"))
    def shown_changes(self, run):
        return format_html("<pre>{}</pre>", run.changes) if run.changes else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
