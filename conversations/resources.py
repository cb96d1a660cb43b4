"""What a lead export contains: one definition for CSV (streamed) and XLSX (import-export)."""

from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TypeVar

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from conversations.models import Contact, full_name
from conversations.selectors import interests_by_contact
from core.spreadsheets import FormulaSafeExportMixin, SpreadsheetDateTimeWidget
from discovery.selectors import card_columns, current_cards_by_contact

#: One datetime format for every export path, so a streamed CSV and an XLSX agree.
EXPORT_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: Rows read per database round trip, for the leads and for their cards and interests.
CHUNK_SIZE = 2000
#: Exports list the newest leads first; their cards and interests are read in the same order.
EXPORT_ORDER = "-pk"
#: Resource field names of lead-card columns: the prefix and the scenario field's key.
CARD_FIELD_PREFIX = "card_"

EMPTY_CARD: Mapping[str, str] = MappingProxyType({})

Row = TypeVar("Row")


def contact_status_label(status: str) -> str:
    """The status as staff see it in admin, not the stored code."""
    return str(Contact.Status(status).label) if status in Contact.Status.values else status


class _Follower:
    """Walks (lead id, value) pairs, highest id first, alongside leads in the same order."""

    def __init__(self, pairs: Iterable[tuple[int, object]]):
        self._pairs = iter(pairs)
        self._next = next(self._pairs, None)

    def value_for(self, contact_id: int, default):
        # Pairs of leads the rows do not have (created since the rows were read) are passed by.
        while self._next is not None and self._next[0] > contact_id:
            self._next = next(self._pairs, None)
        if self._next is None or self._next[0] != contact_id:
            return default
        value = self._next[1]
        self._next = next(self._pairs, None)
        return value


def with_lead_details(
    queryset, rows: Iterable[Row], *, contact_id: Callable[[Row], int]
) -> Iterator[tuple[Row, Mapping[str, str], str]]:
    """Each of `rows`, leads of `queryset` highest id first, with its card and interests.

    Two more cursors read every exported lead's current card values and interests in the same
    order and are merged as the rows go by: no query per lead, and no list of ids to send.
    """
    cards = _Follower(current_cards_by_contact(contacts=queryset, chunk_size=CHUNK_SIZE))
    interests = _Follower(interests_by_contact(contacts=queryset, chunk_size=CHUNK_SIZE))
    for row in rows:
        id_ = contact_id(row)
        yield row, cards.value_for(id_, EMPTY_CARD), ", ".join(interests.value_for(id_, ()))


def card_field_name(key: str) -> str:
    return CARD_FIELD_PREFIX + key


def _datetime_field(attribute, column_name):
    return fields.Field(
        attribute=attribute,
        column_name=column_name,
        widget=SpreadsheetDateTimeWidget(format=EXPORT_DATETIME_FORMAT),
    )


class ContactResource(FormulaSafeExportMixin, resources.ModelResource):
    """Leads as staff hand them to sales: contacts, status, when they last wrote, the services
    they asked about and their lead card, one column per field of the scenarios.

    Names, sources and card values come from people, so every text cell is defused
    (`core.spreadsheets`).
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
    interests = fields.Field(column_name=_("Interested in"))

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
            "interests",
        )
        export_order = fields
        import_id_fields = ("id",)
        name = _("Leads")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Scenarios are edited in admin, so their columns are read for each export. The prefix
        # tells a card's "Name" or "Phone" from the lead's own columns of that name.
        for column in card_columns():
            self.fields[card_field_name(column.key)] = fields.Field(
                column_name=_("Card: %(field)s") % {"field": column.label},
                dehydrate_method=lambda contact, key=column.key: contact.export_card.get(key, ""),
            )

    def iter_queryset(self, queryset):
        contacts = queryset.order_by(EXPORT_ORDER).iterator(chunk_size=CHUNK_SIZE)
        for contact, card, interests in with_lead_details(
            queryset, contacts, contact_id=lambda contact: contact.pk
        ):
            contact.export_card, contact.export_interests = card, interests
            yield contact

    def dehydrate_name(self, contact):
        return full_name(contact.first_name, contact.last_name)

    def dehydrate_status(self, contact):
        return contact_status_label(contact.status)

    def dehydrate_interests(self, contact):
        return contact.export_interests
