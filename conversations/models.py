"""Leads (contacts), their conversations and every message, plus the staff's prompts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import LLMUsage


def full_name(first_name: str, last_name: str) -> str:
    return " ".join(part for part in (first_name, last_name) if part)


def lead_display_name(
    *, first_name: str, last_name: str, username: str, channel: str, external_id: str
) -> str:
    """How a lead is named everywhere: their name, else @username, else channel and id."""
    if name := full_name(first_name, last_name):
        return name
    if username:
        return f"@{username}"
    return f"{Contact.Channel(channel).label} {external_id}"


def erased_lead_name(contact_id: int) -> str:
    """How a lead whose person's data was deleted is named: by its number only."""
    return _("Deleted lead #%(id)s") % {"id": contact_id}


class Contact(models.Model):
    """One person on one channel; a lead once we know how to reach them.

    What the apps above know of a lead (its need discovery and interests, the model it chose)
    they keep in tables of their own that point here: this app knows none of them.
    """

    class Channel(models.TextChoices):
        TELEGRAM = "telegram", _("Telegram")
        TERMINAL = "terminal", _("Terminal chat")
        WEB = "web", _("Web chat")
        VK = "vk", _("VK")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        QUALIFIED = "qualified", _("Qualified")
        IN_WORK = "in_work", _("In work")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.TELEGRAM
    )
    bot = models.ForeignKey(
        "bots.Bot",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("bot"),
        help_text=_("The bot the person writes to: one person writing to two bots is two leads."),
    )
    external_id = models.CharField(
        _("user id on the channel"),
        max_length=64,
        help_text=_(
            "Telegram user id for Telegram contacts; the visitor's id for the web chat; "
            "community id:user id for VK."
        ),
    )
    username = models.CharField(_("username"), max_length=64, blank=True)
    first_name = models.CharField(_("first name"), max_length=128, blank=True)
    last_name = models.CharField(_("last name"), max_length=128, blank=True)
    language_code = models.CharField(_("language"), max_length=10, default="ru")
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    status = models.CharField(
        _("lead status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    source = models.CharField(_("source"), max_length=64, blank=True, db_index=True)
    consent_at = models.DateTimeField(_("personal data consent"), null=True, blank=True)
    consent_policy_version = models.CharField(
        _("privacy policy version"),
        max_length=32,
        blank=True,
        help_text=_("The version of the privacy policy in effect when the person consented."),
    )
    erased_at = models.DateTimeField(
        _("personal data deleted"),
        null=True,
        blank=True,
        help_text=_(
            "When the person withdrew consent and their data was deleted; what is left is an "
            "anonymous record of it."
        ),
    )
    qualified_at = models.DateTimeField(_("qualified"), null=True, blank=True)
    is_blocked = models.BooleanField(_("blocked the bot"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at"]
        permissions = [("export_contact", _("Can export leads"))]
        constraints = [
            # The person first: their leads on every bot are found by this index too.
            models.UniqueConstraint(
                fields=["channel", "external_id", "bot"], name="uniq_contact_bot_user"
            ),
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(bot__isnull=True),
                name="uniq_contact_channel_user",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="contact_status_created"),
            models.Index(fields=["-created_at"], name="contact_created"),
            models.Index(fields=["-last_message_at"], name="contact_last_message"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        if self.erased_at:
            return erased_lead_name(self.pk)
        return lead_display_name(
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            channel=self.channel,
            external_id=self.external_id,
        )


class Conversation(models.Model):
    """A dialogue session; a new one starts on /new or after a long pause.

    What a person says in a group chat is a conversation of its own (`group_chat_id`), so
    nothing from their private chat is used or repeated in front of the group.
    """

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="conversations", verbose_name=_("lead")
    )
    group_chat_id = models.CharField(
        _("group chat"),
        max_length=64,
        blank=True,
        help_text=_("Empty for the private chat with the person."),
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-started_at"]
        indexes = [
            models.Index(
                fields=["contact", "group_chat_id", "-started_at"],
                name="conversation_contact_chat",
            ),
            # The private conversations going idle, for the satisfaction survey.
            models.Index(
                fields=["last_message_at"],
                condition=Q(group_chat_id="", closed_at__isnull=True),
                name="conversation_open_private",
            ),
        ]

    def __str__(self):
        return f"{self.contact} · {self.started_at:%Y-%m-%d %H:%M}"


class Message(LLMUsage):
    """One message of either side, stored before anything that can fail.

    A reply of the model also keeps what it cost (`LLMUsage`); other messages leave that empty.
    """

    class Role(models.TextChoices):
        USER = "user", _("User")
        ASSISTANT = "assistant", _("Assistant")
        OPERATOR = "operator", _("Operator")
        SYSTEM = "system", _("System")
        NOTE = "note", _("Internal note")

    class ContentType(models.TextChoices):
        TEXT = "text", _("Text")
        COMMAND = "command", _("Command")
        CONTACT = "contact", _("Contact card")
        PHOTO = "photo", _("Photo")
        STICKER = "sticker", _("Sticker")
        DOCUMENT = "document", _("Document")
        VOICE = "voice", _("Voice")
        AUDIO = "audio", _("Audio file")
        VIDEO = "video", _("Video")
        LOCATION = "location", _("Location")
        CALLBACK = "callback", _("Button press")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        COMPLETE = "complete", _("Complete")
        PARTIAL = "partial", _("Partial")
        FAILED = "failed", _("Failed")

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        UNCERTAIN = "uncertain", _("Maybe delivered (not confirmed)")
        UNDELIVERED = "undelivered", _("Not delivered")

    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("conversation"),
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="messages", verbose_name=_("lead")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    text = models.TextField(_("text"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("operator"),
        help_text=_("The staff user who wrote an operator's message or note in admin."),
    )
    author_name = models.CharField(
        _("operator's name"),
        max_length=128,
        blank=True,
        help_text=_("Who wrote an operator's message or note (in Telegram: their first name)."),
    )
    content_type = models.CharField(
        _("content type"), max_length=10, choices=ContentType.choices, default=ContentType.TEXT
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    telegram_update_id = models.BigIntegerField(_("Telegram update id"), null=True, blank=True)
    telegram_message_id = models.BigIntegerField(_("Telegram message id"), null=True, blank=True)
    event_key = models.CharField(
        _("event key"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        help_text=_(
            "The channel's own id of what the person sent (for Telegram: bot and update id), "
            "so a redelivery is stored once."
        ),
    )
    reply_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("reply to"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.COMPLETE
    )
    error = models.CharField(_("error"), max_length=500, blank=True)
    delivery = models.CharField(
        _("delivery"),
        max_length=12,
        choices=Delivery.choices,
        blank=True,
        help_text=_("For the bot's messages: whether Telegram confirmed every part."),
    )
    delivery_parts = models.JSONField(
        _("delivered parts"),
        default=list,
        blank=True,
        help_text=_("Each part's state and Telegram message id."),
    )
    delivery_error = models.CharField(_("delivery error"), max_length=500, blank=True)
    redacted = models.BooleanField(
        _("text removed"),
        default=False,
        help_text=_(
            "The text was removed: the person asked to delete their data, or it outlived the "
            "retention period."
        ),
    )
    media_file = models.CharField(
        _("media file"),
        max_length=255,
        blank=True,
        help_text=_(
            "The channel's id of a voice message or audio file the person sent (for Telegram: "
            "the file id), to fetch it again while it is kept."
        ),
    )
    media_seconds = models.PositiveIntegerField(
        _("duration, s"), null=True, blank=True, help_text=_("How long a voice message is.")
    )
    transcribed = models.BooleanField(
        _("transcript"),
        default=False,
        help_text=_(
            "The text is the transcript of a voice message or audio file (after its caption, "
            "if any): it is answered and remembered like typed text."
        ),
    )
    sources = models.JSONField(
        _("sources"),
        default=list,
        blank=True,
        help_text=_(
            "For the model's replies: the knowledge base's passages it was given, each with "
            "its title (and web page), best first."
        ),
    )
    prompt_versions = models.JSONField(
        _("prompt versions"),
        default=dict,
        blank=True,
        help_text=_(
            "For the model's replies: the prompts that built it, each key with the number of "
            "the prompt's history entry in effect."
        ),
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["contact", "created_at", "id"], name="message_contact_time"),
            models.Index(fields=["conversation", "created_at"], name="message_conversation_time"),
            # Analytics: a period's replies (count, tokens) and their latency percentiles,
            # read from the index alone.
            models.Index(fields=["role", "created_at", "latency_ms"], name="message_role_time"),
            models.Index(
                fields=["delivery", "-created_at"],
                condition=Q(delivery__in=["uncertain", "undelivered"]),
                name="message_not_delivered",
            ),
            # Retention: the messages whose text is still kept, oldest first.
            models.Index(
                fields=["created_at"], condition=Q(redacted=False), name="message_text_kept"
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.text[:60]}"


class Prompt(models.Model):
    """Text that steers the assistant; staff edit it in admin, with history and restore."""

    class Key(models.TextChoices):
        SYSTEM = "system", _("System instructions")
        GREETING = "greeting", _("Greeting")
        FAQ = "faq", _("FAQ")
        CONTACT_REQUEST = "contact_request", _("Contact request")
        PRIVACY_NOTICE = "privacy_notice", _("Personal data notice")

    key = models.CharField(_("key"), max_length=40, choices=Key.choices)
    bot = models.ForeignKey(
        "bots.Bot",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="prompts",
        verbose_name=_("bot"),
        help_text=_("Only for this bot, in place of the shared prompt; empty: shared by all."),
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    text = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("prompt")
        verbose_name_plural = _("prompts")
        ordering = ["key", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "language", "bot"], name="uniq_prompt_key_language_bot"
            ),
            models.UniqueConstraint(
                fields=["key", "language"],
                condition=Q(bot__isnull=True),
                name="uniq_prompt_key_language",
            ),
        ]

    def __str__(self):
        where = f", {self.bot}" if self.bot_id else ""
        return f"{self.get_key_display()} ({self.language}{where})"


class StaffNotice(models.Model):
    """News about a lead told to the staff chat, kept so the same news is never repeated.

    The first notice of a lead posts its card; later ones update that card and reply to it
    with what happened (`telegram_message_id` is the message each notice sent).
    """

    class Reason(models.TextChoices):
        NEW_LEAD = "new_lead", _("New lead")
        INTEREST = "interest", _("Interest in a service")
        QUALIFIED = "qualified", _("Lead card complete")
        CORRECTED = "corrected", _("Lead card corrected")
        ERASED = "erased", _("Personal data deleted")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="staff_notices", verbose_name=_("lead")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    subject = models.CharField(
        _("subject"),
        max_length=64,
        blank=True,
        help_text=_("What the news is about: the service, or the message with a correction."),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    telegram_message_id = models.BigIntegerField(_("Telegram message id"), null=True, blank=True)
    is_card = models.BooleanField(_("lead card"), default=False)

    class Meta:
        verbose_name = _("staff notice")
        verbose_name_plural = _("staff notices")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "reason", "subject"], name="uniq_staff_notice"
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.contact_id}"


class Handoff(models.Model):
    """A conversation handed to people: asked for, taken by an operator, released.

    While one is *waiting* the assistant still answers what it safely can; while one is
    *taken* it is silent and an operator answers. A lead has at most one open handoff.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for an operator")
        TAKEN = "taken", _("With an operator")
        CLOSED = "closed", _("Back with the assistant")

    class Reason(models.TextChoices):
        PERSON = "person", _("The person asked")
        ASSISTANT = "assistant", _("The assistant could not help")
        STAFF = "staff", _("Staff took over")

    OPEN = (State.WAITING, State.TAKEN)

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="handoffs", verbose_name=_("lead")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.WAITING
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    why = models.CharField(
        _("why"), max_length=300, blank=True, help_text=_("As the assistant put it.")
    )
    requested_at = models.DateTimeField(_("asked"), auto_now_add=True)
    taken_at = models.DateTimeField(_("taken"), null=True, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
    )
    first_reply_at = models.DateTimeField(_("first operator reply"), null=True, blank=True)
    #: Since when the person waits for a person's reply (None: nobody waits); reminders count
    #: from here.
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("staff reminded"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("person told"), null=True, blank=True)
    closed_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta:
        verbose_name = _("handoff to an operator")
        verbose_name_plural = _("handoffs to operators")
        ordering = ["-requested_at"]
        permissions = [("operate_handoff", _("Can answer leads as an operator in admin"))]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(state__in=["waiting", "taken"]),
                name="one_open_handoff_per_lead",
            ),
        ]
        indexes = [
            models.Index(
                fields=["state", "waiting_since"],
                condition=Q(state__in=["waiting", "taken"]),
                name="handoff_open",
            ),
        ]

    def __str__(self):
        return f"{self.contact} · {self.get_state_display()}"


class StaffTopic(models.Model):
    """A lead's forum topic in its bot's staff chat: made once, headed by the lead card, reused."""

    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, related_name="staff_topic", verbose_name=_("lead")
    )
    chat_id = models.CharField(_("staff chat"), max_length=32)
    thread_id = models.BigIntegerField(_("topic id"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff topic")
        verbose_name_plural = _("staff topics")
        constraints = [
            models.UniqueConstraint(fields=["chat_id", "thread_id"], name="uniq_staff_topic"),
        ]

    def __str__(self):
        return f"{self.chat_id}/{self.thread_id}"


class OutboxEntry(models.Model):
    """What an operator did in admin that only a bot process can carry out in Telegram (the
    web process does not talk to Telegram): a reply to deliver to the person, or news for the
    lead's topic in the staff chat.

    A process serving the lead's bot claims the entry for a while (`claimed_until`), carries it
    out and deletes it, so the table holds only what still waits; a claim that ran out (its
    process died) is taken by the next process.
    """

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply to the person")
        NOTE = "note", _("Internal note")
        TAKEN = "taken", _("Taken over")
        RELEASED = "released", _("Released")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="+", verbose_name=_("lead")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("message"),
    )
    author_name = models.CharField(_("operator's name"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox entries")
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.contact_id}"


class AnswerRating(models.Model):
    """A person's 👍 or 👎 on one answer of the model, kept with what made that answer: the
    model and the prompt versions are copied from the reply, so a later change of either
    does not move old ratings. A 👎 asks once what was wrong; the person's next text is the
    comment (`awaiting_comment` until then, or until they skip)."""

    class Value(models.TextChoices):
        UP = "up", "👍"
        DOWN = "down", "👎"

    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, related_name="rating", verbose_name=_("answer")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="+", verbose_name=_("lead")
    )
    value = models.CharField(_("rating"), max_length=4, choices=Value.choices)
    comment = models.TextField(_("what was wrong"), blank=True)
    awaiting_comment = models.BooleanField(_("comment asked for"), default=False)
    #: The person's message taken as the comment: handled again, it is recognised as such.
    comment_message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    model_name = models.CharField(_("model"), max_length=128, blank=True)
    prompt_versions = models.JSONField(_("prompt versions"), default=dict, blank=True)
    #: `prompt_versions` as one sortable label ("faq#3 system#12"), to group ratings by it.
    prompt_version = models.CharField(_("prompt version"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("rated"), default=timezone.now)

    class Meta:
        verbose_name = _("answer rating")
        verbose_name_plural = _("answer ratings")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="rating_time"),
            models.Index(
                fields=["contact"],
                condition=Q(awaiting_comment=True),
                name="rating_awaiting_comment",
            ),
        ]

    def __str__(self):
        return f"{self.get_value_display()} {self.message_id}"


class ConversationSurvey(models.Model):
    """The satisfaction question (CSAT, 1 to 5) asked when a conversation ended: at most once
    per conversation, which the one-to-one key guarantees whichever process asks first."""

    class Trigger(models.TextChoices):
        CONFIRMED = "confirmed", _("Lead card confirmed")
        IDLE = "idle", _("Conversation idle")

    conversation = models.OneToOneField(
        Conversation,
        on_delete=models.CASCADE,
        related_name="survey",
        verbose_name=_("conversation"),
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="+", verbose_name=_("lead")
    )
    trigger = models.CharField(_("asked when"), max_length=10, choices=Trigger.choices)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    skipped = models.BooleanField(_("skipped"), default=False)
    asked_at = models.DateTimeField(_("asked"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-asked_at"]
        indexes = [models.Index(fields=["asked_at"], name="survey_time")]

    def __str__(self):
        return f"{self.conversation_id}: {self.score or '—'}"
