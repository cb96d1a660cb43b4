"""Admin forms for language maps: one text box per language instead of raw JSON."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.utils.text import format_lazy


@dataclass(frozen=True)
class TextBoxes:
    """The boxes of one language map: `<prefix>_<code>`, labelled "<label> (<language>)"."""

    prefix: str
    label: object
    widget: forms.Widget
    max_length: int | None = None


def language_field_names(prefix: str) -> list[str]:
    return [f"{prefix}_{code}" for code, _name in settings.LANGUAGES]


def with_language_fields(form_class, maps: dict[str, TextBoxes]):
    """A subclass of `form_class` with a text box per language for each JSON map of the model.

    `maps` is {model field: its boxes}. The boxes have to be declared on the class (not added
    in `__init__`) for the admin to place them in its fieldsets.
    """
    declared = {
        f"{boxes.prefix}_{code}": forms.CharField(
            label=format_lazy("{} ({})", boxes.label, name),
            required=False,
            max_length=boxes.max_length,
            widget=boxes.widget,
        )
        for boxes in maps.values()
        for code, name in settings.LANGUAGES
    }
    attributes = {"__module__": form_class.__module__, "language_maps": maps, **declared}
    return type(form_class)(form_class.__name__, (form_class,), attributes)


class LanguageMapsMixin:
    """Fills the per-language boxes from the JSON maps and writes them back on clean.

    Texts in languages the site no longer offers are kept, so removing a language from
    settings never loses what staff wrote.
    """

    language_maps: dict[str, TextBoxes] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field_name, boxes in self.language_maps.items():
            texts = getattr(self.instance, field_name) or {}
            for code, _name in settings.LANGUAGES:
                self.initial.setdefault(f"{boxes.prefix}_{code}", texts.get(code, ""))

    def clean(self):
        cleaned = super().clean()
        codes = [code for code, _name in settings.LANGUAGES]
        for field_name, boxes in self.language_maps.items():
            kept = {
                code: text
                for code, text in (getattr(self.instance, field_name) or {}).items()
                if code not in codes
            }
            entered = {
                code: cleaned.get(f"{boxes.prefix}_{code}", "").strip()
                for code in codes
                if cleaned.get(f"{boxes.prefix}_{code}", "").strip()
            }
            setattr(self.instance, field_name, {**kept, **entered})
        return cleaned
