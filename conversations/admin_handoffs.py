"""The operator desk in admin: who waits for an operator, and a page per lead to answer them.

*Waiting for an operator* lists the open handoffs, the longest wait first; each lead's desk
shows the recent transcript (operators' messages and notes marked), *Take over* / *Release*,
a reply box and a note box. Both pages follow changes live: `conversations/live.js` fetches
the changing part every few seconds. A few lines of plain `fetch` rather than htmx: the
pages need only that one behaviour, there is no third-party file to vendor and keep up to
date, and every button is an ordinary form post that works without script.

The web process does not talk to Telegram: a reply is stored with delivery pending and, with
the rest of what operators do here, left in the outbox for the bot processes
(`conversations.services.operator_desk`, `bot.operator_desk`).

Staff need the *Can answer leads as an operator in admin* permission, and see the leads of
the bots they work with, as in the other admins (`bots.admin_scope`).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy, pgettext_lazy

from bots.admin_scope import PerBotAdmin
from bots.selectors import visible_to
from conversations import services
from conversations.admin import LeadBotColumn, LeadBotFilter
from conversations.models import Contact, Handoff
from conversations.selectors import recent_messages
from core.admin_display import short_datetime
from core.admin_names import ModelNames, ModelNamesMixin

PERMISSION = "conversations.operate_handoff"
#: Messages shown on a lead's desk (the transcript has the rest).
DESK_MESSAGES = 30
#: How often the pages fetch what changed, in milliseconds.
LIVE_EVERY_MS = 3000


class OpenOrStateFilter(admin.SimpleListFilter):
    """By state; without a choice, the open handoffs (waiting or with an operator)."""

    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return Handoff.State.choices

    def queryset(self, request, queryset):
        if self.value() in Handoff.State.values:
            return queryset.filter(state=self.value())
        return queryset.filter(state__in=Handoff.OPEN)

    def choices(self, changelist):
        choices = list(super().choices(changelist))
        choices[0]["display"] = _("Open")
        return choices


class DeskTextForm(forms.Form):
    text = forms.CharField(
        max_length=services.DESK_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4, "cols": 80})
    )


@admin.register(Handoff)
class HandoffAdmin(LeadBotColumn, PerBotAdmin, ModelNamesMixin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "handoff to an operator"),
        genitive=pgettext_lazy("genitive", "handoff to an operator"),
        counted=ngettext_lazy("%(count)s handoff", "%(count)s handoffs", "count"),
    )
    change_list_template = "admin/conversations/handoff/change_list.html"
    desk_template = "admin/conversations/handoff/desk.html"
    live_template = "admin/conversations/handoff/desk_live.html"
    list_display = ("lead", "bot", "state", "reason", "waiting", "taken_by", "asked")
    list_display_links = None
    list_filter = (OpenOrStateFilter, "reason", ("contact__bot", LeadBotFilter))
    list_select_related = ("contact", "contact__bot", "taken_by")
    # The longest wait first: the open ones along the partial index `handoff_open`.
    ordering = (F("waiting_since").asc(nulls_last=True), "-requested_at")
    actions = None

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(PERMISSION)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        context = {"title": _("Waiting for an operator"), "live_every": LIVE_EVERY_MS}
        return super().changelist_view(request, {**context, **(extra_context or {})})

    @admin.display(description=gettext_lazy("lead"), ordering="contact__first_name")
    def lead(self, handoff):
        url = reverse("admin:conversations_handoff_desk", args=[handoff.contact_id])
        return format_html('<a href="{}">{}</a>', url, handoff.contact.display_name)

    @admin.display(description=gettext_lazy("waiting for a reply"), ordering="waiting_since")
    def waiting(self, handoff):
        return timesince(handoff.waiting_since) if handoff.waiting_since else None

    @admin.display(description=gettext_lazy("asked"), ordering="requested_at")
    def asked(self, handoff):
        return short_datetime(handoff.requested_at)

    # --- A lead's desk ------------------------------------------------------------------------

    def get_urls(self):
        desk = self.admin_site.admin_view(self.desk_view)
        live = self.admin_site.admin_view(self.live_view)
        return [
            path("lead/<int:contact_id>/", desk, name="conversations_handoff_desk"),
            path("lead/<int:contact_id>/live/", live, name="conversations_handoff_live"),
            *super().get_urls(),
        ]

    def _lead(self, request, contact_id: int) -> Contact:
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        contact = (
            Contact.objects.filter(visible_to(request.user), pk=contact_id)
            .select_related("bot")
            .first()
        )
        if contact is None:
            raise Http404(_("No lead with this id."))
        return contact

    def live_view(self, request, contact_id: int):
        """The desk's changing part, fetched every few seconds."""
        contact = self._lead(request, contact_id)
        return TemplateResponse(request, self.live_template, self._live(request, contact))

    def _live(self, request, contact: Contact) -> dict:
        handoff = (
            Handoff.objects.filter(contact=contact, state__in=Handoff.OPEN)
            .select_related("taken_by")
            .first()
        )
        return {
            "contact": contact,
            "handoff": handoff,
            "taken_by_me": handoff is not None and handoff.taken_by_id == request.user.pk,
            "recent": recent_messages(contact_id=contact.pk, limit=DESK_MESSAGES),
        }

    def desk_view(self, request, contact_id: int):
        contact = self._lead(request, contact_id)
        boxes = {"reply": DeskTextForm(prefix="reply"), "note": DeskTextForm(prefix="note")}
        if request.method == "POST":
            action = request.POST.get("do", "")
            if action in ("take", "release"):
                self._switch(request, contact, action)
                return HttpResponseRedirect(request.path)
            if action not in boxes:
                return HttpResponseBadRequest()
            boxes[action] = DeskTextForm(request.POST, prefix=action)
            if self._write(request, contact, action, boxes[action]):
                return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Operator desk: %(lead)s") % {"lead": contact.display_name},
            "reply_form": boxes["reply"],
            "note_form": boxes["note"],
            "unreachable": unreachable_because(contact),
            "live_url": reverse("admin:conversations_handoff_live", args=[contact.pk]),
            "live_every": LIVE_EVERY_MS,
            **self._live(request, contact),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.desk_template, context)

    def _switch(self, request, contact: Contact, action: str) -> None:
        name = services.desk_author_name(request.user)
        if action == "take":
            services.desk_take(contact_id=contact.pk, user_id=request.user.pk, author_name=name)
            messages.success(request, _("You hold the conversation: the assistant is silent."))
        elif services.desk_release(contact_id=contact.pk, author_name=name):
            messages.success(request, _("Released: the assistant answers this person again."))
        else:
            messages.info(request, _("Nobody held this conversation: the assistant answers it."))

    def _write(self, request, contact: Contact, action: str, form: DeskTextForm) -> bool:
        """Store a reply (to be delivered) or a note; False, with the form telling why, when
        it cannot be."""
        if not form.is_valid():
            return False
        if action == "reply" and (problem := unreachable_because(contact)):
            form.add_error(None, problem)
            return False
        write = services.desk_reply if action == "reply" else services.desk_note
        write(
            contact_id=contact.pk,
            user_id=request.user.pk,
            author_name=services.desk_author_name(request.user),
            text=form.cleaned_data["text"],
        )
        if action == "reply":
            messages.success(request, _("Reply stored; the bot is sending it."))
        else:
            messages.success(request, _("Note kept; the person does not see it."))
        return True


def unreachable_because(contact: Contact) -> str:
    """Why a reply from admin cannot reach the lead now ("" when it can)."""
    if contact.bot is None:
        return _("This lead is not on Telegram: a reply from here cannot reach them.")
    if not contact.bot.is_active:
        return _("This lead's bot is switched off: a reply cannot reach them until it is on.")
    return ""


admin.site.add_index_link(
    section=gettext_lazy("Operators"),
    title=gettext_lazy("Waiting for an operator"),
    url_name="admin:conversations_handoff_changelist",
    permission=PERMISSION,
)
