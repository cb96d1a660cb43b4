"""Staff admin for CRM delivery: integrations (the secret write-only, the field mapping inline),
every delivery with its status and the CRM's answer ("send again" for dead ones), and on the
lead's page its deliveries and its ids in the CRMs."""

from django.contrib import admin, messages
from django.db.models import URLField
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy, pgettext_lazy

from assistant.admin import LeadModelAdmin
from bots.admin_scope import BotListFilter, PerBotAdmin
from conversations.models import Contact
from core.admin_names import ModelNames, ModelNamesMixin
from core.admin_site import ParentPermissionsInline
from integrations.forms import IntegrationForm
from integrations.models import CrmRecord, Delivery, FieldMapping, Integration
from integrations.services import deliveries_resend


class FieldMappingInline(admin.TabularInline):
    model = FieldMapping
    extra = 1


@admin.register(Integration)
class IntegrationAdmin(ModelNamesMixin, PerBotAdmin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "integration"),
        genitive=pgettext_lazy("genitive", "integration"),
        counted=ngettext_lazy("%(count)s integration", "%(count)s integrations", "count"),
    )
    form = IntegrationForm
    formfield_overrides = {URLField: {"assume_scheme": "https"}}
    list_display = ("name", "kind", "bot", "is_active", "secret_state")
    list_filter = ("kind", "is_active")
    readonly_fields = ("secret_state",)
    fields = ("name", "kind", "is_active", "url", "secret_state", "secret", "bot")
    inlines = (FieldMappingInline,)

    @admin.display(description=_("secret"))
    def secret_state(self, integration: Integration) -> str:
        """Whether a secret is stored, never the secret itself."""
        return _("stored encrypted") if integration.has_secret else _("not given")


@admin.register(Delivery)
class DeliveryAdmin(ModelNamesMixin, PerBotAdmin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "delivery"),
        genitive=pgettext_lazy("genitive", "delivery"),
        counted=ngettext_lazy("%(count)s delivery", "%(count)s deliveries", "count"),
    )
    bot_path = "contact__bot"
    list_display = (
        "id",
        "event_kind",
        "contact",
        "integration",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "response_code",
        "response",
    )
    list_filter = ("status", "integration", ("contact__bot", BotListFilter))
    list_select_related = ("event", "contact", "integration")
    raw_id_fields = ("event", "contact")
    # Staff read deliveries and send dead ones again; what was sent is not theirs to edit.
    readonly_fields = [field.name for field in Delivery._meta.fields]
    actions = ("send_again",)

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("event"), ordering="event__kind")
    def event_kind(self, delivery: Delivery) -> str:
        return delivery.event.get_kind_display()

    @admin.action(description=_("Send again"), permissions=["change"])
    def send_again(self, request, queryset):
        resent = deliveries_resend(delivery_ids=list(queryset.values_list("pk", flat=True)))
        text = ngettext(
            "%(count)d delivery will be sent again.",
            "%(count)d deliveries will be sent again.",
            resent,
        ) % {"count": resent}
        self.message_user(request, text, messages.SUCCESS if resent else messages.WARNING)


class LeadDeliveryInline(ParentPermissionsInline, admin.TabularInline):
    model = Delivery
    fields = ("event", "integration", "status", "attempts", "delivered_at", "response")
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0
    verbose_name_plural = _("deliveries to CRMs")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event", "integration")


class CrmRecordInline(ParentPermissionsInline, admin.TabularInline):
    model = CrmRecord
    fields = ("integration", "external_id", "created_at")
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0


class LeadWithCrmAdmin(LeadModelAdmin):
    """Leads, with where their events went and their ids in the CRMs."""

    inlines = (*LeadModelAdmin.inlines, CrmRecordInline, LeadDeliveryInline)


admin.site.extend(Contact, LeadWithCrmAdmin)
