"""The database log sink's entries, and the staff accounts with their names in Russian."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from core.admin_names import ModelNames, ModelNamesMixin
from core.env import LOG_LEVELS
from core.models import LogEntry


class LogLevelFilter(admin.SimpleListFilter):
    """Fixed choices: listing the levels present would scan the whole log table."""

    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [(name, name) for name in LOG_LEVELS]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(level=self.value())
        return queryset


@admin.register(LogEntry)
class LogEntryAdmin(ModelNamesMixin, admin.ModelAdmin):
    """What the database log sink recorded: read-only; old entries go by `prune_logs`."""

    names = ModelNames(
        accusative=pgettext_lazy("accusative", "log entry"),
        genitive=pgettext_lazy("genitive", "log entry"),
        counted=ngettext_lazy("%(count)s log entry", "%(count)s log entries", "count"),
    )
    list_display = ("created_at", "level", "logger_name", "message_preview")
    list_filter = (LogLevelFilter, "logger_name", "created_at")
    search_fields = ("message",)
    fields = ("created_at", "level", "logger_name", "message", "traceback")
    ordering = ("-created_at",)
    list_per_page = 100
    # Counting a large table on every page load is the slow part of the changelist.
    show_full_result_count = False

    @admin.display(description=_("message"))
    def message_preview(self, obj):
        return Truncator(obj.message).chars(120)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Staff accounts: Django's own admins, with the same model names in Russian ----------------

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class StaffUserAdmin(ModelNamesMixin, UserAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "user"),
        genitive=pgettext_lazy("genitive", "user"),
        counted=ngettext_lazy("%(count)s user", "%(count)s users", "count"),
    )


@admin.register(Group)
class StaffGroupAdmin(ModelNamesMixin, GroupAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "group"),
        genitive=pgettext_lazy("genitive", "group"),
        counted=ngettext_lazy("%(count)s group", "%(count)s groups", "count"),
    )
