"""Writes to the catalog: loading services from a file or URL."""

from __future__ import annotations

from assistant.data_sources import (
    LoadResult,
    SourceRecord,
    deactivate_missing,
    reject_duplicates,
    upsert,
)
from catalog.models import Service

SERVICE_FIELDS = (
    "slug",
    "title",
    "short_description",
    "description",
    "price",
    "currency",
    "duration",
    "is_active",
    "position",
)


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
    record.check_fields(SERVICE_FIELDS)
    slug = record.text("slug", required=True)
    values = {
        "title": record.text("title", required=True),
        "short_description": record.text("short_description"),
        "description": record.text("description"),
        "price": record.decimal("price", default=None),
        "currency": record.text("currency", default="RUB").upper(),
        "duration": record.text("duration"),
        "is_active": record.boolean("is_active", default=True),
        "position": record.integer("position", default=0),
    }
    record.validate(Service(slug=slug, **values))
    return slug, values
