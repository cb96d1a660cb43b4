"""Staff's review of what the conversations propose, the knowledge entries it made, and the
export of approved conversations for fine-tuning.

A proposal's page shows the question, the answer rated 👎 and what the person said of it, and
a link to the conversation; staff edit the question and the answer and approve (into an entry
the search finds at once) or reject. The list shows what waits for review first.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy, pgettext_lazy

from bots.admin_scope import BotListFilter, PerBotAdmin
from bots.selectors import visible_to
from conversations.selectors import transcript_page_of
from core.admin_display import short_datetime, truncated
from core.admin_names import ModelNames, ModelNamesMixin
from knowledge.finetuning import approved_conversations, finetuning_lines
from knowledge.models import KnowledgeEntry, Proposal
from knowledge.proposals import (
    ReviewRefused,
    entry_index,
    proposal_approve,
    proposal_reject,
)

NOT_INDEXED = _(
    "The entry is saved, but the search does not find it yet (see the log): save it again to "
    "retry."
)


@admin.register(Proposal)
class ProposalAdmin(PerBotAdmin, ModelNamesMixin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "knowledge proposal"),
        genitive=pgettext_lazy("genitive", "knowledge proposal"),
        counted=ngettext_lazy(
            "%(count)s knowledge proposal", "%(count)s knowledge proposals", "count"
        ),
    )
    change_form_template = "admin/knowledge/proposal/change_form.html"
    list_display = (
        "short_question",
        "kind",
        "status",
        "bot",
        "asked_times",
        "has_answer",
        "waiting_since",
    )
    list_filter = ("status", "kind", ("bot", BotListFilter), "language")
    list_select_related = ("bot",)
    search_fields = ("question", "answer", "comment")
    actions = ("approve", "reject")
    fields = (
        "kind",
        "status",
        "bot",
        "language",
        "asked_times",
        "transcript",
        "question",
        "bad_answer",
        "comment",
        "answer",
        "entry_link",
        "merged_into_link",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    )
    review_fields = ("question", "answer")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("entry", "merged_into", "reviewed_by")

    def get_ordering(self, request):
        """What waits for review first, the most asked and the longest waiting on top."""
        waiting_first = Case(
            When(status=Proposal.Status.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return (waiting_first.asc(), "-asked_times", "created_at", "pk")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == Proposal.Status.OPEN:
            return [name for name in self.fields if name not in self.review_fields]
        return self.fields

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("question"), ordering="question")
    def short_question(self, proposal):
        return truncated(proposal.question)

    @admin.display(description=_("answer"), boolean=True)
    def has_answer(self, proposal):
        return bool(proposal.answer)

    @admin.display(description=_("waiting since"), ordering="created_at")
    def waiting_since(self, proposal):
        return short_datetime(proposal.created_at)

    @admin.display(description=_("conversation"))
    def transcript(self, proposal):
        """The transcript's page where the question was asked."""
        if proposal.question_message_id is None:
            return None
        contact_id, page = transcript_page_of(
            message_id=proposal.question_message_id,
            page_size=settings.ADMIN_TRANSCRIPT_PAGE_SIZE,
        )
        url = reverse("admin:conversations_contact_transcript", args=[contact_id])
        return format_html('<a href="{}?p={}">{}</a>', url, page, _("Conversation transcript"))

    @admin.display(description=_("knowledge entry"))
    def entry_link(self, proposal):
        return _link("admin:knowledge_knowledgeentry_change", proposal.entry)

    @admin.display(description=_("merged into"))
    def merged_into_link(self, proposal):
        return _link("admin:knowledge_proposal_change", proposal.merged_into)

    def response_change(self, request, obj):
        """The buttons "Save and approve" and "Reject": the edits are saved, then judged."""
        if "_approve" in request.POST:
            self._approve_one(request, obj.pk)
        elif "_reject" in request.POST:
            self._reject_one(request, obj)
        else:
            return super().response_change(request, obj)
        return HttpResponseRedirect(request.path)

    @admin.action(
        description=_("Approve selected proposals that have an answer"), permissions=["change"]
    )
    def approve(self, request, queryset):
        waiting = queryset.filter(status=Proposal.Status.OPEN)
        for proposal_id in list(waiting.exclude(answer="").values_list("pk", flat=True)):
            # One approved before may have merged this one into it.
            if waiting.filter(pk=proposal_id).exists():
                self._approve_one(request, proposal_id)
        if unanswered := waiting.filter(answer="").count():
            self.message_user(
                request,
                ngettext(
                    "%(count)d proposal has no answer yet and still waits: write its answer, "
                    "then approve it.",
                    "%(count)d proposals have no answer yet and still wait: write their "
                    "answers, then approve them.",
                    unanswered,
                )
                % {"count": unanswered},
                messages.WARNING,
            )

    @admin.action(description=_("Reject selected proposals"), permissions=["change"])
    def reject(self, request, queryset):
        rejected = sum(
            proposal_reject(proposal_id=pk, user_id=request.user.pk)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request,
            ngettext("%(count)d proposal rejected.", "%(count)d proposals rejected.", rejected)
            % {"count": rejected},
        )

    def _approve_one(self, request, proposal_id: int):
        try:
            approval = proposal_approve(proposal_id=proposal_id, user_id=request.user.pk)
        except ReviewRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return
        entry = approval.entry
        if approval.created:
            said = _("Approved: “%(question)s” is in the knowledge base.")
        else:
            said = _(
                "Approved: the answer of “%(question)s”, an entry asking the same, is replaced."
            )
        self.message_user(request, said % {"question": entry.question[:80]}, messages.SUCCESS)
        if approval.merged:
            self.message_user(
                request,
                ngettext(
                    "%(count)d proposal asking the same was merged into it.",
                    "%(count)d proposals asking the same were merged into it.",
                    approval.merged,
                )
                % {"count": approval.merged},
            )
        if not approval.indexed:
            self.message_user(request, NOT_INDEXED, messages.WARNING)

    def _reject_one(self, request, proposal):
        if proposal_reject(proposal_id=proposal.pk, user_id=request.user.pk):
            self.message_user(request, _("Rejected: nothing is added to the knowledge base."))
        else:
            self.message_user(request, _("This proposal was reviewed already."), messages.ERROR)


def _link(view: str, row):
    if row is None:
        return None
    return format_html('<a href="{}">{}</a>', reverse(view, args=[row.pk]), row)


class FromProposals(admin.TabularInline):
    """The proposals an entry was approved from, or merged into it."""

    model = Proposal
    fk_name = "entry"
    fields = ("question_link", "kind", "status", "asked_times", "reviewed_by", "reviewed_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = _("proposal it came from")
    verbose_name_plural = _("proposals it came from")

    @admin.display(description=_("question"))
    def question_link(self, proposal):
        return _link("admin:knowledge_proposal_change", proposal)


@admin.register(KnowledgeEntry)
class KnowledgeEntryAdmin(PerBotAdmin, ModelNamesMixin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "knowledge entry"),
        genitive=pgettext_lazy("genitive", "knowledge entry"),
        counted=ngettext_lazy("%(count)s knowledge entry", "%(count)s knowledge entries", "count"),
    )
    change_list_template = "admin/knowledge/knowledgeentry/change_list.html"
    list_display = (
        "short_question",
        "short_answer",
        "bot",
        "language",
        "is_active",
        "merged_count",
        "changed",
    )
    list_filter = (("bot", BotListFilter), "language", "is_active")
    list_select_related = ("bot",)
    search_fields = ("question", "answer")
    fields = ("bot", "language", "question", "answer", "is_active", "merged_count", "approved_by")
    readonly_fields = ("merged_count", "approved_by")
    inlines = (FromProposals,)

    @admin.display(description=_("question"), ordering="question")
    def short_question(self, entry):
        return truncated(entry.question)

    @admin.display(description=_("answer"))
    def short_answer(self, entry):
        return truncated(entry.answer)

    @admin.display(description=_("changed"), ordering="updated_at")
    def changed(self, entry):
        return short_datetime(entry.updated_at)

    def save_model(self, request, obj, form, change):
        """Saved, then indexed at once: the next question finds the entry as it is now."""
        super().save_model(request, obj, form, change)
        if not entry_index(entry_id=obj.pk):
            self.message_user(request, NOT_INDEXED, messages.WARNING)

    def changelist_view(self, request, extra_context=None):
        context = {"may_export": self._may_export(request), **(extra_context or {})}
        return super().changelist_view(request, context)

    # --- Fine-tuning export ----------------------------------------------------------------

    def get_urls(self):
        export = path(
            "export-finetuning/",
            self.admin_site.admin_view(self.export_view),
            name="knowledge_knowledgeentry_export_finetuning",
        )
        return [export, *super().get_urls()]

    def _may_export(self, request) -> bool:
        """What people wrote leaves the system: for staff who may export leads."""
        return request.user.has_perm("conversations.export_contact")

    def export_view(self, request):
        """The approved conversations of the bots the viewer works with, as JSONL."""
        if not self._may_export(request):
            raise PermissionDenied
        conversations = approved_conversations(visible=visible_to(request.user, "contact__bot"))
        response = StreamingHttpResponse(
            finetuning_lines(conversations), content_type="application/jsonl; charset=utf-8"
        )
        name = f"finetuning-{timezone.localdate():%Y-%m-%d}.jsonl"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
