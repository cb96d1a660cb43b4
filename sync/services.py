"""A sync: fetch the source (asking an http server only for a change), check every record,
apply it all in one transaction as the load commands do, and record what changed in words.

A source that cannot be fetched or read, or holds a bad record, changes nothing: the last
good version stays, the run records the error and the source keeps it until a sync succeeds
(the alerts tell staff meanwhile). Prompts edited by a sync carry "Sync: <source>" in their
history, as an admin edit carries its author.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

from django.db import models, transaction
from django.utils import timezone

from assistant.management.commands.load_models import LOADER as MODELS_LOADER
from assistant.models import LLMModel, LLMProvider
from catalog.management.commands.load_catalog import LOADER as CATALOG_LOADER
from catalog.models import Service
from conversations.management.commands.load_prompts import LOADER as PROMPTS_LOADER
from conversations.models import Prompt
from core.data_sources import DataSourceError, Loader, fetch, parse_records
from discovery.management.commands.load_scenarios import LOADER as SCENARIOS_LOADER
from discovery.models import Scenario, ScenarioField
from sync.models import SyncRun, SyncSource

logger = logging.getLogger(__name__)

Kind = SyncSource.Kind
LOADERS: dict[str, Loader] = {
    Kind.PROMPTS: PROMPTS_LOADER,
    Kind.CATALOG: CATALOG_LOADER,
    Kind.MODELS: MODELS_LOADER,
    Kind.SCENARIOS: SCENARIOS_LOADER,
}
#: The tables a kind of source writes, read before and after to tell what changed.
WRITES: dict[str, tuple[type[models.Model], ...]] = {
    Kind.PROMPTS: (Prompt,),
    Kind.CATALOG: (Service,),
    Kind.MODELS: (LLMProvider, LLMModel),
    Kind.SCENARIOS: (Scenario, ScenarioField),
}
#: Bookkeeping columns that say nothing about the content.
NOT_CONTENT = {"id", "created_at", "updated_at", "updated_by"}
#: A value longer than this is cut in the changes' text.
SHOWN_CHARS = 120
#: What a prompt's history says of a change a sync made (as an admin edit names its author).
SOURCE_NAME_IN_HISTORY = "Sync: %s"

Snapshot = dict[tuple[str, int], tuple[str, dict[str, str]]]


def snapshot(tables: tuple[type[models.Model], ...]) -> Snapshot:
    """Each row's name for staff and its content columns as text, by table and id."""
    rows: Snapshot = {}
    for model in tables:
        columns = [f for f in model._meta.concrete_fields if f.name not in NOT_CONTENT]
        for row in model.objects.all():
            name = f"{model._meta.verbose_name} «{row}»"
            rows[(model._meta.label, row.pk)] = (name, {f.name: _text(f, row) for f in columns})
    return rows


def _text(field: models.Field, row: models.Model) -> str:
    """A column's value as text; JSON (texts per language) with its keys in order."""
    value = field.value_to_string(row)
    return (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )


def describe_changes(before: Snapshot, after: Snapshot) -> str:
    """One line per row added (+), removed (-) or changed (~, with each column's old and new
    value), in table and id order."""
    lines = []
    for key in sorted(before.keys() | after.keys()):
        if key not in before:
            lines.append(f"+ {after[key][0]}")
        elif key not in after:
            lines.append(f"- {before[key][0]}")
        else:
            name, old = before[key]
            new = after[key][1]
            lines += [
                f"~ {name}: {column}: {_shown(old[column])} → {_shown(new[column])}"
                for column in new
                if old.get(column) != new[column]
            ]
    return "\n".join(lines)


def _shown(value: str) -> str:
    value = " ".join(value.split())
    return repr(value if len(value) <= SHOWN_CHARS else value[: SHOWN_CHARS - 1] + "…")


def sync_source(source_id: int, *, now: dt.datetime | None = None, by_staff: bool = False):
    """Sync the source once and schedule its next sync; the run, as recorded."""
    now = now or timezone.now()
    source = SyncSource.objects.get(pk=source_id)
    try:
        run = _sync(source, now, by_staff)
    except Exception as error:  # anything at all: the last good version stays
        if not isinstance(error, DataSourceError):
            logger.exception("Sync of %s failed", source)
        run = SyncRun.objects.create(
            source=source,
            started_at=now,
            outcome=SyncRun.Outcome.FAILED,
            error=str(error) or type(error).__name__,
            by_staff=by_staff,
        )
        source.last_error = run.error
    source.next_run_at = now + dt.timedelta(minutes=source.every_minutes)
    source.claimed_until = None
    source.save()
    return run


def _sync(source: SyncSource, now: dt.datetime, by_staff: bool) -> SyncRun:
    fetched = fetch(source.location, etag=source.etag, last_modified=source.last_modified)
    digest = hashlib.sha256(fetched.body).hexdigest() if fetched.body is not None else ""
    if fetched.body is None or digest == source.content_hash:
        source.last_error = ""
        return SyncRun.objects.create(
            source=source, started_at=now, outcome=SyncRun.Outcome.UNCHANGED, by_staff=by_staff
        )
    loader = LOADERS[source.kind]
    records = parse_records(
        source.location, fetched, root_key=loader.root_key, fmt=source.format or None
    )
    with transaction.atomic():
        before = snapshot(WRITES[source.kind])
        result = loader.load(records=records, update=True, prune=source.prune)
        changes = describe_changes(before, snapshot(WRITES[source.kind]))
        Prompt.history.filter(history_date__gte=now).update(
            history_change_reason=(SOURCE_NAME_IN_HISTORY % source.name)[:100]
        )
        run = SyncRun.objects.create(
            source=source,
            started_at=now,
            outcome=SyncRun.Outcome.APPLIED,
            summary=str(result),
            changes=changes,
            by_staff=by_staff,
        )
    source.etag, source.last_modified = fetched.etag, fetched.last_modified
    source.content_hash, source.last_error = digest, ""
    logger.info("Synced %s: %s", source, result)
    return run
