"""Checking values the model extracted, by the type of the scenario field.

The model proposes, these rules decide: a value that does not fit its type (a date that is
not a date, a budget without a number, an option that is not on the list) is refused and
never reaches the lead card, so the assistant asks again.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from conversations.contact_details import normalize_email, normalize_phone

MAX_TEXT_LENGTH = 500
MAX_YEARS_AHEAD = 10
CURRENCY_WORDS = {
    "₽": "RUB",
    "р": "RUB",
    "р.": "RUB",
    "руб": "RUB",
    "руб.": "RUB",
    "рублей": "RUB",
    "рубля": "RUB",
    "рубль": "RUB",
    "rub": "RUB",
    "rur": "RUB",
    "$": "USD",
    "usd": "USD",
    "долларов": "USD",
    "доллара": "USD",
    "dollars": "USD",
    "€": "EUR",
    "eur": "EUR",
    "евро": "EUR",
    "euro": "EUR",
    "euros": "EUR",
}
MULTIPLIERS = {
    "k": 1000,
    "к": 1000,
    "тыс": 1000,
    "тыс.": 1000,
    "тысяч": 1000,
    "тысячи": 1000,
    "thousand": 1000,
    "m": 1_000_000,
    "млн": 1_000_000,
    "млн.": 1_000_000,
    "million": 1_000_000,
}
NUMBER = re.compile(r"\d[\d\s\u00a0\u202f]*(?:[.,]\d+)?")
T = TypeVar("T")


class InvalidValue(ValueError):
    """The proposed value does not fit the field; the reason is for the logs."""


@dataclass(frozen=True)
class CheckedValue:
    value: object  # JSON-serialisable, as stored on the card
    display: str


@dataclass(frozen=True)
class CatalogChoice:
    """A service the person may mean: named by its title in their language (`title`, which is
    stored and shown) or in any other language staff wrote (`other_titles`)."""

    id: int
    title: str
    other_titles: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.title, *self.other_titles)


def check_value(
    field_type: str,
    raw: object,
    *,
    today: dt.date,
    choices: list[str] = (),
    services: list[CatalogChoice] = (),
    default_currency: str = "RUB",
) -> CheckedValue:
    """Validate and normalize one extracted value, or raise InvalidValue."""
    if raw is None or isinstance(raw, bool | dict | list):
        raise InvalidValue(f"not a single value: {raw!r}")
    text = str(raw).strip()
    if not text:
        raise InvalidValue("empty")
    checker = CHECKERS.get(field_type)
    if checker is None:
        raise InvalidValue(f"unknown field type {field_type!r}")
    return checker(
        text,
        today=today,
        choices=list(choices),
        services=list(services),
        default_currency=default_currency,
    )


def _text(text: str, **_context) -> CheckedValue:
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidValue("too long")
    return CheckedValue(text, text)


def _parse_number(text: str) -> Decimal:
    match = NUMBER.search(text)
    if match is None:
        raise InvalidValue(f"no number in {text!r}")
    digits = re.sub(r"[\s\u00a0\u202f]", "", match.group(0)).replace(",", ".")
    number = Decimal(digits)  # the pattern only matches digits with one decimal separator
    rest = text[match.end() :].strip().lower().split()
    if rest and rest[0] in MULTIPLIERS:
        number *= MULTIPLIERS[rest[0]]
    if number < 0 or (text.lstrip().startswith("-")):
        raise InvalidValue("negative")
    return number


def _format_amount(number: Decimal) -> str:
    text = f"{number:,.2f}".replace(",", " ")
    return text.removesuffix(".00")


def _number(text: str, **_context) -> CheckedValue:
    number = _parse_number(text)
    return CheckedValue(str(number.normalize()), _format_amount(number))


def _currency(text: str, default: str) -> str:
    lowered = text.lower()
    for symbol in ("₽", "$", "€"):
        if symbol in lowered:
            return CURRENCY_WORDS[symbol]
    for word in re.findall(r"[a-zа-яё.]+", lowered):
        if word in CURRENCY_WORDS:
            return CURRENCY_WORDS[word]
        if len(word) == 3 and word.isascii() and word.upper() in {"RUB", "USD", "EUR", "KZT"}:
            return word.upper()
    return default


def _money(text: str, *, default_currency: str, **_context) -> CheckedValue:
    amount = _parse_number(text)
    currency = _currency(text, default_currency)
    value = {"amount": str(amount.quantize(Decimal("0.01"))), "currency": currency}
    return CheckedValue(value, f"{_format_amount(amount)} {currency}")


def _date(text: str, *, today: dt.date, **_context) -> CheckedValue:
    """An ISO date (the model resolves "next Friday" against today); not in the past."""
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        raise InvalidValue(f"not an ISO date: {text!r}") from None
    if day < today:
        raise InvalidValue(f"{day} is in the past")
    if day.year > today.year + MAX_YEARS_AHEAD:
        raise InvalidValue(f"{day} is too far ahead")
    return CheckedValue(day.isoformat(), day.strftime("%d.%m.%Y"))


def _match(text: str, options: dict[T, tuple[str, ...]]) -> T:
    """The one option the text names by one of its names: exactly, or as the only option
    with a name containing the text (or contained in it)."""
    wanted = text.casefold()
    names = {
        option: [name.casefold() for name in option_names]
        for option, option_names in options.items()
    }
    exact = [option for option, folded in names.items() if wanted in folded]
    if exact:
        return exact[0]
    close = [
        option
        for option, folded in names.items()
        if any(wanted in name or name in wanted for name in folded)
    ]
    if len(close) == 1:
        return close[0]
    raise InvalidValue(f"{text!r} is not one of the options")


def _choice(text: str, *, choices: list[str], **_context) -> CheckedValue:
    option = _match(text, {choice: (choice,) for choice in choices})
    return CheckedValue(option, option)


def _service(text: str, *, services: list[CatalogChoice], **_context) -> CheckedValue:
    service = _match(text, {service: service.names for service in services})
    return CheckedValue({"id": service.id, "title": service.title}, service.title)


def _phone(text: str, **_context) -> CheckedValue:
    phone = normalize_phone(text)
    if phone is None:
        raise InvalidValue("not a valid phone number")
    return CheckedValue(phone, phone)


def _email(text: str, **_context) -> CheckedValue:
    email = normalize_email(text)
    if email is None:
        raise InvalidValue("not a valid e-mail")
    return CheckedValue(email, email)


CHECKERS = {
    "text": _text,
    "number": _number,
    "money": _money,
    "date": _date,
    "choice": _choice,
    "service": _service,
    "phone": _phone,
    "email": _email,
}
