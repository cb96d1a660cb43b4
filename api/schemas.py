"""The shapes of what the API answers that every part shares: errors and pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from django.utils import timezone
from ninja import Path, Query, Schema
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StrictInt

from api.cursors import MAX_LIMIT


class Body(BaseModel):
    """A request's JSON body: a plain Pydantic model, which takes an object only (ninja's
    `Schema` reads fields off any value, so `[null]` would pass as an empty change)."""


class Error(Schema):
    detail: str
    #: The scope the token lacks (403).
    scope: str | None = None
    #: What was wrong with each part of the request (422).
    errors: list[dict[str, Any]] | None = None


#: The errors any operation may answer with, beside its own.
ERRORS = {400: Error, 401: Error, 403: Error, 429: Error}
WITH_INPUT = {**ERRORS, 422: Error}
ONE = {**WITH_INPUT, 404: Error}

#: The largest id a database keeps (a signed 64-bit integer).
MAX_ID = 2**63 - 1
#: A row's id: larger numbers are not ids, and refused as such rather than sent to the database.
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
PathId = Path(..., ge=1, le=MAX_ID)


def _iso_text(pattern: str):
    """Dates and times of a query only as the schema writes them (pydantic would also read a
    number as seconds since 1970)."""

    def check(value):
        if isinstance(value, str) and re.fullmatch(pattern, value):
            return value
        raise ValueError("an ISO 8601 date (and time) is expected")

    return BeforeValidator(check)


def _aware(value: datetime) -> datetime:
    """A time without an offset is read in the site's time zone. Every time is turned into
    UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows (up to ±23:59)."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None


IsoDate = Annotated[date, _iso_text(r"\d{4}-\d{2}-\d{2}")]
IsoDateTime = Annotated[
    datetime, _iso_text(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*"), AfterValidator(_aware)
]

Limit = Query(50, ge=1, le=MAX_LIMIT, description="How many items per page (at most 100).")
Cursor = Query(
    None, max_length=200, description="`next_cursor` of the previous page; none: the first page."
)
