"""Streaming CSV export of leads.

import-export builds a whole `tablib.Dataset` of model instances before writing a byte; for
100,000 leads that is slow and holds the table in memory. Here the same columns and headers as
`ContactResource` are written from `values_list().iterator()` in chunks, so memory stays flat
and the first bytes leave at once. Every cell passes `core.spreadsheets.defuse_formula`, the
rule the XLSX export follows too, and the file starts with the byte order mark Excel needs.
"""

import io
import logging
from collections.abc import Callable, Iterator, Mapping
from operator import itemgetter

from django.utils import timezone

from conversations.models import Contact, full_name
from conversations.resources import (
    CARD_FIELD_PREFIX,
    CHUNK_SIZE,
    EXPORT_DATETIME_FORMAT,
    EXPORT_ORDER,
    ContactResource,
    with_lead_details,
)
from core.spreadsheets import defuse_formula, spreadsheet_csv_writer

logger = logging.getLogger(__name__)


def _text(value) -> str:
    return "" if value is None else str(value)


def _datetime_renderer() -> Callable[[object], str]:
    # The zone is looked up once per export, not once per cell.
    zone = timezone.get_current_timezone()
    return lambda value: value.astimezone(zone).strftime(EXPORT_DATETIME_FORMAT) if value else ""


def _status_renderer() -> Callable[[str], str]:
    # Labels are translated once per export, not once per row.
    labels = {value: str(label) for value, label in Contact.Status.choices}
    return lambda status: labels.get(status, status)


#: For each ContactResource field of the lead's own columns: the model columns it is built
#: from and how to render them.
_COLUMNS: dict[str, tuple[tuple[str, ...], Callable[[], Callable]]] = {
    "id": (("id",), lambda: str),
    "name": (("first_name", "last_name"), lambda: full_name),
    "username": (("username",), lambda: _text),
    "phone": (("phone",), lambda: _text),
    "email": (("email",), lambda: _text),
    "status": (("status",), _status_renderer),
    "source": (("source",), lambda: _text),
    "created": (("created_at",), _datetime_renderer),
    "last_message": (("last_message_at",), _datetime_renderer),
    "language": (("language_code",), lambda: _text),
    "consent": (("consent_at",), _datetime_renderer),
}


def _cell_getter(render: Callable, indexes: list[int]) -> Callable[[tuple], str]:
    if len(indexes) == 1:
        (index,) = indexes
        return lambda row: defuse_formula(render(row[index]))
    return lambda row: defuse_formula(render(*(row[index] for index in indexes)))


def _row_plan(field_names: list[str]) -> tuple[list[str], Callable[..., list]]:
    """The columns to select (the id first) and a function turning a lead into CSV cells.

    `ContactResource` lists the lead's own columns, then the interests, then the card.
    """
    own = [name for name in field_names if name in _COLUMNS]
    sources = list(dict.fromkeys(["id", *(c for name in own for c in _COLUMNS[name][0])]))
    getters = []
    for name in own:
        columns, make_renderer = _COLUMNS[name]
        getters.append(_cell_getter(make_renderer(), [sources.index(c) for c in columns]))
    with_interests = "interests" in field_names
    keys = [
        name.removeprefix(CARD_FIELD_PREFIX)
        for name in field_names
        if name.startswith(CARD_FIELD_PREFIX)
    ]

    def build_row(row: tuple, card: Mapping[str, str], interests: str) -> list:
        cells = [get(row) for get in getters]
        if with_interests:
            cells.append(defuse_formula(interests))
        cells.extend(defuse_formula(card[key]) if key in card else "" for key in keys)
        return cells

    return sources, build_row


def stream_contacts_csv(
    queryset, *, selected_fields=None, on_complete: Callable[[int], None]
) -> Iterator[bytes]:
    """Yield the CSV of `queryset` in import-export's columns and layout, chunk by chunk.

    `selected_fields` are the resource fields staff ticked on the export form (all if empty);
    `on_complete` gets the number of rows once the last chunk is out.
    """
    resource = ContactResource()
    export_fields = resource.get_export_fields(selected_fields)
    field_names = [resource.get_field_name(field) for field in export_fields]
    sources, build_row = _row_plan(field_names)

    buffer = io.StringIO()
    writer = spreadsheet_csv_writer(buffer)
    writer.writerow(resource.get_export_headers(selected_fields))
    count = 0
    rows = queryset.order_by(EXPORT_ORDER).values_list(*sources).iterator(chunk_size=CHUNK_SIZE)
    for row, card, interests in with_lead_details(queryset, rows, contact_id=itemgetter(0)):
        writer.writerow(build_row(row, card, interests))
        count += 1
        if count % CHUNK_SIZE == 0:
            yield _drain(buffer)
    yield _drain(buffer)
    on_complete(count)


def _drain(buffer: io.StringIO) -> bytes:
    chunk = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return chunk


def log_leads_exported(*, count: int, file_format: str, user_id: int) -> None:
    """Who exported how many leads in which format: an audit line without personal data."""
    logger.info(
        "leads exported: count=%s format=%s user_id=%s",
        count,
        file_format,
        user_id,
    )
