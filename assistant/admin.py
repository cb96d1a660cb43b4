"""Staff admin for the LLM registry: providers (where to call) and models (what to call); the
model a lead chose, on the lead's page (`LeadModelAdmin` extends need discovery's); and a bot's
own models, on the bot's page (`BotWithModelsAdmin` extends the bots' admin)."""

import os

from django import forms
from django.contrib import admin, messages
from django.db.models import Q, URLField
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from assistant.api_keys import is_api_key_variable
from assistant.gateway import ping_model
from assistant.models import (
    BotModels,
    Capability,
    LLMModel,
    LLMProvider,
    ModelChoice,
    VoiceChoice,
    with_capability,
)
from assistant.services import llm_model_mark_default
from bots.admin import BotAdmin
from bots.models import Bot
from conversations.models import Contact
from core.admin_display import short_number
from core.admin_names import ModelNames, ModelNamesMixin
from core.admin_site import ParentPermissionsInline
from discovery.admin import LeadAdmin


@admin.register(LLMProvider)
class LLMProviderAdmin(ModelNamesMixin, admin.ModelAdmin):
    """Where models are called. Keys live in the environment; the page only says if one is set.

    Which variables may hold a key is decided in `assistant.api_keys`.
    """

    names = ModelNames(
        accusative=pgettext_lazy("accusative", "LLM provider"),
        genitive=pgettext_lazy("genitive", "LLM provider"),
        counted=ngettext_lazy("%(count)s LLM provider", "%(count)s LLM providers", "count"),
    )
    list_display = ("name", "base_url", "api_key_env", "api_key_status", "timeout_seconds")
    search_fields = ("name", "base_url")
    readonly_fields = ("api_key_status",)
    # A key travels to this URL: typed without a scheme, it means https (Django 6's default).
    formfield_overrides = {URLField: {"assume_scheme": "https"}}

    @admin.display(description=_("API key"))
    def api_key_status(self, provider):
        if provider.api_key_env and not is_api_key_variable(provider.api_key_env):
            return _("not allowed")
        if provider.api_key_env and os.environ.get(provider.api_key_env):
            return _("set")
        return _("missing")

    # The key goes wherever the base URL points: only superusers decide both.
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class LLMModelForm(forms.ModelForm):
    """Capabilities as boxes to tick rather than JSON to type."""

    capabilities = forms.MultipleChoiceField(
        label=_("capabilities"),
        choices=Capability.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=LLMModel._meta.get_field("capabilities").help_text,
    )

    class Meta:
        model = LLMModel
        fields = (
            "provider",
            "model_id",
            "display_name",
            "capabilities",
            "is_active",
            "supports_tools",
            "temperature",
            "max_output_tokens",
            "context_window",
            "input_price_per_million",
            "output_price_per_million",
            "position",
        )


class CapabilityFilter(admin.SimpleListFilter):
    title = _("capability")
    parameter_name = "capability"

    def lookups(self, request, model_admin):
        return Capability.choices

    def queryset(self, request, queryset):
        if self.value() in Capability.values:
            return queryset.filter(with_capability(self.value()))
        return queryset


@admin.register(LLMModel)
class LLMModelAdmin(ModelNamesMixin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "LLM model"),
        genitive=pgettext_lazy("genitive", "LLM model"),
        counted=ngettext_lazy("%(count)s LLM model", "%(count)s LLM models", "count"),
    )
    # Short headers: the fields' own names ("input price per 1M tokens") overflow at 1400 px.
    list_display = (
        "title",
        "provider",
        "model_id",
        "used_for",
        "is_active",
        "is_default",
        "tools",
        "context",
        "input_price",
        "output_price",
    )
    list_filter = ("provider", CapabilityFilter, "is_active", "is_default", "supports_tools")
    list_select_related = ("provider",)
    search_fields = ("display_name", "model_id")
    readonly_fields = ("is_default",)
    actions = ("mark_default", "test_connection")
    form = LLMModelForm

    @admin.display(description=_("title"), ordering="display_name")
    def title(self, model):
        return model.display_name

    @admin.display(description=_("for"))
    def used_for(self, model):
        labels = dict(Capability.choices)
        return ", ".join(str(labels.get(name, name)) for name in model.capabilities)

    @admin.display(description=_("tools"), boolean=True, ordering="supports_tools")
    def tools(self, model):
        return model.supports_tools

    @admin.display(description=_("context"), ordering="context_window")
    def context(self, model):
        return model.context_window

    @admin.display(description=_("input, per 1M"), ordering="input_price_per_million")
    def input_price(self, model):
        return short_number(model.input_price_per_million)

    @admin.display(description=_("output, per 1M"), ordering="output_price_per_million")
    def output_price(self, model):
        return short_number(model.output_price_per_million)

    @admin.action(description=_("Mark as default"), permissions=["change"])
    def mark_default(self, request, queryset):
        models = list(queryset[:2])
        if len(models) != 1:
            self.message_user(
                request, _("Select exactly one model to make the default."), messages.ERROR
            )
            return
        llm_model_mark_default(model=models[0])
        self.message_user(
            request,
            _("%(model)s is now the default model.") % {"model": models[0]},
            messages.SUCCESS,
        )

    @admin.action(description=_("Test connection (a one-token call)"), permissions=["change"])
    def test_connection(self, request, queryset):
        for model in queryset.select_related("provider"):
            result = ping_model(model)
            if result.ok:
                text = _("%(model)s answered in %(latency)d ms.")
                level = messages.SUCCESS
            else:
                text = _("%(model)s failed after %(latency)d ms: %(error)s")
                level = messages.ERROR
            params = {"model": model, "latency": result.latency_ms, "error": result.error}
            self.message_user(request, text % params, level)


class ModelChoiceInline(ParentPermissionsInline, admin.StackedInline):
    model = ModelChoice
    raw_id_fields = ("model",)


class VoiceChoiceInline(ParentPermissionsInline, admin.StackedInline):
    model = VoiceChoice


class LeadModelAdmin(LeadAdmin):
    """Leads, with the model each chose to answer them and whether they want voice answers."""

    inlines = (*LeadAdmin.inlines, ModelChoiceInline, VoiceChoiceInline)


admin.site.extend(Contact, LeadModelAdmin)


class BotModelsForm(forms.ModelForm):
    """Offers the active models that can do each job, and the model already chosen even if it
    has been switched off since (the bot uses it again once it is back on)."""

    MODEL_FIELDS = {
        "default_model": Capability.CHAT,
        "fallback_model": Capability.CHAT,
        "transcription_model": Capability.TRANSCRIPTION,
        "speech_model": Capability.SPEECH,
    }

    class Meta:
        model = BotModels
        fields = (
            "default_model",
            "fallback_model",
            "transcription_model",
            "speech_model",
            "speech_voice",
            "speaks_answers",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, capability in self.MODEL_FIELDS.items():
            chosen = getattr(self.instance, f"{name}_id")
            self.fields[name].queryset = LLMModel.objects.filter(
                with_capability(capability), Q(is_active=True) | Q(pk=chosen)
            )


class BotModelsInline(ParentPermissionsInline, admin.StackedInline):
    model = BotModels
    form = BotModelsForm
    can_delete = False


class BotWithModelsAdmin(BotAdmin):
    """Bots, with the models that answer their leads."""

    inlines = (*BotAdmin.inlines, BotModelsInline)


admin.site.extend(Bot, BotWithModelsAdmin)
