"""Writing what was read: every source in one transaction, each record created or updated."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import models, transaction
from django.utils.translation import gettext as _

from core.data_sources.reading import read_records
from core.data_sources.records import SourceRecord


@dataclass
class LoadResult:
    """What a load did (or would do, on a dry run), for the command's summary line."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0

    def __str__(self):
        return _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(deactivated)d deactivated"
        ) % vars(self)


@dataclass(frozen=True)
class Loader:
    """One kind of data: where its shipped defaults live and the service that loads it."""

    label: str
    root_key: str
    default_source: Path
    load: Callable[..., LoadResult]


@dataclass(frozen=True)
class LoadJob:
    loader: Loader
    source: str
    fmt: str | None = None


def run_loads(jobs: Iterable[LoadJob], *, update: bool, prune: bool, dry_run: bool):
    """Read every source first, then write all of them in one transaction: all or nothing.

    Downloads happen before the transaction opens, so a slow URL never holds a lock.
    """
    ready = [
        (job.loader, read_records(job.source, root_key=job.loader.root_key, fmt=job.fmt))
        for job in jobs
    ]
    with transaction.atomic():
        results = [
            (loader.label, loader.load(records=records, update=update, prune=prune))
            for loader, records in ready
        ]
        if dry_run:
            transaction.set_rollback(True)
    return results


def upsert(
    *,
    model: type[models.Model],
    existing: dict,
    key: tuple,
    lookup: dict,
    values: dict,
    update: bool,
    result: LoadResult,
) -> models.Model:
    """Create the record, or update only the fields that differ (so history stays meaningful).

    With `update=False` an existing record is left as staff last saved it.
    """
    instance = existing.get(key)
    if instance is None:
        instance = model(**lookup, **values)
        instance.save()
        existing[key] = instance
        result.created += 1
        return instance
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if not update or not changed:
        result.unchanged += 1
        return instance
    for name in changed:
        setattr(instance, name, values[name])
    instance.save(update_fields=[*changed, "updated_at"])
    result.updated += 1
    return instance


def deactivate_missing(*, existing: dict, kept: set, result: LoadResult, **extra) -> None:
    """`--prune`: switch off records the source no longer lists; deleting would lose history."""
    for key, instance in existing.items():
        if key in kept or not instance.is_active:
            continue
        instance.is_active = False
        for name, value in extra.items():
            setattr(instance, name, value)
        instance.save(update_fields=["is_active", *extra, "updated_at"])
        result.deactivated += 1


def reject_duplicates(records: list[SourceRecord], keys: list[tuple]) -> None:
    seen = set()
    for record, key in zip(records, keys, strict=True):
        if key in seen:
            raise record.error(
                _("duplicate record for %(key)s.") % {"key": " / ".join(map(str, key))}
            )
        seen.add(key)
