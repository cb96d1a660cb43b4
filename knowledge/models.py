"""The knowledge base: documents staff upload, the passages they are split into, the answers
staff approved, and the proposals the conversations suggest for approval."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def _bot_field(related_name: str, **options):
    return models.ForeignKey(
        "bots.Bot",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=_("bot"),
        **options,
    )


#: What a document or an entry with no bot is: shared.
FOR_EVERY_BOT = _("Empty: every bot answers from it.")


def _language_field(**options):
    return models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, **options)


class Document(models.Model):
    """A file, a web page or a text staff gave; its text is kept, so it can be re-indexed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be indexed")
        INDEXING = "indexing", _("Indexing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    bot = _bot_field("documents", help_text=FOR_EVERY_BOT)
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: told by each passage's letters."),
    )
    file_name = models.CharField(_("file"), max_length=255, blank=True, editable=False)
    url = models.URLField(_("web page"), max_length=1000, blank=True)
    text = models.TextField(_("text"), blank=True)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    status = models.CharField(
        _("index"), max_length=10, choices=Status.choices, default=Status.PENDING, editable=False
    )
    progress_done = models.PositiveIntegerField(_("passages indexed"), default=0, editable=False)
    progress_total = models.PositiveIntegerField(_("passages"), default=0, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True, editable=False)
    indexed_at = models.DateTimeField(_("indexed"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["title", "pk"]

    #: Written by the indexing alone (`knowledge.indexing`).
    INDEXING_FIELDS = frozenset(
        ("status", "progress_done", "progress_total", "claimed_until", "error", "indexed_at")
    )

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """A change of what the passages are made of (text, title, language, bot) queues the
        document for indexing (`knowledge.indexing`); other edits leave its index as it is."""
        fingerprint = self.fingerprint()
        if fingerprint != self.content_hash:
            self.content_hash = fingerprint
            self.status = self.Status.PENDING
            self.progress_done = 0
            self.error = ""
            if kwargs.get("update_fields") is not None:
                queued = {"content_hash", "status", "progress_done", "error"}
                kwargs["update_fields"] = {*kwargs["update_fields"], *queued}
        elif not self._state.adding and "update_fields" not in kwargs:
            # The indexing's own fields as loaded may be stale: the indexer writes them.
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.INDEXING_FIELDS
            ]
        super().save(*args, **kwargs)

    def fingerprint(self) -> str:
        """What the index is made from: `content_hash` holds it as last saved."""
        parts = (self.title, self.language, str(self.bot_id or ""), self.text)
        return hashlib.sha256("\n\x00".join(parts).encode()).hexdigest()


class KnowledgeEntry(models.Model):
    """A question and its answer, approved by staff: searched like a document's passage."""

    bot = _bot_field("knowledge_entries", help_text=FOR_EVERY_BOT)
    language = _language_field(default="ru")
    question = models.TextField(_("question"))
    answer = models.TextField(_("answer"))
    is_active = models.BooleanField(_("active"), default=True)
    merged_count = models.PositiveIntegerField(
        _("proposals merged"),
        default=0,
        editable=False,
        help_text=_("How many approved proposals asked the same and were merged into it."),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("knowledge entry")
        verbose_name_plural = _("knowledge entries")
        ordering = ["-updated_at", "-pk"]

    def __str__(self):
        return self.question[:80]


class Chunk(models.Model):
    """A passage of a document, or a knowledge entry, as the search finds it.

    `content_hash` lets re-indexing keep a passage (and its vector) whose text did not change.
    The full-text index lives beside the table, in the database's own form (see
    `knowledge.search`).
    """

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, null=True, blank=True, related_name="chunks"
    )
    entry = models.ForeignKey(
        KnowledgeEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="chunks"
    )
    bot = models.ForeignKey(
        "bots.Bot", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    heading = models.CharField(max_length=500, blank=True)
    text = models.TextField()
    language = _language_field()
    content_hash = models.CharField(max_length=64)
    vector = models.JSONField(null=True, blank=True)
    vector_model = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["document", "entry", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(document__isnull=True) ^ Q(entry__isnull=True),
                name="chunk_of_a_document_or_an_entry",
            )
        ]
        indexes = [models.Index(fields=["bot", "language"], name="chunk_bot_language")]

    def __str__(self):
        return self.heading or self.text[:80]


class Proposal(models.Model):
    """Something the conversations suggest the knowledge base should know, for staff to
    approve (into a knowledge entry), edit, or reject."""

    class Kind(models.TextChoices):
        UNANSWERED = "unanswered", _("Not answered")
        DOWNVOTED = "downvoted", _("Answer rated 👎")
        OPERATOR = "operator", _("Operator's answer")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        MERGED = "merged", _("Merged into another")

    bot = _bot_field("knowledge_proposals")
    kind = models.CharField(_("from"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    language = _language_field(default="ru")
    question = models.TextField(_("question"))
    answer = models.TextField(_("proposed answer"), blank=True)
    bad_answer = models.TextField(_("the answer rated 👎"), blank=True)
    comment = models.TextField(_("the person's comment"), blank=True)
    asked_times = models.PositiveIntegerField(
        _("asked"), default=1, help_text=_("How many times the same was asked.")
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("conversation"),
    )
    question_message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answer_message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    entry = models.ForeignKey(
        KnowledgeEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("knowledge entry"),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged",
        verbose_name=_("merged into"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    created_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("knowledge proposal")
        verbose_name_plural = _("knowledge proposals")
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["status", "bot"], name="proposal_status_bot")]

    def __str__(self):
        return self.question[:80]
