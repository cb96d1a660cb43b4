"""Writes to the LLM registry (loading providers and models from a file or URL) and of the model
each lead chose."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistant.models import Capability, LLMModel, LLMProvider, ModelChoice, VoiceChoice
from core.data_sources import (
    LoadResult,
    SourceRecord,
    deactivate_missing,
    reject_duplicates,
    upsert,
)

PROVIDER_FIELDS = ("base_url", "api_key_env", "timeout_seconds", "connect_timeout_seconds")
MODEL_FIELDS = (
    "model_id",
    "display_name",
    "is_active",
    "is_default",
    "supports_tools",
    "capabilities",
    "temperature",
    "max_output_tokens",
    "context_window",
    "input_price_per_million",
    "output_price_per_million",
    "position",
)


@dataclass(frozen=True)
class _ModelRow:
    record: SourceRecord
    key: tuple[str, str]
    values: dict


def contact_set_model(*, contact_id: int, model_id: int | None) -> None:
    """Remember the model the lead chose; None forgets the choice, so the default answers."""
    if model_id is None:
        ModelChoice.objects.filter(contact_id=contact_id).delete()
    else:
        ModelChoice.objects.update_or_create(contact_id=contact_id, defaults={"model_id": model_id})


def contact_set_voice(*, contact_id: int, speaks_answers: bool) -> None:
    """Remember whether the lead wants answers read aloud too (/voice on|off)."""
    VoiceChoice.objects.update_or_create(
        contact_id=contact_id, defaults={"speaks_answers": speaks_answers}
    )


def llm_registry_load(
    *, records: list[SourceRecord], update: bool = True, prune: bool = False
) -> LoadResult:
    """Create or update providers (by name) and models (by provider and model id).

    Records are either providers with a nested `models` list (YAML, JSON) or flat rows,
    one model per row with its provider's columns (a spreadsheet CSV).
    """
    providers, rows = _registry_rows(records)
    existing_providers = {(provider.name,): provider for provider in LLMProvider.objects.all()}
    existing_models = {
        (model.provider.name, model.model_id): model
        for model in LLMModel.objects.select_related("provider")
    }
    result = LoadResult()
    saved_providers = {
        name: upsert(
            model=LLMProvider,
            existing=existing_providers,
            key=(name,),
            lookup={"name": name},
            values=values,
            update=update,
            result=result,
        )
        for name, values in providers.items()
    }
    rows = _settle_default(rows, existing_models, update=update, result=result)
    for row in rows:
        upsert(
            model=LLMModel,
            existing=existing_models,
            key=row.key,
            lookup={"provider": saved_providers[row.key[0]], "model_id": row.key[1]},
            values=row.values,
            update=update,
            result=result,
        )
    if prune:
        kept = {row.key for row in rows}
        deactivate_missing(existing=existing_models, kept=kept, result=result, is_default=False)
    return result


def _settle_default(rows, existing_models, *, update: bool, result: LoadResult):
    """Keep at most one default model at every write (a database constraint demands it).

    On update the file's default wins: the old default is cleared first and the new one is
    written last. When only creating, a default chosen by staff stays the default.
    """
    default = next((row for row in rows if row.values["is_default"]), None)
    if default is None:
        return rows
    current = [model for model in existing_models.values() if model.is_default]
    if not update:
        if current and default.key not in existing_models:
            default.values["is_default"] = False
        return rows
    listed = {row.key for row in rows}
    for key, model in existing_models.items():
        if model.is_default and key not in listed:
            model.is_default = False
            model.save(update_fields=["is_default", "updated_at"])
            result.updated += 1
    return sorted(rows, key=lambda row: row.values["is_default"])


def _registry_rows(records: list[SourceRecord]) -> tuple[dict[str, dict], list[_ModelRow]]:
    providers: dict[str, dict] = {}
    rows: list[_ModelRow] = []
    for record in records:
        if "provider" in record.data:
            rows.append(_flat_row(record, providers))
        else:
            rows.extend(_nested_provider(record, providers))
    reject_duplicates([row.record for row in rows], [row.key for row in rows])
    defaults = [row for row in rows if row.values["is_default"]]
    if len(defaults) > 1:
        raise defaults[1].record.error(
            _("only one model can be the default; %(model)s is marked already.")
            % {"model": " / ".join(defaults[0].key)}
        )
    return providers, rows


def _nested_provider(record: SourceRecord, providers: dict[str, dict]) -> list[_ModelRow]:
    record.check_fields(("name", *PROVIDER_FIELDS, "models"))
    name = record.text("name", required=True)
    if name in providers:
        raise record.error(_("provider %(name)s is listed twice.") % {"name": name})
    providers[name] = _provider_values(record, name)
    models = record.data.get("models") or []
    if not isinstance(models, list):
        raise record.error(_("“models” must be a list."))
    rows = []
    for number, item in enumerate(models, start=1):
        child = record.child(item, _("model %d") % number)
        child.check_fields(MODEL_FIELDS)
        rows.append(_model_row(child, name))
    return rows


def _flat_row(record: SourceRecord, providers: dict[str, dict]) -> _ModelRow:
    """A spreadsheet row: the first row of a provider describes it, later rows may leave it out."""
    record.check_fields(("provider", *PROVIDER_FIELDS, *MODEL_FIELDS))
    name = record.text("provider", required=True)
    if name not in providers:
        providers[name] = _provider_values(record, name)
    elif any(record.has(field) for field in PROVIDER_FIELDS) and (
        _provider_values(record, name) != providers[name]
    ):
        raise record.error(
            _("provider %(name)s is described differently in an earlier row.") % {"name": name}
        )
    return _model_row(record, name)


def _provider_values(record: SourceRecord, name: str) -> dict:
    values = {
        "base_url": record.text("base_url", required=True),
        "api_key_env": record.text("api_key_env"),
        "timeout_seconds": record.number("timeout_seconds", default=30.0),
        "connect_timeout_seconds": record.number("connect_timeout_seconds", default=5.0),
    }
    record.validate(LLMProvider(name=name, **values))
    return values


def _model_row(record: SourceRecord, provider: str) -> _ModelRow:
    model_id = record.text("model_id", required=True)
    values = {
        "display_name": record.text("display_name", default=model_id),
        "is_active": record.boolean("is_active", default=True),
        "is_default": record.boolean("is_default", default=False),
        "supports_tools": record.boolean("supports_tools", default=True),
        "capabilities": _capabilities(record),
        "temperature": record.number("temperature", default=0.3),
        "max_output_tokens": record.integer("max_output_tokens", default=800),
        "context_window": record.integer("context_window", default=8192),
        "input_price_per_million": record.decimal("input_price_per_million", default=0),
        "output_price_per_million": record.decimal("output_price_per_million", default=0),
        "position": record.integer("position", default=0),
    }
    record.validate(LLMModel(model_id=model_id, **values), exclude=["provider"])
    return _ModelRow(record, (provider, model_id), values)


def _capabilities(record: SourceRecord) -> list[str]:
    """A list, or text such as "transcription" or "chat, speech"; chat when not given."""
    given = record.data.get("capabilities")
    if isinstance(given, list):
        return [str(item).strip() for item in given]
    named = record.text("capabilities", default=Capability.CHAT)
    return [item for item in named.replace(",", " ").split() if item]


def llm_model_mark_default(*, model: LLMModel) -> None:
    """Make `model` the only default model.

    The old default is cleared before the new one is set, inside one transaction: the
    database allows a single default, and the registry is never left without one midway.
    """
    with transaction.atomic():
        LLMModel.objects.filter(is_default=True).exclude(pk=model.pk).update(
            is_default=False, updated_at=timezone.now()
        )
        model.is_default = True
        model.save(update_fields=["is_default", "updated_at"])


LOCAL_PROVIDER = "Local"


def llm_local_model_use(*, base_url: str, model_id: str, context_window: int) -> LLMModel:
    """Register a model of a server on this machine and make it the one that answers.

    Local servers need no key, so the provider names no key variable. Structured output goes
    through JSON (`supports_tools` off): local servers differ in forced tool calls.
    """
    with transaction.atomic():
        provider, _created = LLMProvider.objects.update_or_create(
            name=LOCAL_PROVIDER,
            defaults={"base_url": base_url, "api_key_env": "", "timeout_seconds": 120.0},
        )
        model, _created = LLMModel.objects.update_or_create(
            provider=provider,
            model_id=model_id,
            defaults={
                "display_name": f"{model_id} (local)",
                "is_active": True,
                "supports_tools": False,
                "context_window": context_window,
                "input_price_per_million": 0,
                "output_price_per_million": 0,
            },
        )
        llm_model_mark_default(model=model)
    return model
