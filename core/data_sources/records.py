"""A record read from a data source, with typed getters whose errors name the record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

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
        return record_of(self.source, f"{self.where}, {where}", data)

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


def record_of(source: str, where: str, data: object) -> SourceRecord:
    """`data` as a record, if it is a mapping: a list item or nested value may be anything."""
    if not isinstance(data, Mapping):
        raise DataSourceError(
            _("%(source)s, %(where)s: expected a mapping of field names to values.")
            % {"source": source, "where": where}
        )
    return SourceRecord(source, where, data)
