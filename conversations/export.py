"""Streaming CSV export of leads.

import-export builds a whole `tablib.Dataset` of model instances before writing a byte; for
100,000 leads that is slow and holds the table in memory. Here the same columns and headers as
the admin's resource (`ContactResource` or a subclass) are written from
`values_list().iterator()` in chunks, so memory stays flat and the first bytes leave at once.
Every cell passes `core.spreadsheets.defuse_formula`, the rule the XLSX export follows too,
and the file starts with the byte order mark Excel needs.
"""

import io
import logging
from collections.abc import Callable, Iterator, Mapping
from operator import itemgetter

from django.utils import timezone

from conversations.models import Contact, full_name
from conversations.resources import (
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
    "consent_version": (("consent_policy_version",), lambda: _text),
    "bot": (("bot__name",), lambda: _text),
}


#: A cell of a lead: from its row of `values_list` and its details (`ContactResource.lead_details`).
CellGetter = Callable[[tuple, Mapping[str, str]], str]


def _own_cell(render: Callable, indexes: list[int]) -> CellGetter:
    if len(indexes) == 1:
        (index,) = indexes
        return lambda row, _details: defuse_formula(render(row[index]))
    return lambda row, _details: defuse_formula(render(*(row[index] for index in indexes)))


def _detail_cell(name: str) -> CellGetter:
    return lambda _row, details: defuse_formula(details.get(name, ""))


def _row_plan(field_names: list[str]) -> tuple[list[str], Callable[..., list]]:
    """The columns to select (the id first) and a function turning a lead into CSV cells.

    A field that is not one of the lead's own columns is a subclass's: its cell comes from
    the lead's details.
    """
    own = [name for name in field_names if name in _COLUMNS]
    sources = list(dict.fromkeys(["id", *(c for name in own for c in _COLUMNS[name][0])]))
    getters = []
    for name in field_names:
        if name not in _COLUMNS:
            getters.append(_detail_cell(name))
            continue
        columns, make_renderer = _COLUMNS[name]
        getters.append(_own_cell(make_renderer(), [sources.index(c) for c in columns]))

    def build_row(row: tuple, details: Mapping[str, str]) -> list:
        return [get(row, details) for get in getters]

    return sources, build_row


def stream_contacts_csv(
    queryset,
    *,
    resource: ContactResource,
    selected_fields=None,
    on_complete: Callable[[int], None],
) -> Iterator[bytes]:
    """Yield the CSV of `queryset` in import-export's columns and layout, chunk by chunk.

    `resource` is the admin's, `selected_fields` the fields staff ticked on the export form (all
    if empty); `on_complete` gets the number of rows once the last chunk is out.
    """
    export_fields = resource.get_export_fields(selected_fields)
    field_names = [resource.get_field_name(field) for field in export_fields]
    sources, build_row = _row_plan(field_names)

    buffer = io.StringIO()
    writer = spreadsheet_csv_writer(buffer)
    writer.writerow(resource.get_export_headers(selected_fields))
    count = 0
    rows = queryset.order_by(EXPORT_ORDER).values_list(*sources).iterator(chunk_size=CHUNK_SIZE)
    details = resource.lead_details(queryset)
    for row, cells in with_lead_details(details, rows, contact_id=itemgetter(0)):
        writer.writerow(build_row(row, cells))
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
