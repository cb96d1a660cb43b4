"""Signals for writes of the lead card that send no model signal (`bulk_create`, a queryset's
`update()`), for the apps above that follow leads (CRM delivery). Each is sent inside the
transaction of the change, so what a receiver writes commits or rolls back with it."""

from django.dispatch import Signal

#: Sent when values on a lead's card changed: `contact_id`, `keys` (the fields changed).
lead_card_changed = Signal()
#: Sent when the person confirmed the summary of their card: `contact_id`.
lead_card_confirmed = Signal()
