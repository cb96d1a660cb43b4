"""Cursor pagination over (time, id): opaque to clients, stable while rows are added.

A page ends at a row; the next page starts strictly after that row in the list's order, so a
row added meanwhile never shifts the pages (no row twice, none skipped), unlike offsets.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from ninja.errors import HttpError

MAX_LIMIT = 100


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def paginate(
    rows: QuerySet,
    *,
    cursor: str | None,
    limit: int,
    newest_first: bool,
    time_field: str = "created_at",
) -> Page:
    """A page of `rows` after `cursor`, in the order of `time_field`, then id."""
    order = (f"-{time_field}", "-id") if newest_first else (time_field, "id")
    if cursor:
        time, row_id = _decode(cursor)
        after = "lt" if newest_first else "gt"
        rows = rows.filter(
            Q(**{f"{time_field}__{after}": time}) | Q(**{time_field: time, f"id__{after}": row_id})
        )
    items = list(rows.order_by(*order)[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return Page(items, cursor_of(getattr(items[-1], time_field), items[-1].pk) if more else None)


def cursor_of(time: datetime, row_id: int) -> str:
    """The cursor of the page after the row of this time and id."""
    raw = json.dumps([time.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, row_id = json.loads(raw)
        created_at = datetime.fromisoformat(created_at)
        if created_at.tzinfo is None or not 0 < int(row_id) < 2**63:
            raise ValueError(cursor)
        return created_at, int(row_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise HttpError(400, _("The cursor is not one this API gave.")) from None
