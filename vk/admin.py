"""Staff connect VK communities: the bot that answers there, the community's access key
(write-only, kept encrypted), and for the Callback API its code, secret and address."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from bots.admin_scope import BotListFilter, PerBotAdmin
from bots.tokens import can_encrypt
from core.admin_names import ModelNames, ModelNamesMixin
from core.admin_origin import PublicOriginMixin, public_origin
from vk.models import VkCommunity, VkEvent


class VkCommunityForm(forms.ModelForm):
    """Takes a new access key (kept encrypted with BOT_TOKEN_KEYS); empty keeps the current."""

    token = forms.CharField(
        label=_("access key"),
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "The community's access key with the right to its messages (Manage → API usage). "
            "Stored encrypted and never shown again; leave empty to keep the current one."
        ),
    )

    class Meta:
        model = VkCommunity
        fields = [
            "name",
            "group_id",
            "bot",
            "is_active",
            "callback_api",
            "confirmation_code",
            "callback_secret",
        ]

    def clean(self):
        cleaned = super().clean()
        token = cleaned.get("token", "")
        if token and not can_encrypt():
            raise forms.ValidationError(
                _("BOT_TOKEN_KEYS is not set, so a key cannot be stored encrypted.")
            )
        if not token and not self.instance.token_encrypted:
            self.add_error("token", _("Give the community's access key."))
        if cleaned.get("callback_api") and not (
            cleaned.get("confirmation_code") and cleaned.get("callback_secret")
        ):
            raise forms.ValidationError(
                _("The Callback API needs the confirmation code and the secret key from VK.")
            )
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("token"):
            self.instance.set_token(self.cleaned_data["token"])
        return super().save(commit)


@admin.register(VkCommunity)
class VkCommunityAdmin(ModelNamesMixin, PublicOriginMixin, PerBotAdmin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "VK community"),
        genitive=pgettext_lazy("genitive", "VK community"),
        counted=ngettext_lazy("%(count)s VK community", "%(count)s VK communities", "count"),
    )
    form = VkCommunityForm
    list_display = ("name", "group_id", "bot", "is_active", "callback_api", "key_state")
    list_filter = ("is_active", ("bot", BotListFilter))
    readonly_fields = ("key_state", "callback_address")
    fields = (
        "name",
        "group_id",
        "bot",
        "is_active",
        "key_state",
        "token",
        "callback_api",
        "confirmation_code",
        "callback_secret",
        "callback_address",
    )

    @admin.display(description=_("access key"))
    def key_state(self, community: VkCommunity) -> str:
        """Whether a key is stored, never the key itself."""
        return _("stored encrypted") if community.token_encrypted else _("not given")

    @admin.display(description=_("Callback API address"))
    def callback_address(self, community: VkCommunity) -> str:
        if not community.pk:
            return _("Shown once the community is saved.")
        path = reverse("vk:callback", args=[community.pk])
        return format_html("<code>{}{}</code>", public_origin(), path)


@admin.register(VkEvent)
class VkEventAdmin(ModelNamesMixin, PerBotAdmin, admin.ModelAdmin):
    """What VK sent, for following a message that was not answered; staff do not edit it."""

    names = ModelNames(
        accusative=pgettext_lazy("accusative", "VK event"),
        genitive=pgettext_lazy("genitive", "VK event"),
        counted=ngettext_lazy("%(count)s VK event", "%(count)s VK events", "count"),
    )

    bot_path = "community__bot"
    list_display = ("event_id", "community", "kind", "peer_id", "state", "received_at")
    list_filter = ("state", "kind", "community")
    readonly_fields = [field.name for field in VkEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
