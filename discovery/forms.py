"""Admin forms for scenarios: one box per language instead of raw JSON, and clear refusals."""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.language_forms import LanguageMapsMixin, TextBoxes, with_language_fields
from discovery.models import Scenario, ScenarioField

MIN_CHOICES = 2


def other_active_default(*, bot_id: int | None, exclude_pks) -> Scenario | None:
    """Another active default scenario of the same bot (or another shared one, for None):
    a bot's own default wins over the shared one, so each may have one."""
    return (
        Scenario.objects.filter(
            applies_to=Scenario.AppliesTo.DEFAULT, is_active=True, bot_id=bot_id
        )
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
        fields = (
            "name",
            "slug",
            "bot",
            "applies_to",
            "source",
            "service",
            "is_active",
            "position",
        )

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
            bot = cleaned.get("bot")
            other = other_active_default(
                bot_id=bot.pk if bot else None, exclude_pks=[self.instance.pk]
            )
            if other is not None:
                self.add_error("is_active", one_default_error(other.name))
        return cleaned


ScenarioForm = with_language_fields(
    _ScenarioForm,
    {
        "guidance": TextBoxes(
            "guidance", _("Guidance"), forms.Textarea(attrs={"rows": 8, "cols": 90})
        )
    },
)


class ScenarioChangelistFormSet(forms.BaseModelFormSet):
    """The list page's "active" boxes: two defaults switched on in one save are refused too."""

    def clean(self):
        super().clean()
        active_by_bot = defaultdict(list)
        for form in self.forms:
            if form.instance.applies_to == Scenario.AppliesTo.DEFAULT and form.cleaned_data.get(
                "is_active"
            ):
                active_by_bot[form.instance.bot_id].append(form.instance.name)
        listed = [form.instance.pk for form in self.forms]
        for bot_id, active in active_by_bot.items():
            other = other_active_default(bot_id=bot_id, exclude_pks=listed)
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
        "labels": TextBoxes("label", _("Label"), forms.TextInput(attrs={"size": 30})),
        "hints": TextBoxes(
            "hint", _("Question hint"), forms.Textarea(attrs={"rows": 2, "cols": 40})
        ),
    },
)
