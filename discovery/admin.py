"""Staff admin for need discovery: scenarios edited without code, lead card values and their
cost, and what the lead's own page shows of discovery.

Lead card values and extraction runs grow like messages do, so their lists follow the same
rules as the message list: no full COUNT, related rows in the same query, read-only.
The leads' admin (`conversations`) knows nothing of discovery: `LeadAdmin` extends it with the
lead card, the scenario and confirmation, the interests and their export columns, and takes
its place on the site.
"""

from django.contrib import admin
from django.db.models import Count
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from bots.admin_scope import PerBotAdmin, SharedOrOwnAdmin, SharedOrOwnFilter
from conversations.admin import ContactAdmin, LeadBotFilter
from conversations.models import Contact
from core.admin_lists import FastListMixin, phone_search_digits
from core.admin_names import ModelNames, ModelNamesMixin
from core.admin_site import ParentPermissionsInline
from core.language_forms import language_field_names
from core.models import LLM_USAGE_FIELDS
from discovery.forms import ScenarioChangelistFormSet, ScenarioFieldForm, ScenarioForm
from discovery.models import (
    ExtractionRun,
    LeadDiscovery,
    LeadFieldValue,
    Scenario,
    ScenarioField,
    ServiceInterest,
)
from discovery.resources import LeadResource
from discovery.selectors import lead_card_panel, lead_personal_data


class ScenarioFieldInline(admin.StackedInline):
    model = ScenarioField
    form = ScenarioFieldForm
    extra = 0
    fields = (
        ("key", "field_type", "required", "position"),
        tuple(language_field_names("label")),
        tuple(language_field_names("hint")),
        "choices",
    )


@admin.register(Scenario)
class ScenarioAdmin(SharedOrOwnAdmin, ModelNamesMixin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "scenario"),
        genitive=pgettext_lazy("genitive", "scenario"),
        counted=ngettext_lazy("%(count)s scenario", "%(count)s scenarios", "count"),
    )
    form = ScenarioForm
    inlines = (ScenarioFieldInline,)
    list_display = ("name", "for_bot", "applies", "is_active", "field_count", "position")
    list_display_links = ("name",)
    list_editable = ("is_active",)
    list_filter = ("applies_to", ("bot", SharedOrOwnFilter), "is_active")
    list_select_related = ("service", "bot")
    search_fields = ("name", "slug", "source")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "is_active", "position")}),
        (
            _("When it applies"),
            {
                "fields": ("bot", "applies_to", "source", "service"),
                "description": _(
                    "A scenario for a service wins over one for a deep-link source, and "
                    "either wins over the default one; a bot's own scenario wins over a "
                    "shared one that applies the same way."
                ),
            },
        ),
        (_("Guidance for the assistant"), {"fields": tuple(language_field_names("guidance"))}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(field_count=Count("fields"))

    def get_changelist_formset(self, request, **kwargs):
        return super().get_changelist_formset(request, formset=ScenarioChangelistFormSet, **kwargs)

    @admin.display(description=_("applies"), ordering="applies_to")
    def applies(self, scenario):
        detail = {
            Scenario.AppliesTo.SOURCE: scenario.source,
            Scenario.AppliesTo.SERVICE: scenario.service,
        }.get(scenario.applies_to)
        label = scenario.get_applies_to_display()
        return f"{label}: {detail}" if detail else label

    @admin.display(description=_("fields"), ordering="field_count")
    def field_count(self, scenario):
        return scenario.field_count


class ReadOnlyAdmin(PerBotAdmin, FastListMixin, admin.ModelAdmin):
    """Written only by the assistant about a lead; staff read them (of the leads they see)."""

    bot_path = "contact__bot"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FieldKeyFilter(admin.SimpleListFilter):
    """Keys come from the scenarios (a small table), not from a DISTINCT over every value."""

    title = _("field")
    parameter_name = "key"

    def lookups(self, request, model_admin):
        keys = ScenarioField.objects.order_by("key").values_list("key", flat=True).distinct()
        return [(key, key) for key in keys]

    def queryset(self, request, queryset):
        return queryset.filter(key=self.value()) if self.value() else queryset


class ModelNameFilter(admin.SimpleListFilter):
    """The models that made runs, read from the runs' `model_name` index (the registry belongs
    to the assistant, which this app does not know); a model since retired stays listed."""

    title = _("model")
    parameter_name = "model"

    def lookups(self, request, model_admin):
        runs = ExtractionRun.objects.exclude(model_name="").order_by("model_name")
        names = runs.values_list("model_name", flat=True).distinct()
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        return queryset.filter(model_name=self.value()) if self.value() else queryset


@admin.register(LeadFieldValue)
class LeadFieldValueAdmin(ModelNamesMixin, ReadOnlyAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "lead card value"),
        genitive=pgettext_lazy("genitive", "lead card value"),
        counted=ngettext_lazy("%(count)s lead card value", "%(count)s lead card values", "count"),
    )
    list_display = ("contact", "key", "display", "is_current", "created_at")
    list_filter = (FieldKeyFilter, "is_current", ("contact__bot", LeadBotFilter))
    list_select_related = ("contact",)
    raw_id_fields = ("contact", "source_message")
    search_fields = ("contact__first_name", "contact__last_name", "contact__username")
    search_help_text = _("Lead's name, username or phone (any format).")
    ordering = ("-pk",)

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = phone_search_digits(search_term)
        if digits:
            results = results | queryset.filter(contact__phone__contains=digits)
        return results, may_have_duplicates


@admin.register(ExtractionRun)
class ExtractionRunAdmin(ModelNamesMixin, ReadOnlyAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "extraction run"),
        genitive=pgettext_lazy("genitive", "extraction run"),
        counted=ngettext_lazy("%(count)s extraction run", "%(count)s extraction runs", "count"),
    )
    list_display = (
        "created_at",
        "contact",
        "model_name",
        "prompt_tokens",
        "completion_tokens",
        "tokens_estimated",
        "latency_ms",
        "status",
        "short_error",
    )
    list_filter = ("status", ModelNameFilter, ("contact__bot", LeadBotFilter))
    list_select_related = ("contact",)
    raw_id_fields = ("contact", "message")
    fields = ("contact", "message", *LLM_USAGE_FIELDS, "status", "error", "values_saved")
    ordering = ("-created_at",)

    @admin.display(description=_("error"))
    def short_error(self, run):
        return Truncator(run.error).chars(80)


class LeadDiscoveryInline(ParentPermissionsInline, admin.StackedInline):
    model = LeadDiscovery
    fields = ("scenario", "card_confirmed_at")
    can_delete = False


class ServiceInterestInline(ParentPermissionsInline, admin.TabularInline):
    model = ServiceInterest
    fields = ("service", "created_at")
    readonly_fields = ("created_at",)
    ordering = ("service__position", "service_id")
    extra = 0


class LeadAdmin(ContactAdmin):
    """Leads with what need discovery knows of them."""

    resource_classes = [LeadResource]
    inlines = (LeadDiscoveryInline, ServiceInterestInline)
    change_form_template = "admin/discovery/lead/change_form.html"
    transcript_template = "admin/discovery/lead/transcript.html"

    def about_lead(self, contact) -> dict:
        return {**super().about_lead(contact), "lead_card": lead_card_panel(contact=contact)}

    def personal_data(self, contact) -> dict:
        return {**super().personal_data(contact), **lead_personal_data(contact_id=contact.pk)}


admin.site.extend(Contact, LeadAdmin)
