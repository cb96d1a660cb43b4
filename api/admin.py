"""API tokens in admin: issued with the secret shown once, revoked, never shown again."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy, pgettext_lazy

from api.models import ApiToken
from api.scopes import Scope
from api.services import token_issue, tokens_revoke
from bots.selectors import visible_bots
from core.admin_names import ModelNames, ModelNamesMixin


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=Scope.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Reading the catalog and prompts needs no scope."),
    )

    class Meta:
        model = ApiToken
        fields = ("name", "scopes", "bots", "rate_per_minute", "expires_at")


@admin.register(ApiToken)
class ApiTokenAdmin(ModelNamesMixin, admin.ModelAdmin):
    form = ApiTokenForm
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "API token"),
        genitive=pgettext_lazy("genitive", "API token"),
        counted=ngettext_lazy("%(count)s API token", "%(count)s API tokens", "count"),
    )
    list_display = (
        "name",
        "prefix",
        "scope_list",
        "rate_per_minute",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    list_select_related = ("created_by",)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    filter_horizontal = ("bots",)
    actions = ("revoke",)

    def get_queryset(self, request):
        """Staff who are not superusers see the tokens they issued."""
        tokens = super().get_queryset(request)
        return tokens if request.user.is_superuser else tokens.filter(created_by=request.user)

    def get_readonly_fields(self, request, obj=None):
        """A token's reach is fixed once issued: a new token is issued instead."""
        fixed = ("scopes", "bots") if obj is not None else ()
        return (*self.readonly_fields, *fixed)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        """Its one many-to-many field, the bots: only those the issuer works with."""
        kwargs["queryset"] = visible_bots(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("scopes"))
    def scope_list(self, token: ApiToken) -> str:
        return ", ".join(token.scopes) or "—"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.created_by = request.user
        secret = token_issue(token=obj)
        self.message_user(
            request,
            format_html(
                "{} <code>{}</code>",
                _("The token's secret, shown this once (only its hash is kept): copy it now."),
                secret,
            ),
            messages.WARNING,
        )

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked = tokens_revoke(token_ids=queryset.values_list("pk", flat=True))
        template = ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked)
        self.message_user(request, template % {"count": revoked}, messages.SUCCESS)
