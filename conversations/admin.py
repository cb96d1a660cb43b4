"""Staff admin for leads, their conversations and messages, and the assistant's prompts.

Sized for 100,000 leads and 1,000,000 messages: no full-table COUNT on every page, orderings
that follow an index, related rows fetched in the same query, and a CSV export that streams.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy
from import_export.admin import ExportActionMixin
from import_export.formats import base_formats
from import_export.signals import post_export

from bots.admin_scope import BotListFilter, PerBotAdmin, SharedOrOwnAdmin, SharedOrOwnFilter
from bots.selectors import visible_to
from conversations.export import log_leads_exported, stream_contacts_csv
from conversations.models import Contact, Conversation, Message, Prompt, StaffNotice
from conversations.resources import ContactResource
from conversations.selectors import (
    contact_transcript_page,
    conversations_with_message_count,
    personal_data,
    same_person_leads,
)
from core.admin_display import short_datetime, truncated
from core.admin_history import ReadableHistoryAdmin
from core.admin_lists import CappedCountPaginator, FastListMixin, phone_search_digits
from core.admin_names import ModelNames, ModelNamesMixin
from core.models import LLM_USAGE_FIELDS
from core.spreadsheets import HeaderLabelledExportForm

#: The bot filter of lists of leads and what they said: a lead of no bot is the terminal chat's.
LeadBotFilter = BotListFilter.saying(_("none (terminal chat)"))


class HasContactFilter(admin.SimpleListFilter):
    title = _("contact details")
    parameter_name = "has_contact"

    def lookups(self, request, model_admin):
        return (("yes", _("Phone or e-mail")), ("no", _("None")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(~Q(phone="") | ~Q(email=""))
        if self.value() == "no":
            return queryset.filter(phone="", email="")
        return queryset


class LeadBotColumn:
    """The bot column of lists of what a lead said or was told (conversations, messages...)."""

    bot_path = "contact__bot"
    list_select_related = ("contact", "contact__bot")

    @admin.display(description=_("bot"))
    def bot(self, row):
        return row.contact.bot.name if row.contact.bot else None


@admin.register(Contact)
class ContactAdmin(
    PerBotAdmin, ModelNamesMixin, FastListMixin, ExportActionMixin, admin.ModelAdmin
):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "lead"),
        genitive=pgettext_lazy("genitive", "lead"),
        counted=ngettext_lazy("%(count)s lead", "%(count)s leads", "count"),
    )
    resource_classes = [ContactResource]
    export_form_class = HeaderLabelledExportForm
    export_formats = [base_formats.CSV, base_formats.XLSX]
    # Name and username share a cell, and so do phone and e-mail: eight columns do not fit
    # at 1400 px beside the menu and the filters.
    # The bot shares a cell with the source for the same reason.
    list_display = ("name", "contacts", "status", "bot_and_source", "created", "last_message")
    list_display_links = ("name",)
    list_editable = ("status",)
    list_select_related = ("bot",)
    list_filter = (
        "status",
        ("bot", LeadBotFilter),
        ("created_at", admin.DateFieldListFilter),
        HasContactFilter,
        "source",
    )
    search_fields = ("first_name", "last_name", "username", "phone", "email")
    search_help_text = _("Name, username, phone (any format) or e-mail.")
    ordering = ("-created_at",)
    # Rendering the editable status of each row is most of a page's time: 50 rows keep it quick.
    list_per_page = 50
    change_form_template = "admin/conversations/contact/change_form.html"
    transcript_template = "admin/conversations/contact/transcript.html"
    readonly_fields = (
        "transcript_link",
        "bot",
        "channel",
        "external_id",
        "consent_policy_version",
        "erased_at",
        "created_at",
        "updated_at",
        "last_message_at",
    )

    @admin.display(description=_("name"), ordering="first_name")
    def name(self, contact):
        if not contact.username or contact.display_name == f"@{contact.username}":
            return contact.display_name
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            contact.display_name,
            truncated(f"@{contact.username}"),
        )

    @admin.display(description=_("contacts"))
    def contacts(self, contact):
        lines = [truncated(value) for value in (contact.phone, contact.email) if value]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) or None

    @admin.display(description=_("bot, source"), ordering="source")
    def bot_and_source(self, contact):
        lines = [truncated(contact.bot.name) if contact.bot else None, truncated(contact.source)]
        if all(lines):
            return format_html('{}<br><span class="quiet">{}</span>', *lines)
        return lines[0] or lines[1]

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, contact):
        return short_datetime(contact.created_at)

    @admin.display(description=_("last message"), ordering="last_message_at")
    def last_message(self, contact):
        return short_datetime(contact.last_message_at)

    @admin.display(description=_("conversation"))
    def transcript_link(self, contact):
        url = reverse("admin:conversations_contact_transcript", args=[contact.pk])
        return format_html('<a href="{}">{}</a>', url, _("Conversation transcript"))

    def get_search_results(self, request, queryset, search_term):
        """A term that looks like a phone searches phones only, by their digits.

        No name, username or e-mail looks like "+7 (999) 123-45-67", and matching each of its
        words against every column is a scan of the whole table. The digits are found anywhere
        in the stored E.164 number ("123-45-67" finds +79991234567); on PostgreSQL a trigram
        index serves that (migration 0009), on SQLite the phone index is scanned.
        """
        digits = phone_search_digits(search_term)
        if digits:
            return queryset.filter(phone__contains=digits), False
        return super().get_search_results(request, queryset, search_term)

    def about_lead(self, contact) -> dict:
        """Context for what an app above adds about the lead to its page and its transcript.

        This app knows nothing more of a lead than the lead's own row: nothing here.
        """
        return {}

    def personal_data(self, contact) -> dict:
        """Everything kept about the lead's person (an access request): this app's part; the
        apps above add theirs."""
        return personal_data(contact_id=contact.pk)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            if self.has_export_permission(request):
                context["personal_data_url"] = reverse(
                    "admin:conversations_contact_personal_data", args=[obj.pk]
                )
            context.update(self.about_lead(obj))
            context["same_person"] = same_person_leads(
                contact=obj, visible=visible_to(request.user)
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        transcript = path(
            "<path:object_id>/transcript/",
            self.admin_site.admin_view(self.transcript_view),
            name="conversations_contact_transcript",
        )
        personal_data_file = path(
            "<path:object_id>/personal-data/",
            self.admin_site.admin_view(self.personal_data_view),
            name="conversations_contact_personal_data",
        )
        return [transcript, personal_data_file, *super().get_urls()]

    def personal_data_view(self, request, object_id):
        """The person's data as a JSON file, for staff who may export leads; the download is
        logged like an export."""
        contact = self.get_object(request, unquote(object_id))
        if contact is None:
            raise Http404(_("No lead with this id."))
        if not (self.has_view_permission(request, contact) and self.has_export_permission(request)):
            raise PermissionDenied
        log_leads_exported(count=1, file_format="json", user_id=request.user.pk)
        response = JsonResponse(
            self.personal_data(contact), json_dumps_params={"ensure_ascii": False, "indent": 2}
        )
        response["Content-Disposition"] = f'attachment; filename="lead-{contact.pk}.json"'
        return response

    def transcript_view(self, request, object_id):
        contact = self.get_object(request, unquote(object_id))
        if contact is None:
            raise Http404(_("No lead with this id."))
        if not self.has_view_permission(request, contact):
            raise PermissionDenied
        transcript = contact_transcript_page(
            contact_id=contact.pk,
            page_number=request.GET.get("p"),
            page_size=settings.ADMIN_TRANSCRIPT_PAGE_SIZE,
        )
        page = transcript.page
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Conversation transcript: %(lead)s") % {"lead": contact.display_name},
            "contact": contact,
            "entries": transcript.entries,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            **self.about_lead(contact),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.transcript_template, context)

    # --- Export ---------------------------------------------------------------------------

    def has_export_permission(self, request):
        return request.user.has_perm("conversations.export_contact")

    def get_valid_export_item_pks(self, request):
        # Only the posted selection is checked, not every primary key of the table.
        posted = request.POST.getlist("export_items")
        return self.get_queryset(request).filter(pk__in=posted).values_list("pk", flat=True)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        if not self.has_export_permission(request):
            raise PermissionDenied
        if not isinstance(file_format, base_formats.CSV):
            response = super()._do_file_export(file_format, request, queryset, export_form)
            log_leads_exported(
                count=queryset.count(),
                file_format=file_format.get_extension(),
                user_id=request.user.pk,
            )
            return response
        return self._stream_csv(request, queryset, export_form)

    def _stream_csv(self, request, queryset, export_form):
        """The CSV leaves in chunks straight from the database cursor."""
        file_format = base_formats.CSV()
        user_id = request.user.pk
        content = stream_contacts_csv(
            queryset,
            resource=self.choose_export_resource_class(export_form, request)(),
            selected_fields=self.get_export_resource_fields_from_form(export_form),
            on_complete=lambda count: log_leads_exported(
                count=count, file_format="csv", user_id=user_id
            ),
        )
        response = StreamingHttpResponse(content, content_type=file_format.get_content_type())
        filename = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        post_export.send(sender=None, model=self.model)
        return response


@admin.register(Conversation)
class ConversationAdmin(
    LeadBotColumn, PerBotAdmin, ModelNamesMixin, FastListMixin, admin.ModelAdmin
):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "conversation"),
        genitive=pgettext_lazy("genitive", "conversation"),
        counted=ngettext_lazy("%(count)s conversation", "%(count)s conversations", "count"),
    )
    list_display = ("__str__", "contact", "bot", "started_at", "last_message_at", "message_count")
    list_filter = (("contact__bot", LeadBotFilter),)
    raw_id_fields = ("contact",)
    ordering = ("-pk",)
    readonly_fields = ("started_at",)

    def get_queryset(self, request):
        return conversations_with_message_count(super().get_queryset(request))

    @admin.display(description=_("messages"), ordering="message_count")
    def message_count(self, conversation):
        return conversation.message_count

    def has_add_permission(self, request):
        return False


@admin.register(Message)
class MessageAdmin(LeadBotColumn, PerBotAdmin, ModelNamesMixin, FastListMixin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "message"),
        genitive=pgettext_lazy("genitive", "message"),
        counted=ngettext_lazy("%(count)s message", "%(count)s messages", "count"),
    )
    paginator = CappedCountPaginator
    list_display = (
        "created_at",
        "contact",
        "bot",
        "role",
        "short_text",
        "content_type",
        "model_name",
        "tokens",
        "status",
        "delivery",
    )
    list_filter = ("role", "status", "delivery", "content_type", ("contact__bot", LeadBotFilter))
    search_fields = ("text",)
    raw_id_fields = ("conversation", "contact", "reply_to")
    # The cost of a reply (`LLMUsage`) is read after what was said, not at the top.
    fields = (
        "conversation",
        "contact",
        "role",
        "text",
        "content_type",
        "telegram_update_id",
        "telegram_message_id",
        "reply_to",
        *LLM_USAGE_FIELDS,
        "status",
        "error",
        "delivery",
        "delivery_parts",
        "delivery_error",
    )
    # The primary key follows time and has an index; created_at alone has none.
    ordering = ("-pk",)

    @admin.display(description=_("text"))
    def short_text(self, message):
        return Truncator(message.text).chars(80)

    @admin.display(description=_("tokens (in + out; ≈ estimated)"))
    def tokens(self, message):
        return message.tokens_display or None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StaffNotice)
class StaffNoticeAdmin(LeadBotColumn, PerBotAdmin, ModelNamesMixin, admin.ModelAdmin):
    """What the staff chat was told about each lead: kept so the same news is not repeated."""

    names = ModelNames(
        accusative=pgettext_lazy("accusative", "staff notice"),
        genitive=pgettext_lazy("genitive", "staff notice"),
        counted=ngettext_lazy("%(count)s staff notice", "%(count)s staff notices", "count"),
    )
    list_display = ("created_at", "contact", "bot", "reason", "subject", "telegram_message_id")
    list_filter = ("reason", ("contact__bot", LeadBotFilter))
    raw_id_fields = ("contact",)
    ordering = ("-pk",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Prompt)
class PromptAdmin(SharedOrOwnAdmin, ModelNamesMixin, ReadableHistoryAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "prompt"),
        genitive=pgettext_lazy("genitive", "prompt"),
        counted=ngettext_lazy("%(count)s prompt", "%(count)s prompts", "count"),
    )
    list_display = ("key", "language", "for_bot", "is_active", "updated_by", "changed", "preview")
    list_filter = ("key", "language", ("bot", SharedOrOwnFilter), "is_active")
    list_select_related = ("updated_by", "bot")
    search_fields = ("text",)
    readonly_fields = ("updated_by", "updated_at")
    history_list_display = ("is_active",)

    @admin.display(description=_("text"))
    def preview(self, prompt):
        return truncated(prompt.text)

    @admin.display(description=_("changed"), ordering="updated_at")
    def changed(self, prompt):
        return short_datetime(prompt.updated_at)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_other_bots(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """django-simple-history saves a posted revert form for anyone who may only view it."""
        self._refuse_other_bots(request, object_id)
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _refuse_other_bots(self, request, object_id) -> None:
        """django-simple-history finds a prompt and its versions without `get_queryset`, so
        another bot's prompt would show (and revert) for staff who do not work with it."""
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(_("No prompt with this id."))


# The operator desk (the handoffs' admin) lives in a module of its own.
from conversations import admin_handoffs  # noqa: E402, F401
