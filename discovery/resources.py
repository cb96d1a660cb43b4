"""The lead export with what need discovery knows of each lead: its interests and lead card."""

from django.utils.translation import gettext_lazy as _

from conversations.resources import CHUNK_SIZE, ContactResource, LeadDetails, detail_field
from discovery.selectors import card_columns, current_cards_by_contact, interests_by_contact

#: Resource field names of lead-card columns: the prefix and the scenario field's key.
CARD_FIELD_PREFIX = "card_"
INTERESTS = "interests"


def card_field_name(key: str) -> str:
    return CARD_FIELD_PREFIX + key


class LeadResource(ContactResource):
    """Leads with the services they asked about and their lead card, one column per field of
    the scenarios. Card values come from people, so they are defused like every text cell."""

    interests = detail_field(INTERESTS, _("Interested in"))

    class Meta(ContactResource.Meta):
        fields = (*ContactResource.Meta.fields, INTERESTS)
        export_order = fields

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Scenarios are edited in admin, so their columns are read for each export. The prefix
        # tells a card's "Name" or "Phone" from the lead's own columns of that name.
        for column in card_columns():
            name = card_field_name(column.key)
            self.fields[name] = detail_field(name, _("Card: %(field)s") % {"field": column.label})

    def lead_details(self, queryset) -> list[LeadDetails]:
        cards = current_cards_by_contact(contacts=queryset, chunk_size=CHUNK_SIZE)
        interests = interests_by_contact(contacts=queryset, chunk_size=CHUNK_SIZE)
        return [
            *super().lead_details(queryset),
            (
                (id_, {card_field_name(key): value for key, value in card.items()})
                for id_, card in cards
            ),
            ((id_, {INTERESTS: ", ".join(titles)}) for id_, titles in interests),
        ]
