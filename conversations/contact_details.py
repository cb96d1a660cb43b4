"""Finding and normalizing phone numbers and e-mails that people type.

phonenumbers (Google's libphonenumber) validates numbers per country far better than any
regular expression of ours; Russia is the default region for numbers typed without `+`.
"""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

DEFAULT_REGION = "RU"
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
PHONE_CANDIDATE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
#: A short number with a country code, such as "+7 123": too short to be a phone, but meant as one.
SHORT_INTERNATIONAL = re.compile(r"\+\s*\d[\d\s().-]*\d")


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """Return the number in E.164 when it is a real, possible number, else None."""
    text = (raw or "").strip()
    if not text or len(text) > 40:
        return None
    if text.isdigit() and not text.startswith("8") and len(text) > 10:
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def find_phone(text: str, region: str = DEFAULT_REGION) -> str | None:
    """The first valid phone number in free text, in E.164."""
    for match in phonenumbers.PhoneNumberMatcher(text or "", region):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def looks_like_phone_attempt(text: str) -> bool:
    """True when the text seems meant as a phone number (so an invalid one deserves a note)."""
    return bool(PHONE_CANDIDATE.search(text or "") or SHORT_INTERNATIONAL.search(text or ""))


def normalize_email(raw: str) -> str | None:
    text = (raw or "").strip().lower()
    try:
        validate_email(text)
    except ValidationError:
        return None
    return text


def find_email(text: str) -> str | None:
    """The first valid e-mail address in free text, lower-cased."""
    for match in EMAIL_PATTERN.finditer(text or ""):
        email = normalize_email(match.group(0))
        if email:
            return email
    return None
