"""The LLM registry: providers (where to call) and models (what to call); and which model each
lead chose to answer them."""

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


class LLMModel(models.Model):
    """A model offered by a provider, with its generation settings and prices."""

    provider = models.ForeignKey(
        LLMProvider, on_delete=models.PROTECT, related_name="models", verbose_name=_("provider")
    )
    model_id = models.CharField(_("model id"), max_length=200)
    display_name = models.CharField(_("display name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("default"), default=False)
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
        LLMModel, on_delete=models.CASCADE, related_name="+", verbose_name=_("chosen model")
    )

    class Meta:
        verbose_name = _("chosen model")
        verbose_name_plural = _("chosen models")

    def __str__(self):
        return str(self.model)


class BotModels(models.Model):
    """A bot's own default and fallback models, in place of the site's (LLM_DEFAULT_MODEL, the
    registry's default flag, LLM_FALLBACK_MODEL) for its leads."""

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
        help_text=_("Answers this bot's leads who chose none; empty: the site's default."),
    )
    fallback_model = models.ForeignKey(
        LLMModel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fallback model"),
        help_text=_("Tried when the answering model keeps failing; empty: the site's fallback."),
    )

    class Meta:
        verbose_name = _("bot's models")
        verbose_name_plural = _("bot's models")

    def __str__(self):
        return str(self.bot)
