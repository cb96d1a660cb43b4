"""The inbox in the admin: what arrived from Telegram and what became of it (read-only); and
the bots' admin, which asks Telegram about a token before keeping it."""

import logging

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from assistant.admin import BotWithModelsAdmin
from bot.application import telegram_api_root
from bot.models import InboundUpdate
from bots.forms import BotForm
from bots.models import Bot as BotSettings
from bots.selectors import visible_bot_ids, visible_bots
from core.admin_names import ModelNames, ModelNamesMixin

logger = logging.getLogger(__name__)


class InboxBotFilter(admin.SimpleListFilter):
    """The inbox names its bot by Telegram id; staff pick it by name."""

    title = _("bot")
    parameter_name = "bot"

    def lookups(self, request, model_admin):
        return [(bot.telegram_id, str(bot)) for bot in visible_bots(request.user)]

    def queryset(self, request, queryset):
        return queryset.filter(bot_id=self.value()) if self.value() else queryset


@admin.register(InboundUpdate)
class InboundUpdateAdmin(ModelNamesMixin, admin.ModelAdmin):
    """Staff find updates that failed (with the reason) or still wait; nothing is edited here."""

    names = ModelNames(
        accusative=pgettext_lazy("accusative", "incoming update"),
        genitive=pgettext_lazy("genitive", "incoming update"),
        counted=ngettext_lazy("%(count)s incoming update", "%(count)s incoming updates", "count"),
    )
    list_display = (
        "received_at",
        "bot",
        "update_id",
        "chat_id",
        "state",
        "attempts",
        "last_error",
    )
    list_filter = ("state", InboxBotFilter, "received_at")
    search_fields = ("=update_id", "=chat_id")
    fields = (
        "bot",
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

    def get_queryset(self, request):
        """Each update with its bot's name (looked up by Telegram id, per row shown); staff
        who are not superusers see the updates of their bots only."""
        bots = BotSettings.objects.filter(telegram_id=OuterRef("bot_id"))
        updates = super().get_queryset(request)
        bot_ids = visible_bot_ids(request.user)
        if bot_ids is not None:
            theirs = BotSettings.objects.filter(pk__in=bot_ids).values("telegram_id")
            updates = updates.filter(bot_id__in=theirs)
        return updates.annotate(bot_name=Subquery(bots.values("name")[:1]))

    @admin.display(description=_("bot"))
    def bot(self, update):
        return update.bot_name

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TelegramCheckedBotForm(BotForm):
    """The bot's form, asking Telegram who a new token belongs to before it is saved."""

    def token_checked(self, token: str, field: str) -> str:
        """Telegram's username for the token; a token Telegram refuses is not saved. When
        Telegram cannot be reached the bot is saved anyway (the bot process reads the
        username at start) and staff are told."""
        username, refusal = async_to_sync(_asked_telegram)(token)
        if refusal is TOKEN_UNKNOWN:
            self.add_error(field, _("Telegram does not know this token (revoked or mistyped)."))
        elif refusal is not None:
            logger.warning("Could not check a bot's token with Telegram: %s", refusal)
            self.unchecked = True
        return username


#: What `_asked_telegram` says when Telegram does not know the token.
TOKEN_UNKNOWN = "unknown token"  # noqa: S105 (a refusal, not a secret)


async def _asked_telegram(token: str) -> tuple[str, str | None]:
    """(the bot's username, None), or ("", why Telegram gave none)."""
    root = telegram_api_root(settings.TELEGRAM_API_BASE_URL)
    try:
        async with Bot(token, base_url=f"{root}/bot") as bot:
            return bot.username, None
    except InvalidToken:
        return "", TOKEN_UNKNOWN
    except TelegramError as error:
        return "", str(error)


class TelegramBotAdmin(BotWithModelsAdmin):
    """Bots whose token Telegram confirmed when it was given (with their models, which the
    assistant's admin adds)."""

    form = TelegramCheckedBotForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if getattr(form, "unchecked", False):
            self.message_user(
                request,
                _(
                    "Telegram could not be reached to check the token; the bot will read its "
                    "username when it starts."
                ),
                messages.WARNING,
            )


admin.site.extend(BotSettings, TelegramBotAdmin)
