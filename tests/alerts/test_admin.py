"""Staff tune the rules' thresholds in admin and read the incidents; rules are not added or
deleted (one per condition)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertRule, Incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_every_condition_has_a_rule_from_the_start():
    assert set(AlertRule.objects.values_list("kind", flat=True)) == set(AlertRule.Kind.values)
    assert not AlertRule.objects.get(kind=AlertRule.Kind.NO_UPDATES).is_active


def test_a_threshold_is_changed_in_the_list(admin_client):
    rule = AlertRule.objects.get(kind=AlertRule.Kind.LLM_ERROR_RATE)
    rules = list(AlertRule.objects.order_by("kind"))
    form = {
        "form-TOTAL_FORMS": str(len(rules)),
        "form-INITIAL_FORMS": str(len(rules)),
        "_save": "Save",
    }
    for number, each in enumerate(rules):
        form.update(
            {
                f"form-{number}-id": str(each.pk),
                f"form-{number}-is_active": "on" if each.is_active else "",
                f"form-{number}-threshold": "35" if each.pk == rule.pk else str(each.threshold),
                f"form-{number}-window_minutes": str(each.window_minutes),
                f"form-{number}-notify_email": "on",
            }
        )
    response = admin_client.post(reverse("admin:alerts_alertrule_changelist"), form)

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == 35


def test_rules_are_neither_added_nor_deleted(admin_client):
    rule = AlertRule.objects.first()
    assert admin_client.get(reverse("admin:alerts_alertrule_add")).status_code == 403
    delete = reverse("admin:alerts_alertrule_delete", args=[rule.pk])
    assert admin_client.get(delete).status_code == 403


def test_incidents_show_what_was_seen_and_whether_it_is_still_on(admin_client):
    rule = AlertRule.objects.get(kind=AlertRule.Kind.QUEUE_LAG)
    Incident.objects.create(
        rule=rule, detail="An update has waited 300 s", opened_at=timezone.now()
    )
    page = admin_client.get(reverse("admin:alerts_incident_changelist")).content.decode()
    assert "An update has waited 300 s" in page
    assert "still on" in page
