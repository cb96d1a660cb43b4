"""The inbox in the admin: what arrived from Telegram and what became of it (read-only)."""

from django.contrib import admin
from django.utils.translation import ngettext_lazy, pgettext_lazy

from bot.models import InboundUpdate
from core.admin_names import ModelNames, ModelNamesMixin


@admin.register(InboundUpdate)
class InboundUpdateAdmin(ModelNamesMixin, admin.ModelAdmin):
    """Staff find updates that failed (with the reason) or still wait; nothing is edited here."""

    names = ModelNames(
        accusative=pgettext_lazy("accusative", "incoming update"),
        genitive=pgettext_lazy("genitive", "incoming update"),
        counted=ngettext_lazy("%(count)s incoming update", "%(count)s incoming updates", "count"),
    )
    list_display = ("received_at", "update_id", "chat_id", "state", "attempts", "last_error")
    list_filter = ("state", "received_at")
    search_fields = ("=update_id", "=chat_id")
    fields = (
        "bot_id",
        "update_id",
        "chat_id",
        "state",
        "attempts",
        "last_error",
        "received_at",
        "handled_at",
        "payload",
    )
    readonly_fields = fields
    ordering = ("-id",)
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
