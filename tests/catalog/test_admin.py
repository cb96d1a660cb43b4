"""The catalog admin: prices as staff read them, inline order and activity, bulk actions."""

import pytest
from django.urls import reverse

from catalog.models import Service
from tests.factories import ServiceFactory
from tests.permissions import login_with_permissions

CHANGELIST = reverse("admin:catalog_service_changelist")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_list_shows_price_or_on_request(admin_client, db):
    ServiceFactory(title="Audit", price=5000)
    ServiceFactory(title="Custom project", price=None)

    content = admin_client.get(CHANGELIST).content.decode()

    assert "5000" in content
    assert "on request" in content


def test_position_and_activity_are_editable_from_the_list(admin_client, db):
    first, second = ServiceFactory(position=1), ServiceFactory(position=2)
    data = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2", "_save": "Save"}
    for index, (service, position, active) in enumerate(((first, 5, True), (second, 0, False))):
        data[f"form-{index}-id"] = str(service.pk)
        data[f"form-{index}-position"] = str(position)
        if active:
            data[f"form-{index}-is_active"] = "on"

    response = admin_client.post(CHANGELIST, data)

    assert response.status_code == 302
    assert list(Service.objects.values_list("pk", "is_active")) == [
        (second.pk, False),
        (first.pk, True),
    ]


@pytest.mark.parametrize(
    ("action", "before", "after", "message"),
    [
        ("activate", False, True, "2 services activated."),
        ("deactivate", True, False, "2 services deactivated."),
    ],
)
def test_bulk_actions_switch_services(admin_client, db, action, before, after, message):
    services = ServiceFactory.create_batch(2, is_active=before)

    response = admin_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [s.pk for s in services]},
        follow=True,
    )

    assert set(Service.objects.values_list("is_active", flat=True)) == {after}
    assert message in response.content.decode()


def test_add_form_prepopulates_the_slug_from_the_title(admin_client, db):
    response = admin_client.get(reverse("admin:catalog_service_add"))

    assert "prepopulated" in response.content.decode()
    assert response.context["adminform"].prepopulated_fields[0]["field"].name == "slug"


def test_view_only_staff_are_not_offered_the_bulk_actions(client, db):
    ServiceFactory()
    viewer = login_with_permissions(client, "view_service")

    content = viewer.get(CHANGELIST).content.decode()

    assert 'value="activate"' not in content
    assert 'value="deactivate"' not in content


@pytest.mark.parametrize(("action", "before"), [("activate", False), ("deactivate", True)])
def test_a_forged_bulk_action_from_view_only_staff_changes_nothing(client, db, action, before):
    services = ServiceFactory.create_batch(2, is_active=before)
    viewer = login_with_permissions(client, "view_service")

    response = viewer.post(
        CHANGELIST, {"action": action, "_selected_action": [s.pk for s in services]}
    )

    assert response.status_code == 200
    assert set(Service.objects.values_list("is_active", flat=True)) == {before}
