"""Each lead's scenario, card confirmation and interests move from the lead to this app.

A lead with a scenario or a confirmed card gets its `LeadDiscovery` row. Interests are copied
in the order they were added, since that order decides which service's scenario applies; they
carry the time of the move, as the lead's list of services kept no time. Going back copies
everything onto the lead again (conversations 0010 brings its columns back first).
"""

from itertools import islice

from django.db import migrations
from django.db.models import Q

BATCH = 1000


def _in_batches(create, objects):
    """Write `objects` (a generator) a batch at a time, so memory does not grow with leads."""
    while batch := list(islice(objects, BATCH)):
        create(batch)


def move_to_discovery(apps, schema_editor):
    db = schema_editor.connection.alias
    Contact = apps.get_model("conversations", "Contact")
    LeadDiscovery = apps.get_model("discovery", "LeadDiscovery")
    ServiceInterest = apps.get_model("discovery", "ServiceInterest")
    leads = (
        Contact.objects.using(db)
        .filter(Q(scenario__isnull=False) | Q(card_confirmed_at__isnull=False))
        .order_by("pk")
        .values_list("pk", "scenario_id", "card_confirmed_at")
    )
    _in_batches(
        LeadDiscovery.objects.using(db).bulk_create,
        (
            LeadDiscovery(contact_id=pk, scenario_id=scenario_id, card_confirmed_at=confirmed_at)
            for pk, scenario_id, confirmed_at in leads.iterator(chunk_size=BATCH)
        ),
    )
    interests = Contact.interested_in.through.objects.using(db).order_by("pk")
    _in_batches(
        ServiceInterest.objects.using(db).bulk_create,
        (
            ServiceInterest(contact_id=contact_id, service_id=service_id)
            for contact_id, service_id in interests.values_list(
                "contact_id", "service_id"
            ).iterator(chunk_size=BATCH)
        ),
    )


def move_back_to_the_lead(apps, schema_editor):
    db = schema_editor.connection.alias
    Contact = apps.get_model("conversations", "Contact")
    LeadDiscovery = apps.get_model("discovery", "LeadDiscovery")
    ServiceInterest = apps.get_model("discovery", "ServiceInterest")
    leads = LeadDiscovery.objects.using(db).order_by("pk")
    _in_batches(
        lambda batch: Contact.objects.using(db).bulk_update(
            batch, ["scenario", "card_confirmed_at"]
        ),
        (
            Contact(pk=contact_id, scenario_id=scenario_id, card_confirmed_at=confirmed_at)
            for contact_id, scenario_id, confirmed_at in leads.values_list(
                "contact_id", "scenario_id", "card_confirmed_at"
            ).iterator(chunk_size=BATCH)
        ),
    )
    Interest = Contact.interested_in.through
    interests = ServiceInterest.objects.using(db).order_by("pk")
    _in_batches(
        Interest.objects.using(db).bulk_create,
        (
            Interest(contact_id=contact_id, service_id=service_id)
            for contact_id, service_id in interests.values_list(
                "contact_id", "service_id"
            ).iterator(chunk_size=BATCH)
        ),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("discovery", "0004_lead_discovery_and_service_interest"),
    ]

    operations = [migrations.RunPython(move_to_discovery, move_back_to_the_lead)]
