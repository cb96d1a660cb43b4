"""Staff configure integrations (the secret written once, never shown) and follow deliveries."""

import pytest
from django.urls import reverse

from integrations.models import CrmRecord, Delivery, Integration, LeadEvent
from integrations.services import lead_events_record
from tests.factories import BotFactory, ContactFactory, IntegrationFactory
from tests.permissions import login_with_permissions

ADD = reverse("admin:integrations_integration_add")
DELIVERIES = reverse("admin:integrations_delivery_changelist")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def form(**changes) -> dict:
    data = {
        "name": "Sales CRM",
        "kind": "webhook",
        "is_active": "on",
        "url": "https://crm.example.com/hooks/leads",
        "secret": "",
        "bot": "",
        "mappings-TOTAL_FORMS": "1",
        "mappings-INITIAL_FORMS": "0",
        "mappings-0-card_key": "",
        "mappings-0-crm_field": "",
    }
    return {**data, **changes}


def test_an_integration_keeps_its_secret_encrypted_and_never_shows_it(admin_client):
    response = admin_client.post(ADD, form(secret="s3cret-value-42"))
    assert response.status_code == 302
    integration = Integration.objects.get()
    assert integration.secret() == "s3cret-value-42"
    assert "s3cret-value-42" not in integration.secret_encrypted
    for page in (
        reverse("admin:integrations_integration_changelist"),
        reverse("admin:integrations_integration_change", args=[integration.pk]),
    ):
        content = admin_client.get(page).content.decode()
        assert "s3cret-value-42" not in content
        assert integration.secret_encrypted not in content
    assert "stored encrypted" in content


def test_saving_without_a_new_secret_keeps_the_old_one(admin_client):
    integration = IntegrationFactory(secret="first-secret")
    change = reverse("admin:integrations_integration_change", args=[integration.pk])
    assert admin_client.post(change, form(name="Renamed")).status_code == 302
    integration.refresh_from_db()
    assert (integration.name, integration.secret()) == ("Renamed", "first-secret")


def test_a_new_integration_needs_its_secret(admin_client):
    response = admin_client.post(ADD, form())
    assert "Give the secret" in str(response.context["adminform"].form.errors)
    assert Integration.objects.count() == 0


def test_without_keys_a_secret_cannot_be_stored(admin_client, settings):
    settings.BOT_TOKEN_KEYS = []
    response = admin_client.post(ADD, form(secret="s3cret-value-42"))
    assert "BOT_TOKEN_KEYS is not set" in str(response.context["adminform"].form.errors)


def test_a_mapping_to_a_field_name_a_crm_cannot_have_is_refused(admin_client):
    data = form(**{"secret": "x" * 10, "mappings-0-card_key": "budget"})
    response = admin_client.post(ADD, {**data, "mappings-0-crm_field": "бюджет сделки"})
    assert response.status_code == 200
    assert Integration.objects.count() == 0
    data["mappings-0-crm_field"] = "UF_CRM_BUDGET"
    assert admin_client.post(ADD, data).status_code == 302
    assert str(Integration.objects.get().mappings.get()) == "budget → UF_CRM_BUDGET"


def test_an_amocrm_field_is_named_by_its_number(admin_client):
    data = form(**{"kind": "amocrm", "secret": "x" * 10, "mappings-0-card_key": "budget"})
    response = admin_client.post(ADD, {**data, "mappings-0-crm_field": "UF_CRM_BUDGET"})
    assert "amoCRM names a field by its number." in response.content.decode()
    data["mappings-0-crm_field"] = "700123"
    assert admin_client.post(ADD, data).status_code == 302


def dead_delivery(contact=None) -> Delivery:
    """A lead's event that its integration (one, made once) refused."""
    if not Integration.objects.exists():
        IntegrationFactory()
    contact = contact or ContactFactory()
    lead_events_record(contact_id=contact.pk, events=[(LeadEvent.Kind.QUALIFIED, {})])
    delivery = Delivery.objects.get(event__kind="qualified", contact=contact)
    delivery.status, delivery.response_code, delivery.response = "dead", 400, "bad field"
    delivery.save()
    return delivery


def test_deliveries_show_their_status_and_answer_and_a_dead_one_can_be_sent_again(admin_client):
    delivery = dead_delivery()
    content = admin_client.get(DELIVERIES, {"status__exact": "dead"}).content.decode()
    assert "bad field" in content
    assert "Qualified" in content
    response = admin_client.post(
        DELIVERIES, {"action": "send_again", "_selected_action": [delivery.pk]}, follow=True
    )
    assert "1 delivery will be sent again." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "pending"


def test_sending_again_what_is_not_dead_changes_nothing(admin_client):
    IntegrationFactory()
    contact = ContactFactory()
    lead_events_record(contact_id=contact.pk, events=[(LeadEvent.Kind.QUALIFIED, {})])
    pending = Delivery.objects.get(event__kind="qualified")
    response = admin_client.post(
        DELIVERIES, {"action": "send_again", "_selected_action": [pending.pk]}, follow=True
    )
    assert "0 deliveries will be sent again." in response.content.decode()


def test_the_leads_page_shows_its_deliveries_and_its_id_in_the_crm(admin_client):
    delivery = dead_delivery()
    CrmRecord.objects.create(
        integration=delivery.integration, contact=delivery.contact, external_id="4711"
    )
    page = reverse("admin:conversations_contact_change", args=[delivery.contact_id])
    content = admin_client.get(page).content.decode()
    assert "4711" in content
    assert "bad field" in content


def test_staff_see_only_the_deliveries_of_their_bots_leads(client):
    shop, other = BotFactory(), BotFactory()
    mine = dead_delivery(ContactFactory(bot=shop, first_name="Mine"))
    dead_delivery(ContactFactory(bot=other, first_name="Theirs"))
    login_with_permissions(client, "view_delivery", bots=[shop])
    response = client.get(DELIVERIES)
    assert [row.pk for row in response.context["cl"].result_list] == [mine.pk]
