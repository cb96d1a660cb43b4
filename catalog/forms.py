"""The service form: a box per language for each text, the title required in the site language."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from catalog.models import (
    DURATION_MAX_LENGTH,
    SHORT_DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Service,
)
from core.language_forms import LanguageMapsMixin, TextBoxes, with_language_fields

#: The boxes of each language, in the order staff fill them in.
TEXT_PREFIXES = ("title", "short_description", "description", "duration")


class _ServiceForm(LanguageMapsMixin, forms.ModelForm):
    class Meta:
        model = Service
        fields = ("slug", "price", "currency", "is_active", "position", "bots")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every other language falls back to the site language's text, so that one must exist.
        self.fields[f"title_{settings.LANGUAGE_CODE}"].required = True


ServiceForm = with_language_fields(
    _ServiceForm,
    {
        "titles": TextBoxes(
            "title", _("Title"), forms.TextInput(attrs={"size": 60}), TITLE_MAX_LENGTH
        ),
        "short_descriptions": TextBoxes(
            "short_description",
            _("Short description"),
            forms.TextInput(attrs={"size": 90}),
            SHORT_DESCRIPTION_MAX_LENGTH,
        ),
        "descriptions": TextBoxes(
            "description",
            _("Full description"),
            forms.Textarea(attrs={"rows": 6, "cols": 90}),
        ),
        "durations": TextBoxes(
            "duration", _("Duration"), forms.TextInput(attrs={"size": 30}), DURATION_MAX_LENGTH
        ),
    },
)
