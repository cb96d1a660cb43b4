"""The admin's sentences with each model's name in the grammatical form the sentence needs.

Django builds "Select %s to change", "Add %s", "Are you sure you want to delete the %s" and
"7 leads" from a model's verbose_name and verbose_name_plural. That reads right in English
and wrong in Russian: "Выберите услуга для изменения", "7 лиды". A ModelAdmin with
`ModelNamesMixin` declares the forms once as translatable strings (a `pgettext` context where
Russian needs another case, `ngettext` for a count), and its pages use them.
"""

from dataclasses import dataclass

from django.contrib.admin.views.main import IS_POPUP_VAR
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext


@dataclass(frozen=True)
class ModelNames:
    """A model's name as a verb's object, after "of", and after a number.

    `counted` is `ngettext_lazy("%(count)s lead", "%(count)s leads", "count")`.
    """

    accusative: Promise
    genitive: Promise
    counted: Promise

    def count(self, number: int) -> str:
        return self.counted % {"count": number}


class ModelNamesMixin:
    """Titles, the "Add" button, delete pages and result counts in the model's right form."""

    names: ModelNames

    def changelist_view(self, request, extra_context=None):
        if IS_POPUP_VAR in request.GET:
            title = _("Select %s")
        elif self.has_change_permission(request):
            title = _("Select %s to change")
        else:
            title = _("Select %s to view")
        context = {"title": title % self.names.accusative, "add_name": self.names.accusative}
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if add:
            title = _("Add %s")
        elif self.has_change_permission(request, obj):
            title = _("Change %s")
        else:
            title = _("View %s")
        context.update(title=title % self.names.accusative, add_name=self.names.accusative)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_delete_form(self, request, context):
        if context["perms_lacking"] or context["protected"]:
            # "Deleting the lead ... would ..." takes the genitive in Russian.
            context["title"] = _("Cannot delete %(name)s") % {"name": self.names.accusative}
            context["object_name"] = self.names.genitive
        else:
            context["object_name"] = self.names.accusative
        return super().render_delete_form(request, context)

    def response_action(self, request, queryset):
        response = super().response_action(request, queryset)
        if isinstance(response, TemplateResponse) and "deletable_objects" in response.context_data:
            self._name_selected_objects(response.context_data)
        return response

    def _name_selected_objects(self, context):
        """The delete-selected page names what it deletes as "objects (3 leads)"."""
        counted = {"counted": self.names.count(len(context["queryset"]))}
        objects = pgettext("accusative", "objects (%(counted)s)") % counted
        context["objects_name"] = objects
        if context["perms_lacking"] or context["protected"]:
            context["title"] = _("Cannot delete %(name)s") % {"name": objects}
            # "Deleting the selected objects ... would ..." takes the genitive in Russian.
            context["objects_name"] = pgettext("genitive", "objects (%(counted)s)") % counted
