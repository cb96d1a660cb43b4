"""Lead events from the models' signals (connected in `apps.py`), in the change's transaction.

Signals, as for the analytics rollup: `conversations` and `discovery` sit below and must not
import this app, and staff change a lead's status, phone or e-mail in the admin, which saves
the model and calls no service. The services save with `update_fields` naming what they
changed; a save without them (the admin's) is compared with the row before it. The lead card
and its confirmation are written without model signals (`bulk_create`, `update()`), so
`discovery` sends signals of its own for them. A person's data deleted at their request
(`contact_erased`) takes the lead's events with it.
"""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from conversations.models import Contact, Handoff
from conversations.signals import contact_erased
from discovery.signals import lead_card_changed, lead_card_confirmed
from integrations.models import LeadEvent
from integrations.selectors import active_routes
from integrations.services import lead_events_forget, lead_events_record

#: The fields of a lead whose change is an event.
_WATCHED = ("phone", "email", "status")
_BEFORE = "_crm_before"


@receiver(pre_save, sender=Contact, dispatch_uid="integrations_lead_saving")
def lead_saving(sender, instance, update_fields, **kwargs):
    """Before a save that does not say what changed, remember the watched fields as stored."""
    if instance.pk is None or update_fields is not None or not active_routes():
        return
    stored = Contact.objects.filter(pk=instance.pk).values(*_WATCHED).first()
    setattr(instance, _BEFORE, stored)


@receiver(post_save, sender=Contact, dispatch_uid="integrations_lead_saved")
def lead_saved(sender, instance, created, update_fields, **kwargs):
    before = instance.__dict__.pop(_BEFORE, None)
    if created:
        events = [(LeadEvent.Kind.CREATED, {})]
    elif update_fields is not None:
        events = lead_changes(instance, set(update_fields) & set(_WATCHED), previous_status=None)
    elif before is not None:
        changed = {field for field in _WATCHED if before[field] != getattr(instance, field)}
        events = lead_changes(instance, changed, previous_status=before["status"])
    else:
        return
    if events:
        lead_events_record(contact_id=instance.pk, events=events)


def lead_changes(contact: Contact, changed: set[str], previous_status) -> list[tuple[str, dict]]:
    """The events of a lead's change: the contact details first, then the status."""
    events = []
    shared = sorted(field for field in ("phone", "email") if field in changed)
    if shared and any(getattr(contact, field) for field in shared):
        events.append((LeadEvent.Kind.CONTACT_SHARED, {"fields": shared}))
    if "status" in changed:
        if contact.status == Contact.Status.QUALIFIED:
            events.append((LeadEvent.Kind.QUALIFIED, {}))
        else:
            change = {"from": previous_status, "to": contact.status}
            events.append((LeadEvent.Kind.STATUS_CHANGED, change))
    return events


@receiver(post_save, sender=Handoff, dispatch_uid="integrations_handoff_saved")
def handoff_saved(sender, instance, created, **kwargs):
    if created:
        events = [(LeadEvent.Kind.HANDED_OVER, {"reason": instance.reason})]
        lead_events_record(contact_id=instance.contact_id, events=events)


@receiver(lead_card_changed, dispatch_uid="integrations_card_changed")
def card_changed(sender, contact_id, keys, **kwargs):
    events = [(LeadEvent.Kind.CARD_CHANGED, {"fields": sorted(keys)})]
    lead_events_record(contact_id=contact_id, events=events)


@receiver(lead_card_confirmed, dispatch_uid="integrations_card_confirmed")
def card_confirmed(sender, contact_id, **kwargs):
    lead_events_record(contact_id=contact_id, events=[(LeadEvent.Kind.CONFIRMED, {})])


@receiver(contact_erased, dispatch_uid="integrations_lead_erased")
def lead_erased(sender, contact_id, **_identity):
    lead_events_forget(contact_id=contact_id)
