"""The LLM registry: providers (where to call) and models (what to call); and which model each
lead chose to answer them."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assistant.api_keys import validate_api_key_variable


class LLMProvider(models.Model):
    """An OpenAI-compatible endpoint. The API key stays in the environment, never here."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    base_url = models.URLField(_("base URL"), max_length=500)
    api_key_env = models.CharField(
        _("API key variable"),
        max_length=100,
        blank=True,
        help_text=_(
            "Name of the environment variable holding the API key, e.g. OPENAI_API_KEY. It must "
            "end in _API_KEY or be listed in LLM_API_KEY_VARIABLES; the project's own settings "
            "are never allowed, since the key is sent to the base URL."
        ),
        validators=[validate_api_key_variable],
    )
    timeout_seconds = models.FloatField(_("request timeout, s"), default=30.0)
    connect_timeout_seconds = models.FloatField(_("connect timeout, s"), default=5.0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("LLM provider")
        verbose_name_plural = _("LLM providers")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Capability(models.TextChoices):
    """What a registered model is called for; each is a different endpoint of the API."""

    CHAT = "chat", _("chat")
    TRANSCRIPTION = "transcription", _("transcription")
    SPEECH = "speech", _("speech")
    EMBEDDING = "embedding", _("embedding")


def chat_only() -> list[str]:
    return [Capability.CHAT]


def validate_capabilities(value) -> None:
    """A non-empty list of known capabilities, each once."""
    known = isinstance(value, list) and value and all(item in Capability.values for item in value)
    if not known or len(set(value)) != len(value):
        raise ValidationError(
            _("List one or more of: %(known)s.") % {"known": ", ".join(Capability.values)}
        )


def with_capability(capability: str) -> Q:
    """Registered models that can do `capability` (a JSON list, searched as text: the one
    lookup SQLite and PostgreSQL share)."""
    return Q(capabilities__icontains=f'"{capability}"')


class LLMModel(models.Model):
    """A model offered by a provider, with its generation settings and prices, and what it is
    for: answering (chat), transcribing voice messages, or speaking answers."""

    provider = models.ForeignKey(
        LLMProvider, on_delete=models.PROTECT, related_name="models", verbose_name=_("provider")
    )
    model_id = models.CharField(_("model id"), max_length=200)
    display_name = models.CharField(_("display name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("default"), default=False)
    capabilities = models.JSONField(
        _("capabilities"),
        default=chat_only,
        validators=[validate_capabilities],
        help_text=_(
            "What the model is called for: chat answers; transcription of voice messages "
            "(audio/transcriptions); speech, to read answers aloud (audio/speech); embedding, "
            "to search the knowledge base by meaning (embeddings)."
        ),
    )
    supports_tools = models.BooleanField(
        _("supports tool calls"),
        default=True,
        help_text=_("Off for models without structured output: JSON in text is parsed instead."),
    )
    temperature = models.FloatField(_("temperature"), default=0.3)
    max_output_tokens = models.PositiveIntegerField(_("max output tokens"), default=800)
    context_window = models.PositiveIntegerField(_("context window, tokens"), default=8192)
    input_price_per_million = models.DecimalField(
        _("input price per 1M tokens"), max_digits=12, decimal_places=4, default=0
    )
    output_price_per_million = models.DecimalField(
        _("output price per 1M tokens"), max_digits=12, decimal_places=4, default=0
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("LLM model")
        verbose_name_plural = _("LLM models")
        ordering = ["position", "display_name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "model_id"], name="uniq_provider_model"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_model"
            ),
        ]

    def __str__(self):
        return self.display_name


class ModelChoice(models.Model):
    """The model a lead picked with /model; without a row the default answers them."""

    contact = models.OneToOneField(
        "conversations.Contact",
        on_delete=models.CASCADE,
        related_name="model_choice",
        verbose_name=_("lead"),
    )
    model = models.ForeignKey(
        LLMModel,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("chosen model"),
        limit_choices_to=with_capability(Capability.CHAT),
    )

    class Meta:
        verbose_name = _("chosen model")
        verbose_name_plural = _("chosen models")

    def __str__(self):
        return str(self.model)


class VoiceChoice(models.Model):
    """Whether a lead wants answers also read aloud (/voice on|off), in place of the bot's
    setting; without a row the bot's setting holds. A table beside `ModelChoice` rather than
    a field of the lead: `conversations` knows nothing of the assistant's features."""

    contact = models.OneToOneField(
        "conversations.Contact",
        on_delete=models.CASCADE,
        related_name="voice_choice",
        verbose_name=_("lead"),
    )
    speaks_answers = models.BooleanField(_("answers also as voice messages"))

    class Meta:
        verbose_name = _("voice answers")
        verbose_name_plural = _("voice answers")

    def __str__(self):
        return str(_("on") if self.speaks_answers else _("off"))


class BotModels(models.Model):
    """A bot's own models, in place of the site's (LLM_DEFAULT_MODEL, the registry's default
    flag, LLM_FALLBACK_MODEL; the first model that can transcribe or speak) for its leads, and
    whether it reads its answers aloud."""

    bot = models.OneToOneField(
        "bots.Bot", on_delete=models.CASCADE, related_name="models", verbose_name=_("bot")
    )
    default_model = models.ForeignKey(
        LLMModel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default model"),
        limit_choices_to=with_capability(Capability.CHAT),
        help_text=_("Answers this bot's leads who chose none; empty: the site's default."),
    )
    fallback_model = models.ForeignKey(
        LLMModel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fallback model"),
        limit_choices_to=with_capability(Capability.CHAT),
        help_text=_("Tried when the answering model keeps failing; empty: the site's fallback."),
    )

    transcription_model = models.ForeignKey(
        LLMModel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("transcription model"),
        limit_choices_to=with_capability(Capability.TRANSCRIPTION),
        help_text=_(
            "Turns this bot's voice messages into text; empty: the first active model that "
            "can transcribe. Without any, voice messages get a note asking for text."
        ),
    )
    speech_model = models.ForeignKey(
        LLMModel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("speech model"),
        limit_choices_to=with_capability(Capability.SPEECH),
        help_text=_("Reads answers aloud; empty: the first active model that can speak."),
    )
    speech_voice = models.CharField(
        _("voice"),
        max_length=50,
        default="alloy",
        help_text=_("The speech model's voice, e.g. alloy, nova, shimmer."),
    )
    speaks_answers = models.BooleanField(
        _("answers also as voice messages"),
        default=False,
        help_text=_(
            "After each text answer, send it read aloud too (a person can turn it off or on "
            "for themselves with /voice)."
        ),
    )

    class Meta:
        verbose_name = _("bot's models")
        verbose_name_plural = _("bot's models")

    def __str__(self):
        return str(self.bot)
