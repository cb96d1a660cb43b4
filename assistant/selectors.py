"""Reads of the LLM registry: which model answers a contact, and which may be chosen."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q

from assistant.gateway import ModelSpec
from assistant.models import LLMModel, ModelChoice


def _active_models():
    return LLMModel.objects.filter(is_active=True).select_related("provider")


def _by_name(name: str) -> LLMModel | None:
    """Find an active model by `model_id` or `provider/model_id` (as written in `.env`)."""
    if not name:
        return None
    query = Q(model_id=name)
    provider_name, _slash, model_id = name.partition("/")
    if model_id:
        query |= Q(provider__name__iexact=provider_name, model_id=model_id)
    return _active_models().filter(query).order_by("position", "pk").first()


def usable_model_specs() -> list[ModelSpec]:
    """The models a person may choose with /model: active, and with their key present."""
    specs = [ModelSpec.from_model(model) for model in _active_models()]
    return [spec for spec in specs if not spec.key_missing]


def default_model_spec() -> ModelSpec | None:
    """LLM_DEFAULT_MODEL wins over the registry's default flag; else the first active model."""
    model = (
        _by_name(settings.LLM_DEFAULT_MODEL)
        or _active_models().filter(is_default=True).first()
        or _active_models().first()
    )
    return ModelSpec.from_model(model) if model else None


def fallback_model_spec() -> ModelSpec | None:
    """The model to try when the chosen one keeps failing (LLM_FALLBACK_MODEL)."""
    model = _by_name(settings.LLM_FALLBACK_MODEL)
    return ModelSpec.from_model(model) if model else None


def model_spec_for(*, contact_id: int) -> tuple[ModelSpec | None, bool]:
    """The model that answers a contact: their choice while it is usable, else the default.

    The flag says whether a choice had to be replaced, so the person can be told.
    """
    chosen = ModelChoice.objects.filter(contact_id=contact_id).values_list("model_id", flat=True)
    model_id = chosen.first()
    if model_id is None:
        return default_model_spec(), False
    return usable_model_spec(model_id=model_id)


def usable_model_spec(*, model_id: int) -> tuple[ModelSpec | None, bool]:
    """The model `model_id` if it is active and has its key; else the default, flagged as a
    replacement."""
    model = _active_models().filter(pk=model_id).first()
    spec = ModelSpec.from_model(model) if model else None
    if spec is not None and not spec.key_missing:
        return spec, False
    return default_model_spec(), True
