"""Adding to the daily counters: summed per row, then one additive upsert a table, in key order.

The path every stored message takes runs plain SQL (table names from the models, values as
parameters): building the ORM's queries was most of its cost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from django.db import connection
from django.db.models import Model

from analytics.models import NO_BOT, DailyConversations, DailyLatency, DailyLeads, DailyUsage

DAILY_MODELS = (DailyLeads, DailyConversations, DailyUsage, DailyLatency)
#: Rows a statement writes (or a rebuild keeps in memory) at once.
BATCH = 500


class Segment(NamedTuple):
    """What a lead's numbers are counted under: its bot and its current source."""

    bot_id: int
    source: str

    @classmethod
    def of(cls, bot_id: int | None, source: str) -> Segment:
        """The segment of a lead with `bot_id` (None: the terminal chat's, `NO_BOT`)."""
        return cls(NO_BOT if bot_id is None else bot_id, source)


#: One fact for a daily table: (model, day, segment, the rest of the key, the counts).
Fact = tuple[type[Model], date, Segment, tuple, tuple[int, ...]]


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def fetch_one(sql: str, *params) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def execute(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


class Changes:
    """Additions to the daily counters, summed per row, then written in one statement a table."""

    def __init__(self) -> None:
        self._rows: dict[type[Model], dict[tuple, list[int]]] = defaultdict(dict)

    def add(self, facts: Iterable[Fact], *, sign: int = 1, segment: Segment | None = None) -> None:
        """Count `facts` (`sign=-1` takes them away), under `segment` instead of their own."""
        for model, day, own_segment, rest, counts in facts:
            key = (day, *(own_segment if segment is None else segment), *rest)
            row = self._rows[model].setdefault(key, [0] * len(counts))
            for index, count in enumerate(counts):
                row[index] += sign * count

    def rows(self, model: type[Model]) -> dict[tuple, list[int]]:
        return {key: counts for key, counts in self._rows[model].items() if any(counts)}

    def write(self) -> None:
        for model in DAILY_MODELS:
            rows = sorted(self.rows(model).items())
            for start in range(0, len(rows), BATCH):
                _upsert(model, rows[start : start + BATCH])


def write_facts(facts: Iterable[Fact], *, sign: int = 1, segment: Segment | None = None) -> None:
    """`Changes.add` then `Changes.write`, for a change that only adds or only takes away."""
    changes = Changes()
    changes.add(facts, sign=sign, segment=segment)
    changes.write()


def _key_fields(model: type[Model]) -> tuple[str, ...]:
    return tuple(model._meta.constraints[0].fields)


def _count_fields(model: type[Model]) -> tuple[str, ...]:
    keys = _key_fields(model)
    return tuple(
        field.name
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in keys
    )


def _upsert(model: type[Model], rows: list[tuple[tuple, list[int]]]) -> None:
    """Add `rows` to the table: a missing row is created, an existing one has the counts added."""
    quote = connection.ops.quote_name
    name = table(model)
    keys, counts = _key_fields(model), _count_fields(model)
    fields = [model._meta.get_field(field) for field in (*keys, *counts)]
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {name} ({', '.join(quote(field.column) for field in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row_sql] * len(rows))} "
        f"ON CONFLICT ({', '.join(quote(field.column) for field in fields[: len(keys)])}) "
        "DO UPDATE SET "
        + ", ".join(
            f"{column} = {name}.{column} + excluded.{column}"
            for column in (quote(field.column) for field in fields[len(keys) :])
        )
    )
    params = [
        field.get_db_prep_save(value, connection)
        for key, values in rows
        for field, value in zip(fields, (*key, *values), strict=True)
    ]
    execute(sql, *params)
