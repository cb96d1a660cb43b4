"""Staff set up the web chat per site: the bot that answers, who may embed it, how it looks,
the limits; the page shows the snippet to paste into the site."""

from contextvars import ContextVar

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bots.admin_scope import BotListFilter, PerBotAdmin
from webchat.models import WebSite

#: This server's origin as the staff user reached it, for the snippet (per request).
_public_origin: ContextVar[str] = ContextVar("public_origin", default="")


@admin.register(WebSite)
class WebSiteAdmin(PerBotAdmin, admin.ModelAdmin):
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
            f'<script src="{_public_origin.get()}/webchat/widget.js" data-site="{site.key}" '
            "async></script>"
        )
        return format_html(
            "<code>{}</code><div class='help'>{}</div>",
            snippet,
            _("Paste it before </body> on every page of the site that should offer the chat."),
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        _public_origin.set(f"{request.scheme}://{request.get_host()}")
        return super().changeform_view(request, object_id, form_url, extra_context)
