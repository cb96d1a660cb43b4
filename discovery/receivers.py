"""What need discovery does when a lead changes below it: a person's data deleted at their
request takes their lead card with it (every value, with its history)."""

from conversations.signals import contact_erased
from discovery.models import LeadFieldValue


def delete_lead_card(sender, *, contact_id: int, **_identity) -> None:
    LeadFieldValue.objects.filter(contact_id=contact_id).delete()


def connect() -> None:
    contact_erased.connect(delete_lead_card, dispatch_uid="discovery.delete_lead_card")
