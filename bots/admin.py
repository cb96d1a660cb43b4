"""Staff admin for the bots: name, token (write-only), languages, staff chat, hours, staff."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from bots.forms import BotForm
from bots.models import Bot, OperatorAccount
from bots.selectors import visible_bot_ids
from core.admin import StaffUserAdmin
from core.admin_names import ModelNames, ModelNamesMixin
from core.admin_site import ParentPermissionsInline


@admin.register(Bot)
class BotAdmin(ModelNamesMixin, admin.ModelAdmin):
    form = BotForm
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "bot"),
        genitive=pgettext_lazy("genitive", "bot"),
        counted=ngettext_lazy("%(count)s bot", "%(count)s bots", "count"),
    )
    list_display = ("name", "username_display", "telegram_id", "token_source", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "username")
    readonly_fields = ("username", "telegram_id", "token_source")
    filter_horizontal = ("staff",)
    fieldsets = [
        (None, {"fields": ["name", "username", "telegram_id", "is_active"]}),
        (_("Token"), {"fields": ["token_source", "token", "token_variable"]}),
        (_("Languages"), {"fields": ["languages"]}),
        (
            _("Staff and business hours"),
            {
                "fields": [
                    "staff_chat_id",
                    "sign_operator_messages",
                    "time_zone",
                    "work_days",
                    "opens_at",
                    "closes_at",
                ]
            },
        ),
        (_("Who works with this bot"), {"fields": ["staff"]}),
    ]

    def get_queryset(self, request):
        """Staff who are not superusers see only the bots they work with."""
        bots, bot_ids = super().get_queryset(request), visible_bot_ids(request.user)
        return bots if bot_ids is None else bots.filter(pk__in=bot_ids)

    @admin.display(description=_("username"), ordering="username")
    def username_display(self, bot: Bot) -> str:
        return f"@{bot.username}" if bot.username else "—"

    @admin.display(description=_("token"))
    def token_source(self, bot: Bot) -> str:
        """Where the token is, never the token itself."""
        if not bot.pk:
            return "—"
        if bot.token_variable:
            return _("variable %(name)s") % {"name": bot.token_variable}
        return _("stored encrypted")


class OperatorAccountInline(ParentPermissionsInline, admin.StackedInline):
    model = OperatorAccount
    can_delete = True
    extra = 0
    max_num = 1


class StaffUserWithTelegramAdmin(StaffUserAdmin):
    """A staff user's page, with the Telegram account they answer from in staff topics."""

    inlines = [*StaffUserAdmin.inlines, OperatorAccountInline]


admin.site.extend(get_user_model(), StaffUserWithTelegramAdmin)
