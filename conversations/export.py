"""Streaming CSV export of leads.

import-export builds a whole `tablib.Dataset` of model instances before writing a byte; for
100,000 leads that is slow and holds the table in memory. Here the same columns and headers as
`ContactResource` are written from `values_list().iterator()` in chunks, so memory stays flat
and the first bytes leave at once. Every cell passes `core.spreadsheets.defuse_formula`, the
rule the XLSX export follows too, and the file starts with the byte order mark Excel needs.
"""

import io
import logging
from collections.abc import Callable, Iterator

from django.utils import timezone

from conversations.models import Contact
from conversations.resources import EXPORT_DATETIME_FORMAT, ContactResource, contact_full_name
from core.spreadsheets import defuse_formula, spreadsheet_csv_writer

logger = logging.getLogger(__name__)

#: Rows fetched per database round trip and written per yielded chunk.
CHUNK_SIZE = 2000


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


#: For each ContactResource field: the model columns it is built from and how to render them.
_COLUMNS: dict[str, tuple[tuple[str, ...], Callable[[], Callable]]] = {
    "id": (("id",), lambda: str),
    "name": (("first_name", "last_name"), lambda: contact_full_name),
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


def _row_plan(field_names: list[str]) -> tuple[list[str], Callable[[tuple], list[str]]]:
    """The columns to select and a function turning one selected tuple into CSV cells."""
    sources = list(dict.fromkeys(source for name in field_names for source in _COLUMNS[name][0]))
    getters = []
    for name in field_names:
        columns, make_renderer = _COLUMNS[name]
        indexes = [sources.index(column) for column in columns]
        getters.append(_cell_getter(make_renderer(), indexes))
    return sources, lambda row: [get(row) for get in getters]


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
    for row in queryset.values_list(*sources).iterator(chunk_size=CHUNK_SIZE):
        writer.writerow(build_row(row))
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
