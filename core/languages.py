"""Texts kept per language in a JSON map (`{"ru": "...", "en": "..."}`), as staff write them.

A new language then needs no schema change. Staff write for the languages of
`settings.LANGUAGES`; a reader in any other language, or a text left empty in theirs, gets the
site language (`settings.LANGUAGE_CODE`).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


def localized(texts: Mapping[str, str], language: str | None) -> str:
    """The text in `language` (or its base, "en" for "en-us"), else in the site language, else
    in any language it was written in, else "".

    Telegram reports codes like "pt-br"; staff write texts only for the languages the
    admin offers, so a regional code falls back to its base language first. A text written
    only in a language that is no longer the site's (the site language was changed) is still
    better than nothing.
    """
    language = (language or "").lower()
    for code in (language, language.split("-")[0], settings.LANGUAGE_CODE, *texts):
        if texts.get(code):
            return texts[code]
    return ""


@deconstructible
class TextsMaxLength:
    """A length limit for each text of a language map, as a CharField has for its one text."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, texts: Mapping[str, str]) -> None:
        for code, text in texts.items():
            if len(text) > self.limit:
                raise ValidationError(
                    _("The text in “%(language)s” has %(length)d characters; at most %(limit)d."),
                    code="max_length",
                    params={"language": code, "length": len(text), "limit": self.limit},
                )
