"""Writes to the catalog: loading services from a file or URL."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.utils.translation import gettext as _

from catalog.models import Service
from core.data_sources import (
    LoadResult,
    SourceRecord,
    deactivate_missing,
    reject_duplicates,
    upsert,
)

#: The texts a person reads, by the record's field and the model's language map.
TEXT_FIELDS = {
    "title": "titles",
    "short_description": "short_descriptions",
    "description": "descriptions",
    "duration": "durations",
}
OTHER_FIELDS = ("slug", "price", "currency", "is_active", "position")


def services_load(
    *, records: list[SourceRecord], update: bool = True, prune: bool = False
) -> LoadResult:
    """Create or update services keyed by slug; every record is checked before the first write."""
    rows = [_service_row(record) for record in records]
    reject_duplicates(records, [(slug,) for slug, _values in rows])
    existing = {(service.slug,): service for service in Service.objects.all()}
    result = LoadResult()
    for slug, values in rows:
        upsert(
            model=Service,
            existing=existing,
            key=(slug,),
            lookup={"slug": slug},
            values=values,
            update=update,
            result=result,
        )
    if prune:
        kept = {(slug,) for slug, _values in rows}
        deactivate_missing(existing=existing, kept=kept, result=result)
    return result


def _service_row(record: SourceRecord) -> tuple[str, dict]:
    """An empty price means "price on request", which the assistant must say instead of a sum."""
    record.check_fields(_field_names())
    slug = record.text("slug", required=True)
    values = {model_field: _texts(record, name) for name, model_field in TEXT_FIELDS.items()}
    if not values["titles"].get(settings.LANGUAGE_CODE):
        raise record.error(
            _("the title in the site language (%(language)s) is missing.")
            % {"language": settings.LANGUAGE_CODE}
        )
    values.update(
        price=record.decimal("price", default=None),
        currency=record.text("currency", default="RUB").upper(),
        is_active=record.boolean("is_active", default=True),
        position=record.integer("position", default=0),
    )
    record.validate(Service(slug=slug, **values))
    return slug, values


def _field_names() -> list[str]:
    codes = [code for code, _name in settings.LANGUAGES]
    columns = [f"{name}_{code}" for name in TEXT_FIELDS for code in codes]
    return [*OTHER_FIELDS, *TEXT_FIELDS, *columns]


def _texts(record: SourceRecord, name: str) -> dict[str, str]:
    """A text per language, written as any of:

    - a map, `title: {ru: ..., en: ...}` (YAML, JSON);
    - plain text, `title: ...`, which is the site language's;
    - a column per language, `title_en` (a spreadsheet cannot nest a map in a cell).
    """
    if isinstance(record.data.get(name), Mapping):
        texts = record.language_map(name)
    else:
        text = record.text(name)
        texts = {settings.LANGUAGE_CODE: text} if text else {}
    for code, _language in settings.LANGUAGES:
        column = f"{name}_{code}"
        if not record.has(column):
            continue
        if code in texts:
            raise record.error(
                _("“%(field)s” in “%(language)s” is given twice, also as “%(column)s”.")
                % {"field": name, "language": code, "column": column}
            )
        texts[code] = record.text(column)
    return texts
