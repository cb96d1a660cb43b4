"""Reading a YAML, JSON or CSV document from a file or an http(s) URL into records.

Every problem, whatever the source, is one `DataSourceError` naming the source and what is
wrong, raised before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import yaml
from django.utils.translation import gettext as _

from core.data_sources.records import DataSourceError, SourceRecord, record_of

MAX_BYTES = 5 * 1024 * 1024
FORMATS = ("yaml", "json", "csv")
HTTP_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".csv": "csv"}
CONTENT_TYPES = {
    "application/json": "json",
    "text/json": "json",
    "text/csv": "csv",
    "application/csv": "csv",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
    "text/x-yaml": "yaml",
}


@dataclass(frozen=True)
class Fetched:
    """A source's bytes as fetched, with what its server said about them; `body` is None
    when the server said they did not change since `etag` / `last_modified` (HTTP 304)."""

    body: bytes | None
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""


def read_records(
    source: str | Path, *, root_key: str, fmt: str | None = None
) -> list[SourceRecord]:
    """Read a YAML, JSON or CSV document into records; raise `DataSourceError` on any problem."""
    return parse_records(str(source), fetch(str(source)), root_key=root_key, fmt=fmt)


def fetch(source: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    """The source's bytes: a file, or an http(s) URL asked only for a change since `etag` /
    `last_modified` when they are given."""
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        return _download(source, etag=etag, last_modified=last_modified)
    if scheme == "file":
        return Fetched(_read_file(source, Path(unquote(urlsplit(source).path))))
    if len(scheme) > 1:
        raise DataSourceError(
            _("%(source)s: only http(s) URLs and file paths are supported.") % {"source": source}
        )
    return Fetched(_read_file(source, Path(source)))


def parse_records(
    source: str, fetched: Fetched, *, root_key: str, fmt: str | None = None
) -> list[SourceRecord]:
    """The records of a fetched YAML, JSON or CSV document."""
    fmt = fmt or _format_from_name(source) or CONTENT_TYPES.get(fetched.content_type)
    if fmt not in FORMATS:
        raise DataSourceError(
            _("%(source)s: cannot tell the format; use a .yaml, .json or .csv name or --format.")
            % {"source": source}
        )
    try:
        text = (fetched.body or b"").decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataSourceError(
            _("%(source)s: the text is not UTF-8.") % {"source": source}
        ) from None
    records = (
        _parse_csv(source, text) if fmt == "csv" else _parse_document(source, text, fmt, root_key)
    )
    if not records:
        raise DataSourceError(_("%(source)s: no records found.") % {"source": source})
    return records


def _read_file(source: str, path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise _too_large(source)
        return path.read_bytes()
    except OSError as error:
        raise DataSourceError(
            _("%(source)s: cannot read the file: %(reason)s")
            % {"source": source, "reason": error.strerror or error}
        ) from None


def _download(url: str, *, etag: str, last_modified: str) -> Fetched:
    conditions = {"If-None-Match": etag} if etag else {}
    if last_modified:
        conditions["If-Modified-Since"] = last_modified
    try:
        with (
            httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=True) as client,
            client.stream("GET", url, headers=conditions) as response,
        ):
            if response.status_code == 304 and conditions:
                return Fetched(None, etag=etag, last_modified=last_modified)
            if response.status_code >= 400:
                raise DataSourceError(
                    _("%(source)s: the server answered HTTP %(status)d.")
                    % {"source": url, "status": response.status_code}
                )
            if int(response.headers.get("content-length") or 0) > MAX_BYTES:
                raise _too_large(url)
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > MAX_BYTES:
                    raise _too_large(url)
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            return Fetched(
                bytes(body),
                content_type,
                etag=response.headers.get("etag", ""),
                last_modified=response.headers.get("last-modified", ""),
            )
    except httpx.HTTPError as error:
        raise DataSourceError(
            _("%(source)s: cannot download: %(reason)s")
            % {"source": url, "reason": str(error) or type(error).__name__}
        ) from None


def _too_large(source: str) -> DataSourceError:
    return DataSourceError(
        _("%(source)s: larger than the %(limit)d MB limit.")
        % {"source": source, "limit": MAX_BYTES // (1024 * 1024)}
    )


def _format_from_name(source: str) -> str | None:
    path = urlsplit(source).path if "://" in source else source
    return EXTENSIONS.get(Path(path).suffix.lower())


def _parse_document(source: str, text: str, fmt: str, root_key: str) -> list[SourceRecord]:
    try:
        document = yaml.safe_load(text) if fmt == "yaml" else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        reason = " ".join(str(error).split())
        raise DataSourceError(
            _("%(source)s: not valid %(format)s: %(reason)s")
            % {"source": source, "format": fmt.upper(), "reason": reason}
        ) from None
    if document is None:
        document = []
    if isinstance(document, Mapping) and root_key in document:
        document = document[root_key]
    if not isinstance(document, list):
        raise DataSourceError(
            _("%(source)s: expected a list of records, or a mapping whose “%(key)s” is that list.")
            % {"source": source, "key": root_key}
        )
    return [
        record_of(source, _("record %d") % number, item)
        for number, item in enumerate(document, start=1)
    ]


def _parse_csv(source: str, text: str) -> list[SourceRecord]:
    """A spreadsheet exported as CSV: the first row names the fields, row numbers match."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    records = []
    try:
        for number, row in enumerate(reader, start=2):
            where = _("row %d") % number
            if None in row:
                raise DataSourceError(
                    _("%(source)s, %(where)s: more cells than column names in the header.")
                    % {"source": source, "where": where}
                )
            data = {name.strip(): value for name, value in row.items() if name and name.strip()}
            if any((value or "").strip() for value in data.values()):
                records.append(SourceRecord(source, where, data))
    except csv.Error as error:
        raise DataSourceError(
            _("%(source)s: not valid CSV: %(reason)s") % {"source": source, "reason": error}
        ) from None
    return records
