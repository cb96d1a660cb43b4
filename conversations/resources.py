"""What a lead export contains: one definition for CSV (streamed) and XLSX (import-export).

`ContactResource` has the lead's own columns. An app above adds columns of what it knows of
a lead by subclassing it (`lead_details`, `detail_field`); the admin exports with the resource
of the admin registered for leads.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TypeVar

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from conversations.models import Contact, full_name
from conversations.selectors import handoffs_by_contact
from core.spreadsheets import FormulaSafeExportMixin, SpreadsheetDateTimeWidget

#: One datetime format for every export path, so a streamed CSV and an XLSX agree.
EXPORT_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: Rows read per database round trip, for the leads and for the details read beside them.
CHUNK_SIZE = 2000
#: Exports list the newest leads first; the details are read in the same order.
EXPORT_ORDER = "-pk"

NO_DETAILS: Mapping[str, str] = MappingProxyType({})

Row = TypeVar("Row")
#: (lead id, {resource field name: cell}) pairs, highest lead id first.
LeadDetails = Iterable[tuple[int, Mapping[str, str]]]


def contact_status_label(status: str) -> str:
    """The status as staff see it in admin, not the stored code."""
    return str(Contact.Status(status).label) if status in Contact.Status.values else status


class _Follower:
    """Walks (lead id, cells) pairs, highest id first, alongside leads in the same order."""

    def __init__(self, pairs: LeadDetails):
        self._pairs = iter(pairs)
        self._next = next(self._pairs, None)

    def cells_for(self, contact_id: int) -> Mapping[str, str]:
        # Pairs of leads the rows do not have (created since the rows were read) are passed by.
        while self._next is not None and self._next[0] > contact_id:
            self._next = next(self._pairs, None)
        if self._next is None or self._next[0] != contact_id:
            return NO_DETAILS
        cells = self._next[1]
        self._next = next(self._pairs, None)
        return cells


def with_lead_details(
    details: list[LeadDetails], rows: Iterable[Row], *, contact_id: Callable[[Row], int]
) -> Iterator[tuple[Row, Mapping[str, str]]]:
    """Each of `rows` (leads, highest id first) with the cells `details` hold for it.

    Each of `details` is a cursor in the same order, merged as the rows go by: no query per
    lead, and no list of ids to send.
    """
    followers = [_Follower(pairs) for pairs in details]
    for row in rows:
        id_ = contact_id(row)
        cells: dict[str, str] = {}
        for follower in followers:
            cells.update(follower.cells_for(id_))
        yield row, cells


def _datetime_field(attribute, column_name):
    return fields.Field(
        attribute=attribute,
        column_name=column_name,
        widget=SpreadsheetDateTimeWidget(format=EXPORT_DATETIME_FORMAT),
    )


def detail_field(name: str, column_name) -> fields.Field:
    """A column whose cell a subclass's `lead_details` provide under `name`."""
    return fields.Field(
        column_name=column_name,
        dehydrate_method=lambda contact: contact.export_details.get(name, ""),
    )


class ContactResource(FormulaSafeExportMixin, resources.ModelResource):
    """Leads as staff hand them to sales: contacts, status, source, when they last wrote, the
    bot they wrote to, and how often they were handed to operators (and answered there).

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
    consent_version = fields.Field(
        attribute="consent_policy_version", column_name=_("Privacy policy version")
    )
    bot = fields.Field(attribute="bot__name", column_name=_("Bot"))
    handoffs = detail_field("handoffs", _("Handed to operators"))
    answered = detail_field("answered", _("Answered by operators"))

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
            "consent_version",
            "bot",
            "handoffs",
            "answered",
        )
        export_order = fields
        import_id_fields = ("id",)
        name = _("Leads")

    def lead_details(self, queryset) -> list[LeadDetails]:
        """The cells of the `detail_field` columns for the leads of `queryset`, read beside
        them (a subclass adds its own): how often each was handed to operators."""
        handoffs = handoffs_by_contact(contacts=queryset, chunk_size=CHUNK_SIZE)
        return [
            (
                (id_, {"handoffs": str(count), "answered": str(answered)})
                for id_, count, answered in handoffs
            )
        ]

    def iter_queryset(self, queryset):
        contacts = (
            queryset.select_related("bot").order_by(EXPORT_ORDER).iterator(chunk_size=CHUNK_SIZE)
        )
        for contact, cells in with_lead_details(
            self.lead_details(queryset), contacts, contact_id=lambda contact: contact.pk
        ):
            contact.export_details = cells
            yield contact

    def dehydrate_name(self, contact):
        return full_name(contact.first_name, contact.last_name)

    def dehydrate_status(self, contact):
        return contact_status_label(contact.status)
