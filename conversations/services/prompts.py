"""Writes of the staff's prompts: loading them from a file or URL, a change through the API."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from conversations.models import Prompt
from core.data_sources import (
    LoadResult,
    SourceRecord,
    deactivate_missing,
    reject_duplicates,
    upsert,
)

PROMPT_FIELDS = ("key", "language", "text", "is_active")


def prompts_load(
    *, records: list[SourceRecord], update: bool = True, prune: bool = False
) -> LoadResult:
    """Create or update prompts keyed by (key, language) from loaded records.

    Every record is checked before the first write; saving through the model keeps a
    history entry per change, so staff can see and restore what a load replaced.
    """
    rows = [_prompt_row(record) for record in records]
    reject_duplicates(records, [key for key, _values in rows])
    existing = {(prompt.key, prompt.language): prompt for prompt in Prompt.objects.all()}
    result = LoadResult()
    for (key, language), values in rows:
        upsert(
            model=Prompt,
            existing=existing,
            key=(key, language),
            lookup={"key": key, "language": language},
            values=values,
            update=update,
            result=result,
        )
    if prune:
        deactivate_missing(existing=existing, kept={key for key, _values in rows}, result=result)
    return result


def _prompt_row(record: SourceRecord) -> tuple[tuple[str, str], dict]:
    record.check_fields(PROMPT_FIELDS)
    key = record.text("key", required=True)
    language = record.text("language", required=True)
    values = {
        "text": record.text("text", required=True),
        "is_active": record.boolean("is_active", default=True),
    }
    record.validate(Prompt(key=key, language=language, **values))
    return (key, language), values


def prompt_update(
    *,
    prompt_id: int,
    user_id: int,
    reason: str,
    text: str | None = None,
    active: bool | None = None,
) -> None:
    """Change a prompt as an admin save does: through the model, so its history gets an entry
    (by `user_id`, with `reason`) and the bots read the new text with their next message
    (the configuration's version changes with the save)."""
    prompt = Prompt.objects.get(pk=prompt_id)
    if text is not None:
        prompt.text = text
    if active is not None:
        prompt.is_active = active
    prompt.full_clean()
    prompt.updated_by_id = user_id
    prompt._history_user = get_user_model().objects.get(pk=user_id)
    prompt._change_reason = reason[:100]
    prompt.save()
