"""Reads of the LLM registry: which model answers a contact, and which may be chosen.

The registry is read once per change (`core.config_cache`): every message needs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from assistant.gateway import ModelSpec
from assistant.models import BotModels, Capability, LLMModel, ModelChoice, VoiceChoice
from core.config_cache import cached_config


@dataclass(frozen=True)
class _Registered:
    spec: ModelSpec
    provider_name: str
    position: int
    is_default: bool

    def is_named(self, name: str) -> bool:
        """Named by `model_id` or `provider/model_id` (as written in `.env`)."""
        provider_name, _slash, model_id = name.partition("/")
        by_provider = model_id and provider_name.lower() == self.provider_name.lower()
        return self.spec.model_id == name or bool(by_provider and self.spec.model_id == model_id)


@cached_config
def _active_models() -> tuple[_Registered, ...]:
    """The active models of every capability, in the staff's order."""
    return tuple(
        _Registered(
            ModelSpec.from_model(model), model.provider.name, model.position, model.is_default
        )
        for model in LLMModel.objects.filter(is_active=True).select_related("provider")
    )


def _registry(capability: str = Capability.CHAT) -> tuple[_Registered, ...]:
    """The active models that can do `capability` (answering, unless told)."""
    return tuple(model for model in _active_models() if capability in model.spec.capabilities)


def _by_name(name: str) -> ModelSpec | None:
    """An active model by `model_id` or `provider/model_id`; the first by position of several."""
    named = [model for model in _registry() if name and model.is_named(name)]
    first = min(named, key=lambda model: (model.position, model.spec.pk), default=None)
    return first.spec if first else None


def usable_model_specs() -> list[ModelSpec]:
    """The models a person may choose with /model: active, and with their key present."""
    return [model.spec for model in _registry() if not model.spec.key_missing]


@dataclass(frozen=True)
class _OwnModels:
    """A bot's own choices (`BotModels`); ids of models, None where the site's apply."""

    default: int | None = None
    fallback: int | None = None
    transcription: int | None = None
    speech: int | None = None
    speech_voice: str = "alloy"
    speaks_answers: bool = False


@cached_config
def _bot_models() -> dict[int, _OwnModels]:
    """Each bot's own models and voice settings."""
    rows = BotModels.objects.values_list(
        "bot_id",
        "default_model_id",
        "fallback_model_id",
        "transcription_model_id",
        "speech_model_id",
        "speech_voice",
        "speaks_answers",
    )
    return {bot_id: _OwnModels(*choices) for bot_id, *choices in rows}


def _own_models(bot_id: int | None) -> _OwnModels:
    return _bot_models().get(bot_id, _OwnModels())


def _active_by_pk(model_id: int | None, capability: str = Capability.CHAT) -> ModelSpec | None:
    return next((model.spec for model in _registry(capability) if model.spec.pk == model_id), None)


def default_model_spec(bot_id: int | None = None) -> ModelSpec | None:
    """The bot's own default while active; else LLM_DEFAULT_MODEL, which wins over the
    registry's default flag; else the first active model."""
    if (spec := _active_by_pk(_own_models(bot_id).default)) is not None:
        return spec
    registry = _registry()
    flagged = next((model.spec for model in registry if model.is_default), None)
    first = registry[0].spec if registry else None
    return _by_name(settings.LLM_DEFAULT_MODEL) or flagged or first


def fallback_model_spec(bot_id: int | None = None) -> ModelSpec | None:
    """The model to try when the chosen one keeps failing: the bot's own fallback while
    active, else LLM_FALLBACK_MODEL."""
    return _active_by_pk(_own_models(bot_id).fallback) or _by_name(settings.LLM_FALLBACK_MODEL)


def model_spec_for(*, contact_id: int, bot_id: int | None = None) -> tuple[ModelSpec | None, bool]:
    """The model that answers a contact: their choice while it is usable, else the default.

    The flag says whether a choice had to be replaced, so the person can be told.
    """
    chosen = ModelChoice.objects.filter(contact_id=contact_id).values_list("model_id", flat=True)
    model_id = chosen.first()
    if model_id is None:
        return default_model_spec(bot_id), False
    return usable_model_spec(model_id=model_id, bot_id=bot_id)


def usable_model_spec(*, model_id: int, bot_id: int | None = None) -> tuple[ModelSpec | None, bool]:
    """The model `model_id` if it is active and has its key; else the (bot's) default,
    flagged as a replacement."""
    spec = _active_by_pk(model_id)
    if spec is not None and not spec.key_missing:
        return spec, False
    return default_model_spec(bot_id), True


def _usable(capability: str, own: int | None) -> ModelSpec | None:
    """The bot's own model for `capability` while active, else the first active one that can
    do it; either with its key present."""
    spec = _active_by_pk(own, capability)
    if spec is None or spec.key_missing:
        usable = (model.spec for model in _registry(capability) if not model.spec.key_missing)
        spec = next(usable, None)
    return spec


def transcription_model_spec(bot_id: int | None = None) -> ModelSpec | None:
    """The model that turns a bot's voice messages into text (None: voice is not read)."""
    return _usable(Capability.TRANSCRIPTION, _own_models(bot_id).transcription)


def speech_model_spec(bot_id: int | None = None) -> ModelSpec | None:
    """The model that reads a bot's answers aloud (None: answers stay text)."""
    return _usable(Capability.SPEECH, _own_models(bot_id).speech)


def embedding_model_spec() -> ModelSpec | None:
    """The model that turns the knowledge base's passages and the questions into vectors: the
    first active embedding model in the registry's order, for every bot, since all vectors
    must come from one model to be compared (None: the knowledge base is searched by words)."""
    return _usable(Capability.EMBEDDING, None)


def speaks_answers(*, contact_id: int, bot_id: int | None = None) -> bool:
    """Whether a lead's answers are also read aloud: their /voice choice, else the bot's."""
    chosen = VoiceChoice.objects.filter(contact_id=contact_id).values_list(
        "speaks_answers", flat=True
    )
    choice = chosen.first()
    return _own_models(bot_id).speaks_answers if choice is None else choice


@dataclass(frozen=True)
class SpeechPlan:
    """How a lead's answers are read aloud."""

    model: ModelSpec
    voice: str


def speech_plan_for(*, contact_id: int, bot_id: int | None = None) -> SpeechPlan | None:
    """How to read a lead's answers aloud, or None when they stay text (not wanted, or no
    model can speak)."""
    if not speaks_answers(contact_id=contact_id, bot_id=bot_id):
        return None
    spec = speech_model_spec(bot_id)
    return SpeechPlan(spec, _own_models(bot_id).speech_voice) if spec is not None else None
