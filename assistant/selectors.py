"""Reads of the LLM registry: which model answers a contact, and which may be chosen.

The registry is read once per change (`core.config_cache`): every message needs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from assistant.gateway import ModelSpec
from assistant.models import BotModels, LLMModel, ModelChoice
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
def _registry() -> tuple[_Registered, ...]:
    """The active models, in the staff's order."""
    return tuple(
        _Registered(
            ModelSpec.from_model(model), model.provider.name, model.position, model.is_default
        )
        for model in LLMModel.objects.filter(is_active=True).select_related("provider")
    )


def _by_name(name: str) -> ModelSpec | None:
    """An active model by `model_id` or `provider/model_id`; the first by position of several."""
    named = [model for model in _registry() if name and model.is_named(name)]
    first = min(named, key=lambda model: (model.position, model.spec.pk), default=None)
    return first.spec if first else None


def usable_model_specs() -> list[ModelSpec]:
    """The models a person may choose with /model: active, and with their key present."""
    return [model.spec for model in _registry() if not model.spec.key_missing]


@cached_config
def _bot_models() -> dict[int, tuple[int | None, int | None]]:
    """Each bot's own (default, fallback) model ids."""
    rows = BotModels.objects.values_list("bot_id", "default_model_id", "fallback_model_id")
    return {bot_id: (default, fallback) for bot_id, default, fallback in rows}


def _active_by_pk(model_id: int | None) -> ModelSpec | None:
    return next((model.spec for model in _registry() if model.spec.pk == model_id), None)


def default_model_spec(bot_id: int | None = None) -> ModelSpec | None:
    """The bot's own default while active; else LLM_DEFAULT_MODEL, which wins over the
    registry's default flag; else the first active model."""
    own, _fallback = _bot_models().get(bot_id, (None, None))
    if (spec := _active_by_pk(own)) is not None:
        return spec
    registry = _registry()
    flagged = next((model.spec for model in registry if model.is_default), None)
    first = registry[0].spec if registry else None
    return _by_name(settings.LLM_DEFAULT_MODEL) or flagged or first


def fallback_model_spec(bot_id: int | None = None) -> ModelSpec | None:
    """The model to try when the chosen one keeps failing: the bot's own fallback while
    active, else LLM_FALLBACK_MODEL."""
    _default, own = _bot_models().get(bot_id, (None, None))
    return _active_by_pk(own) or _by_name(settings.LLM_FALLBACK_MODEL)


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
