"""Reading records for the data-loading commands from a file or an http(s) URL.

Staff keep prompts, the catalog and the model registry in a file in the repository or
in a "cloud" copy (a spreadsheet published as CSV, a JSON file in object storage). All
three loaders share this reader so that every source fails the same way: one
`DataSourceError` naming the source, the record and what is wrong, raised before
anything is written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

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
TRUE_WORDS = {"true", "yes", "y", "1", "on", "да"}
FALSE_WORDS = {"false", "no", "n", "0", "off", "нет"}


class DataSourceError(Exception):
    """A source cannot be read or holds a bad record; the message is one line for a person."""


@dataclass(frozen=True)
class SourceRecord:
    """One record with where it came from, and typed getters that explain bad values."""

    source: str
    where: str
    data: Mapping[str, object]

    def error(self, message: str) -> DataSourceError:
        return DataSourceError(f"{self.source}, {self.where}: {message}")

    def child(self, data: object, where: str) -> SourceRecord:
        """A record nested in this one, e.g. a model listed under its provider."""
        return _record(self.source, f"{self.where}, {where}", data)

    def check_fields(self, allowed: Iterable[str]) -> None:
        """Reject unknown fields: a typo in a column name must not be silently ignored."""
        allowed = set(allowed)
        unknown = sorted(str(name) for name in self.data if name not in allowed)
        if unknown:
            raise self.error(
                _("unknown field(s) %(unknown)s; expected: %(allowed)s.")
                % {"unknown": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
            )

    def has(self, name: str) -> bool:
        return self._given(name) is not None

    def _given(self, name: str) -> object | None:
        value = self.data.get(name)
        if isinstance(value, str):
            value = value.strip()
        return None if value in (None, "") else value

    def text(self, name: str, *, required: bool = False, default: str = "") -> str:
        value = self._given(name)
        if value is None:
            if required:
                raise self.error(_("required field “%(field)s” is missing.") % {"field": name})
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise self.error(_("field “%(field)s” must be text.") % {"field": name})
        return str(value)

    def language_map(self, name: str) -> dict[str, str]:
        """Texts by language code, e.g. {ru: ..., en: ...}, for the languages the site offers."""
        value = self.data.get(name) or {}
        if not isinstance(value, Mapping) or not all(
            isinstance(text, str) for text in value.values()
        ):
            raise self.error(
                _("“%(field)s” must map language codes to texts, e.g. {ru: ..., en: ...}.")
                % {"field": name}
            )
        known = [code for code, _name in settings.LANGUAGES]
        unknown = sorted(str(code) for code in value if code not in known)
        if unknown:
            raise self.error(
                _("“%(field)s” has unknown language(s) %(unknown)s; the site offers: %(known)s.")
                % {"field": name, "unknown": ", ".join(unknown), "known": ", ".join(known)}
            )
        return {code: text.strip() for code, text in value.items() if text.strip()}

    def boolean(self, name: str, *, default: bool) -> bool:
        value = self._given(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        word = str(value).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise self.error(
            _("field “%(field)s” must be yes or no, not %(value)r.")
            % {"field": name, "value": value}
        )

    def decimal(self, name: str, *, default: Decimal | None) -> Decimal | None:
        """A non-negative number; spreadsheets may write `1 500,50`, so spaces and a comma pass."""
        value = self._given(name)
        if value is None:
            return default
        cleaned = str(value).replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            number = None
        if isinstance(value, bool) or number is None or not number.is_finite() or number < 0:
            raise self.error(
                _("field “%(field)s” must be a number of zero or more, not %(value)r.")
                % {"field": name, "value": value}
            )
        return number

    def integer(self, name: str, *, default: int) -> int:
        number = self.decimal(name, default=Decimal(default))
        if number != number.to_integral_value():
            raise self.error(
                _("field “%(field)s” must be a whole number, not %(value)r.")
                % {"field": name, "value": self.data.get(name)}
            )
        return int(number)

    def number(self, name: str, *, default: float) -> float:
        return float(self.decimal(name, default=Decimal(str(default))))

    def validate(self, instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
        """Run the model's own field checks (lengths, choices, URL, slug) on unsaved data."""
        try:
            instance.full_clean(
                exclude=list(exclude), validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            problems = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
            )
            raise self.error(problems) from None


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


def read_records(
    source: str | Path, *, root_key: str, fmt: str | None = None
) -> list[SourceRecord]:
    """Read a YAML, JSON or CSV document into records; raise `DataSourceError` on any problem."""
    source = str(source)
    body, content_type = _fetch(source)
    fmt = fmt or _format_from_name(source) or CONTENT_TYPES.get(content_type)
    if fmt not in FORMATS:
        raise DataSourceError(
            _("%(source)s: cannot tell the format; use a .yaml, .json or .csv name or --format.")
            % {"source": source}
        )
    try:
        text = body.decode("utf-8-sig")
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


def _fetch(source: str) -> tuple[bytes, str]:
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        return _download(source)
    if scheme == "file":
        return _read_file(source, Path(unquote(urlsplit(source).path))), ""
    if len(scheme) > 1:
        raise DataSourceError(
            _("%(source)s: only http(s) URLs and file paths are supported.") % {"source": source}
        )
    return _read_file(source, Path(source)), ""


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


def _download(url: str) -> tuple[bytes, str]:
    try:
        with (
            httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
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
            return bytes(body), content_type
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
        _record(source, _("record %d") % number, item)
        for number, item in enumerate(document, start=1)
    ]


def _record(source: str, where: str, data: object) -> SourceRecord:
    if not isinstance(data, Mapping):
        raise DataSourceError(
            _("%(source)s, %(where)s: expected a mapping of field names to values.")
            % {"source": source, "where": where}
        )
    return SourceRecord(source, where, data)


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
