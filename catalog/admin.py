"""Staff admin for the catalog: what the assistant may offer, in which order, at what price."""

from django.conf import settings
from django.contrib import admin, messages
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy, pgettext_lazy

from bots.admin_scope import BotListFilter
from catalog.forms import TEXT_PREFIXES, ServiceForm
from catalog.models import Service
from core.admin_names import ModelNames, ModelNamesMixin
from core.config_cache import config_changed


def _language_fieldsets():
    """A section per language with its texts; only the site language's title is required."""
    return [
        (
            name,
            {
                "fields": [f"{prefix}_{code}" for prefix in TEXT_PREFIXES],
                "description": (
                    None
                    if code == settings.LANGUAGE_CODE
                    else _("An empty box shows the text in the site language instead.")
                ),
            },
        )
        for code, name in settings.LANGUAGES
    ]


@admin.register(Service)
class ServiceAdmin(ModelNamesMixin, admin.ModelAdmin):
    form = ServiceForm
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "service"),
        genitive=pgettext_lazy("genitive", "service"),
        counted=ngettext_lazy("%(count)s service", "%(count)s services", "count"),
    )
    list_display = ("title", "price_display", "currency", "duration", "is_active", "position")
    list_display_links = ("title",)
    list_editable = ("is_active", "position")
    list_filter = ("is_active", "currency", ("bots", BotListFilter.saying(_("every bot"))))
    filter_horizontal = ("bots",)
    # Texts are searched in every language the site offers, whatever language staff read.
    search_fields = [
        f"{field}__{code}"
        for field in ("titles", "short_descriptions")
        for code, _name in settings.LANGUAGES
    ]
    ordering = ("position", "id")
    actions = ("activate", "deactivate")

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["slug", ("price", "currency"), "is_active", "position", "bots"]}),
            *_language_fieldsets(),
        ]

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": (f"title_{settings.LANGUAGE_CODE}",)}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(site_title=KeyTextTransform(settings.LANGUAGE_CODE, "titles"))
        )

    @admin.display(description=_("title"), ordering="site_title")
    def title(self, service):
        return str(service)

    @admin.display(description=_("duration"))
    def duration(self, service):
        return service.durations.get(settings.LANGUAGE_CODE, "")

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
        # A flag flip on a handful of rows: one UPDATE, so the cached catalog is told here.
        updated = queryset.update(is_active=active, updated_at=timezone.now())
        config_changed()
        template = (
            ngettext("%(count)d service activated.", "%(count)d services activated.", updated)
            if active
            else ngettext(
                "%(count)d service deactivated.", "%(count)d services deactivated.", updated
            )
        )
        self.message_user(request, template % {"count": updated}, messages.SUCCESS)
