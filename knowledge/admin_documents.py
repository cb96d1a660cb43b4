"""Documents of the knowledge base: given as a file, a web page or pasted text, with their
indexing's progress and passages, and a "Re-index" action."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy, pgettext_lazy

from core.admin_display import short_datetime
from core.admin_names import ModelNames, ModelNamesMixin
from knowledge.indexing import queue_documents
from knowledge.models import Chunk, Document
from knowledge.reading import ReadingError, read_file


class DocumentForm(forms.ModelForm):
    """The upload is read into the text here and not kept: the text is what is indexed."""

    upload = forms.FileField(
        label=_("file"),
        required=False,
        help_text=_("Markdown, text, HTML, PDF or DOCX; its text replaces the text below."),
    )
    #: An address typed without a scheme is https (Django 6's default, without the warning).
    url = Document._meta.get_field("url").formfield(assume_scheme="https")

    class Meta:
        model = Document
        fields = ("title", "bot", "language", "upload", "url", "text", "is_active")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload:
            try:
                cleaned["text"] = read_file(upload.name, upload.read())
            except ReadingError as error:
                self.add_error("upload", str(error))
            self.instance.file_name = upload.name
        elif not (cleaned.get("url") or cleaned.get("text", "").strip()):
            raise forms.ValidationError(_("Give a file, a web page or the text."))
        return cleaned


class Passages(admin.TabularInline):
    model = Chunk
    fields = ("position", "heading", "text", "language", "has_vector")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = _("passage")
    verbose_name_plural = _("passages")

    @admin.display(description=_("vector"), boolean=True)
    def has_vector(self, chunk):
        return bool(chunk.vector_model)


@admin.register(Document)
class DocumentAdmin(ModelNamesMixin, admin.ModelAdmin):
    names = ModelNames(
        accusative=pgettext_lazy("accusative", "document"),
        genitive=pgettext_lazy("genitive", "document"),
        counted=ngettext_lazy("%(count)s document", "%(count)s documents", "count"),
    )
    form = DocumentForm
    list_display = ("title", "bot", "language", "is_active", "status", "progress", "indexed")
    list_filter = ("status", "is_active", "bot")
    list_select_related = ("bot",)
    search_fields = ("title", "url", "file_name")
    readonly_fields = ("file_name", "status", "progress", "indexed", "error")
    actions = ("reindex",)
    inlines = (Passages,)

    @admin.display(description=_("passages indexed"))
    def progress(self, document):
        return f"{document.progress_done} / {document.progress_total}"

    @admin.display(description=_("indexed"), ordering="indexed_at")
    def indexed(self, document):
        return short_datetime(document.indexed_at) or "—"

    def get_fields(self, request, obj=None):
        fields = list(self.form.Meta.fields)
        if obj is not None:
            shown = ("file_name",) if obj.file_name else ()
            fields += [*shown, "status", "progress", "indexed"]
            fields += ["error"] if obj.error else []
        return fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        document = self.get_object(request, object_id) if request.method == "GET" else None
        if document is not None and document.status in (
            Document.Status.PENDING,
            Document.Status.INDEXING,
        ):
            self.message_user(
                request,
                _("Indexing: %(done)s of %(total)s passages so far. Refresh the page to follow.")
                % {"done": document.progress_done, "total": document.progress_total},
                messages.INFO,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Re-index"), permissions=["change"])
    def reindex(self, request, queryset):
        """Queued for the bot's processes (or `manage.py index_knowledge`); a web page is read
        again, and only the passages that changed are indexed again."""
        count = queue_documents(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d document queued for indexing.",
                "%(count)d documents queued for indexing.",
                count,
            )
            % {"count": count},
        )
