"""Loading the staff's prompts from a file or URL."""

from __future__ import annotations

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
