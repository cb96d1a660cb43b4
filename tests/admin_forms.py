"""Posting an admin change form back as it was shown, with some values changed."""

from django.forms import MultiWidget


def change_form_data(response) -> dict:
    """What the change page in `response` posts unchanged: the object's fields and every
    inline's management form and forms."""
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update(
            {management.add_prefix(name): value for name, value in management.initial.items()}
        )
        forms += inline.formset.forms
    for form in forms:
        for name in form.fields:
            data.update(_posted(form[name]))
    return data


def _posted(bound) -> dict:
    value = bound.value()
    widget = bound.field.widget
    if isinstance(widget, MultiWidget):
        parts = widget.decompress(value)
        return {f"{bound.html_name}_{index}": part or "" for index, part in enumerate(parts)}
    return {} if value is None else {bound.html_name: value}
