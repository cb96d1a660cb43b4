"""Staff set up the web chat per site: the bot that answers, who may embed it, how it looks,
the limits; the page shows the snippet to paste into the site."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from bots.admin_scope import BotListFilter, PerBotAdmin
from core.admin_names import ModelNames, ModelNamesMixin
from core.admin_origin import PublicOriginMixin, public_origin
from webchat.models import WebSite


@admin.register(WebSite)
class WebSiteAdmin(ModelNamesMixin, PublicOriginMixin, PerBotAdmin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "web chat site"),
        genitive=pgettext_lazy("genitive", "web chat site"),
        counted=ngettext_lazy("%(count)s web chat site", "%(count)s web chat sites", "count"),
    )
    list_display = ("name", "bot", "is_active", "origins")
    list_filter = ("is_active", ("bot", BotListFilter))
    search_fields = ("name", "allowed_origins")
    readonly_fields = ("embed_snippet",)
    fieldsets = (
        (None, {"fields": ("name", "bot", "is_active", "allowed_origins", "embed_snippet")}),
        (_("Look"), {"fields": ("title", "greeting", "accent_colour")}),
        (
            _("Limits"),
            {
                "fields": (
                    "visitor_messages_per_minute",
                    "address_messages_per_minute",
                    "max_message_chars",
                )
            },
        ),
    )

    @admin.display(description=_("allowed origins"))
    def origins(self, site: WebSite) -> str:
        return ", ".join(site.allowed_origins.split())

    @admin.display(description=_("snippet for the site"))
    def embed_snippet(self, site: WebSite) -> str:
        if not site.pk:
            return _("Shown once the site is saved.")
        snippet = (
            f'<script src="{public_origin()}/webchat/widget.js" data-site="{site.key}" '
            "async></script>"
        )
        return format_html(
            "<code>{}</code><div class='help'>{}</div>",
            snippet,
            _("Paste it before </body> on every page of the site that should offer the chat."),
        )
