"""What a lead export contains: one definition for CSV (streamed) and XLSX (import-export)."""

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from conversations.models import Contact
from core.spreadsheets import FormulaSafeExportMixin, SpreadsheetDateTimeWidget

#: One datetime format for every export path, so a streamed CSV and an XLSX agree.
EXPORT_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def contact_full_name(first_name: str, last_name: str) -> str:
    """The person's name as staff read it; the username has a column of its own."""
    return " ".join(part for part in (first_name, last_name) if part)


def contact_status_label(status: str) -> str:
    """The status as staff see it in admin, not the stored code."""
    return str(Contact.Status(status).label) if status in Contact.Status.values else status


def _datetime_field(attribute, column_name):
    return fields.Field(
        attribute=attribute,
        column_name=column_name,
        widget=SpreadsheetDateTimeWidget(format=EXPORT_DATETIME_FORMAT),
    )


class ContactResource(FormulaSafeExportMixin, resources.ModelResource):
    """Leads as staff hand them to sales: contacts, status and when they last wrote.

    Names and sources come from people, so every text cell is defused (`core.spreadsheets`).
    """

    id = fields.Field(attribute="id", column_name="ID", widget=widgets.IntegerWidget())
    name = fields.Field(column_name=_("Name"))
    username = fields.Field(attribute="username", column_name=_("Username"))
    phone = fields.Field(attribute="phone", column_name=_("Phone"))
    email = fields.Field(attribute="email", column_name=_("E-mail"))
    status = fields.Field(column_name=_("Status"))
    source = fields.Field(attribute="source", column_name=_("Source"))
    created = _datetime_field("created_at", _("Created"))
    last_message = _datetime_field("last_message_at", _("Last message"))
    language = fields.Field(attribute="language_code", column_name=_("Language"))
    consent = _datetime_field("consent_at", _("Personal data consent"))

    class Meta:
        model = Contact
        fields = (
            "id",
            "name",
            "username",
            "phone",
            "email",
            "status",
            "source",
            "created",
            "last_message",
            "language",
            "consent",
        )
        export_order = fields
        import_id_fields = ("id",)
        name = _("Leads")

    def dehydrate_name(self, contact):
        return contact_full_name(contact.first_name, contact.last_name)

    def dehydrate_status(self, contact):
        return contact_status_label(contact.status)
