"""What operations see of CRM delivery (/metrics), and the outbox kept small (pruning)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from integrations.models import Delivery, LeadEvent
from integrations.services import lead_events_record
from tests.factories import ContactFactory, IntegrationFactory
from tests.ops.scraping import TOKEN, scrape

pytestmark = pytest.mark.django_db


def events(contact, *kinds):
    lead_events_record(contact_id=contact.pk, events=[(kind, {}) for kind in kinds])


def test_undelivered_and_dead_deliveries_and_the_oldest_wait_are_on_the_metrics_page(
    client, settings
):
    settings.METRICS_TOKEN = TOKEN
    page = scrape(client)
    assert page[("consult_crm_deliveries", ("status", "dead"))] == 0
    assert page[("consult_crm_oldest_waiting_seconds",)] == 0
    contact = ContactFactory()
    IntegrationFactory()
    events(contact, "qualified", "confirmed", "handed_over")
    Delivery.objects.filter(event__kind="qualified").update(status="dead")
    Delivery.objects.filter(event__kind="confirmed").update(
        status="retrying", created_at=timezone.now() - dt.timedelta(minutes=10)
    )
    page = scrape(client)
    assert page[("consult_crm_deliveries", ("status", "dead"))] == 1
    assert page[("consult_crm_deliveries", ("status", "retrying"))] == 1
    assert page[("consult_crm_deliveries", ("status", "pending"))] == 1
    assert 10 * 60 <= page[("consult_crm_oldest_waiting_seconds",)] < 11 * 60


def test_pruning_deletes_old_delivered_events_but_each_leads_last_and_any_undelivered(
    settings,
):
    settings.CRM_KEEP_DAYS = 30
    contact, other = ContactFactory(), ContactFactory()
    IntegrationFactory()
    events(contact, "qualified", "confirmed", "handed_over", "status_changed")
    events(other, "qualified")
    Delivery.objects.exclude(event__kind="confirmed").update(status="delivered")
    LeadEvent.objects.update(created_at=timezone.now() - dt.timedelta(days=31))
    events(contact, "card_changed")  # today's
    Delivery.objects.update(status="delivered")
    Delivery.objects.filter(event__kind="confirmed").update(status="dead")

    out = io.StringIO()
    call_command("prune_crm_events", stdout=out)

    left = set(LeadEvent.objects.values_list("contact_id", "kind"))
    assert left == {
        (contact.pk, "confirmed"),  # not delivered
        (contact.pk, "card_changed"),  # recent, and the lead's last
        (other.pk, "qualified"),  # old, but its lead's last: the next number goes on from it
    }
    assert "Deleted 3 lead events older than 30 days." in out.getvalue()
    events(other, "confirmed")
    assert LeadEvent.objects.get(contact=other, kind="confirmed").sequence == 2
