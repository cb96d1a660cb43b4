"""Personal-data rights in storage: consent with its policy version, a person's data deleted
at their request, texts removed after the retention period, and the staff's JSON export."""

import json
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from conversations import services
from conversations.models import Contact, Handoff, Message, OutboxEntry, StaffTopic
from tests.factories import (
    ContactFactory,
    LeadFieldValueFactory,
    MessageFactory,
    ServiceFactory,
    UserFactory,
)
from tests.permissions import login_with_permissions

pytestmark = pytest.mark.django_db


def test_consent_keeps_the_policy_version_in_effect(settings):
    settings.PRIVACY_POLICY_VERSION = "2026-11"
    contact = ContactFactory()
    services.contact_record_details(contact_id=contact.pk, phone="+79123456789")
    settings.PRIVACY_POLICY_VERSION = "2027-01"
    services.contact_record_details(contact_id=contact.pk, email="anna@example.com")

    contact.refresh_from_db()
    assert contact.consent_at is not None
    assert contact.consent_policy_version == "2026-11"  # consent was given once, under it


@pytest.fixture
def lead_with_history():
    contact = ContactFactory(phone="+79123456789", email="anna@example.com", source="ads")
    MessageFactory(conversation__contact=contact, text="I am Anna, call +79123456789")
    Handoff.objects.create(contact=contact, reason="assistant", why="Anna is upset")
    StaffTopic.objects.create(contact=contact, chat_id="-100", thread_id=7)
    return contact


def test_erasing_removes_who_the_person_was_and_keeps_an_anonymous_record(lead_with_history):
    contact = lead_with_history
    LogEntry.objects.create(
        user=UserFactory(),
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=str(contact.pk),
        object_repr="Anna Petrova",
        action_flag=CHANGE,
    )

    erasure = services.contact_erase(contact_id=contact.pk)

    contact.refresh_from_db()
    assert (erasure.erased, erasure.topic.thread_id) == (True, 7)
    assert str(contact) == f"Deleted lead #{contact.pk}"
    assert (contact.phone, contact.email, contact.first_name, contact.consent_at) == (
        "",
        "",
        "",
        None,
    )
    assert (contact.source, contact.erased_at is not None) == ("ads", True)
    assert list(Message.objects.values_list("text", "redacted")) == [("", True)]
    assert list(Handoff.objects.values_list("why", "state")) == [("", "closed")]
    assert not StaffTopic.objects.exists()
    assert LogEntry.objects.get().object_repr == f"#{contact.pk}"


def test_erasing_twice_changes_nothing_more(lead_with_history):
    services.contact_erase(contact_id=lead_with_history.pk)
    again = services.contact_erase(contact_id=lead_with_history.pk)
    assert (again.erased, again.topic) == (False, None)


def test_erasing_drops_operator_replies_not_sent_yet(lead_with_history):
    OutboxEntry.objects.create(contact=lead_with_history, kind=OutboxEntry.Kind.RELEASED)
    services.contact_erase(contact_id=lead_with_history.pk)
    assert not OutboxEntry.objects.exists()


def test_the_lead_card_goes_with_the_person(lead_with_history):
    LeadFieldValueFactory(contact=lead_with_history, key="budget", value=5000, display="5000")
    services.contact_erase(contact_id=lead_with_history.pk)
    assert not lead_with_history.field_values.exists()


def test_texts_older_than_the_cutoff_are_removed_in_batches():
    now = timezone.now()
    old = [MessageFactory(text=f"old {n}") for n in range(5)]
    recent = MessageFactory(text="recent")
    Message.objects.filter(pk__in=[m.pk for m in old]).update(created_at=now - timedelta(days=40))

    assert services.messages_redact_before(cutoff=now - timedelta(days=30), batch_size=2) == 5
    assert services.messages_redact_before(cutoff=now - timedelta(days=30)) == 0
    texts = dict(Message.objects.values_list("pk", "text"))
    assert [texts[m.pk] for m in old] == [""] * 5
    assert texts[recent.pk] == "recent"


def test_a_voice_messages_file_id_goes_with_its_transcript():
    now = timezone.now()
    erased = MessageFactory(text="my words", content_type="voice", media_file="file-1")
    aged = MessageFactory(text="old words", content_type="voice", media_file="file-2")
    Message.objects.filter(pk=aged.pk).update(created_at=now - timedelta(days=40))

    services.contact_erase(contact_id=erased.contact_id)
    services.messages_redact_before(cutoff=now - timedelta(days=30))

    assert set(Message.objects.values_list("text", "media_file")) == {("", "")}


def personal_data_url(contact):
    return reverse("admin:conversations_contact_personal_data", args=[contact.pk])


def test_staff_download_a_persons_data_as_json(admin_client, lead_with_history, caplog):
    LeadFieldValueFactory(contact=lead_with_history, key="budget", value=5000, display="5000")
    ServiceFactory().interests.create(contact=lead_with_history)
    page = admin_client.get(
        reverse("admin:conversations_contact_change", args=[lead_with_history.pk])
    )
    response = admin_client.get(personal_data_url(lead_with_history))

    assert personal_data_url(lead_with_history) in page.content.decode()
    assert response["Content-Disposition"] == (
        f'attachment; filename="lead-{lead_with_history.pk}.json"'
    )
    data = json.loads(response.content)
    assert data["lead"]["phone"] == "+79123456789"
    [conversation] = data["conversations"]
    assert conversation["messages"][0]["text"] == "I am Anna, call +79123456789"
    assert data["handoffs"][0]["reason"] == "assistant"
    assert [entry["value"] for entry in data["lead_card"]] == ["5000"]
    assert len(data["interests"]) == 1
    assert "leads exported: count=1 format=json" in caplog.text


def test_staff_who_may_not_export_get_neither_the_link_nor_the_file(client, lead_with_history):
    login_with_permissions(client, "view_contact")
    page = client.get(reverse("admin:conversations_contact_change", args=[lead_with_history.pk]))

    assert personal_data_url(lead_with_history) not in page.content.decode()
    assert client.get(personal_data_url(lead_with_history)).status_code == 403


def test_the_file_of_an_unknown_lead_is_not_found(admin_client):
    assert admin_client.get(personal_data_url(Contact(pk=999))).status_code == 404


def test_the_transcript_marks_removed_texts(admin_client, lead_with_history, settings):
    settings.LANGUAGE_CODE = "en"
    services.contact_erase(contact_id=lead_with_history.pk)
    url = reverse("admin:conversations_contact_transcript", args=[lead_with_history.pk])
    assert "(text removed)" in admin_client.get(url).content.decode()
