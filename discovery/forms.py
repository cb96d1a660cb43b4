"""Admin forms for scenarios: one box per language instead of raw JSON, and clear refusals."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from discovery.models import Scenario, ScenarioField

MIN_CHOICES = 2


def language_field_names(prefix: str) -> list[str]:
    return [f"{prefix}_{code}" for code, _name in settings.LANGUAGES]


def with_language_fields(form_class, maps: dict[str, tuple[str, object, forms.Widget]]):
    """A subclass of `form_class` with a text box per language for each JSON map of the model.

    `maps` is {model field: (form field prefix, label, widget)}. The boxes have to be declared
    on the class (not added in `__init__`) for the admin to place them in its fieldsets.
    """
    declared = {
        f"{prefix}_{code}": forms.CharField(
            label=format_lazy("{} ({})", label, name),
            required=False,
            widget=widget,
        )
        for prefix, label, widget in maps.values()
        for code, name in settings.LANGUAGES
    }
    attributes = {"__module__": form_class.__module__, "language_maps": maps, **declared}
    return type(form_class)(form_class.__name__, (form_class,), attributes)


class LanguageMapsMixin:
    """Fills the per-language boxes from the JSON maps and writes them back on clean.

    Texts in languages the site no longer offers are kept, so removing a language from
    settings never loses what staff wrote.
    """

    language_maps: dict[str, tuple[str, object, forms.Widget]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field_name, (prefix, _label, _widget) in self.language_maps.items():
            texts = getattr(self.instance, field_name) or {}
            for code, _name in settings.LANGUAGES:
                self.initial.setdefault(f"{prefix}_{code}", texts.get(code, ""))

    def clean(self):
        cleaned = super().clean()
        codes = [code for code, _name in settings.LANGUAGES]
        for field_name, (prefix, _label, _widget) in self.language_maps.items():
            kept = {
                code: text
                for code, text in (getattr(self.instance, field_name) or {}).items()
                if code not in codes
            }
            entered = {
                code: cleaned.get(f"{prefix}_{code}", "").strip()
                for code in codes
                if cleaned.get(f"{prefix}_{code}", "").strip()
            }
            setattr(self.instance, field_name, {**kept, **entered})
        return cleaned


def other_active_default(*, exclude_pks) -> Scenario | None:
    return (
        Scenario.objects.filter(applies_to=Scenario.AppliesTo.DEFAULT, is_active=True)
        .exclude(pk__in=[pk for pk in exclude_pks if pk is not None])
        .first()
    )


def one_default_error(name: str) -> ValidationError:
    return ValidationError(
        _(
            "Only one default scenario can be active, and “%(name)s” already is. "
            "Deactivate it first, or save this one as inactive."
        ),
        params={"name": name},
        code="second_default",
    )


class _ScenarioForm(LanguageMapsMixin, forms.ModelForm):
    class Meta:
        model = Scenario
        fields = ("name", "slug", "applies_to", "source", "service", "is_active", "position")

    def clean(self):
        cleaned = super().clean()
        applies_to = cleaned.get("applies_to")
        if applies_to == Scenario.AppliesTo.SOURCE and not cleaned.get("source"):
            self.add_error(
                "source", _("Enter the deep-link source this scenario is for, e.g. ads_vk.")
            )
        if applies_to == Scenario.AppliesTo.SERVICE and not cleaned.get("service"):
            self.add_error("service", _("Choose the service this scenario is for."))
        # A source or service left over from an earlier choice would only mislead staff.
        if applies_to != Scenario.AppliesTo.SOURCE:
            cleaned["source"] = ""
        if applies_to != Scenario.AppliesTo.SERVICE:
            cleaned["service"] = None
        if applies_to == Scenario.AppliesTo.DEFAULT and cleaned.get("is_active"):
            other = other_active_default(exclude_pks=[self.instance.pk])
            if other is not None:
                self.add_error("is_active", one_default_error(other.name))
        return cleaned


ScenarioForm = with_language_fields(
    _ScenarioForm,
    {"guidance": ("guidance", _("Guidance"), forms.Textarea(attrs={"rows": 8, "cols": 90}))},
)


class ScenarioChangelistFormSet(forms.BaseModelFormSet):
    """The list page's "active" boxes: two defaults switched on in one save are refused too."""

    def clean(self):
        super().clean()
        active = [
            form.instance.name
            for form in self.forms
            if form.instance.applies_to == Scenario.AppliesTo.DEFAULT
            and form.cleaned_data.get("is_active")
        ]
        other = other_active_default(exclude_pks=[form.instance.pk for form in self.forms])
        if other is not None:
            active.append(other.name)
        if len(active) > 1:
            raise ValidationError(
                _("Only one default scenario can be active; these would be: %(names)s.")
                % {"names": ", ".join(f"“{name}”" for name in active)},
                code="second_default",
            )


class _ScenarioFieldForm(LanguageMapsMixin, forms.ModelForm):
    class Meta:
        model = ScenarioField
        fields = ("key", "field_type", "choices", "required", "position")
        widgets = {"choices": forms.Textarea(attrs={"rows": 3, "cols": 40})}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("field_type") == ScenarioField.Type.CHOICE:
            options = [line for line in cleaned.get("choices", "").splitlines() if line.strip()]
            if len(options) < MIN_CHOICES:
                self.add_error(
                    "choices",
                    _("A choice from a list needs at least two options, one per line."),
                )
        return cleaned


ScenarioFieldForm = with_language_fields(
    _ScenarioFieldForm,
    {
        "labels": ("label", _("Label"), forms.TextInput(attrs={"size": 30})),
        "hints": ("hint", _("Question hint"), forms.Textarea(attrs={"rows": 2, "cols": 40})),
    },
)
