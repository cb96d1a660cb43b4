"""The catalog admin: prices as staff read them, inline order and activity, bulk actions."""

import pytest
from django.urls import reverse

from catalog.models import Service
from tests.factories import BotFactory, ServiceFactory
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
    prepopulated = response.context["adminform"].prepopulated_fields[0]
    assert prepopulated["field"].name == "slug"
    assert [field.name for field in prepopulated["dependencies"]] == ["title_en"]


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


def service_form(**texts):
    data = {"slug": "audit", "price": "1500", "currency": "RUB", "position": "0"}
    data["is_active"] = "on"
    for prefix in ("title", "short_description", "description", "duration"):
        for code in ("ru", "en"):
            data[f"{prefix}_{code}"] = texts.get(f"{prefix}_{code}", "")
    return data


def test_each_language_has_its_own_boxes_saved_into_the_service(admin_client, db):
    data = service_form(
        title_en="Audit",
        title_ru="Аудит",
        duration_en="2 hours",
        duration_ru="2 часа",
        description_en="A full check.",
    )

    response = admin_client.post(reverse("admin:catalog_service_add"), data)

    assert response.status_code == 302
    service = Service.objects.get(slug="audit")
    assert service.titles == {"ru": "Аудит", "en": "Audit"}
    assert service.durations == {"ru": "2 часа", "en": "2 hours"}
    assert (service.descriptions, service.short_descriptions) == ({"en": "A full check."}, {})


def test_the_change_form_shows_every_languages_texts(admin_client, db):
    service = ServiceFactory(titles={"ru": "Аудит", "en": "Audit"}, durations={"ru": "2 часа"})

    response = admin_client.get(reverse("admin:catalog_service_change", args=[service.pk]))

    form = response.context["adminform"].form
    assert (form["title_ru"].value(), form["title_en"].value()) == ("Аудит", "Audit")
    assert (form["duration_ru"].value(), form["duration_en"].value()) == ("2 часа", "")


def test_the_title_in_the_site_language_is_required(admin_client, db):
    response = admin_client.post(
        reverse("admin:catalog_service_add"), service_form(title_ru="Аудит")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"title_en": ["This field is required."]}
    assert not Service.objects.exists()


def test_a_title_longer_than_200_characters_is_refused(admin_client, db):
    data = service_form(title_en="Audit", title_ru="А" * 201)

    response = admin_client.post(reverse("admin:catalog_service_add"), data)

    assert "title_ru" in response.context["adminform"].form.errors
    assert not Service.objects.exists()


def test_the_list_shows_the_site_languages_title_and_duration(admin_client, db):
    ServiceFactory(titles={"ru": "Аудит", "en": "Audit"}, durations={"ru": "2 часа", "en": "2 h"})

    content = admin_client.get(CHANGELIST).content.decode()

    assert "Audit" in content and "2 h" in content
    assert "Аудит" not in content


@pytest.mark.parametrize("term", ["Audit", "Аудит", "check-up"])
def test_search_finds_a_service_by_its_texts_in_any_language(admin_client, db, term):
    ServiceFactory(
        titles={"ru": "Аудит", "en": "Audit"}, short_descriptions={"en": "A yearly check-up"}
    )
    ServiceFactory(titles={"en": "Support"}, short_descriptions={})

    response = admin_client.get(CHANGELIST, {"q": term})

    assert [str(s) for s in response.context["cl"].result_list] == ["Audit"]


def test_the_list_sorts_by_the_site_languages_title(admin_client, db):
    for title in ("Care", "Audit", "Backup"):
        ServiceFactory(titles={"en": title, "ru": "Я"})

    response = admin_client.get(CHANGELIST, {"o": "1"})

    assert [str(s) for s in response.context["cl"].result_list] == ["Audit", "Backup", "Care"]


# --- The bots that offer a service ------------------------------------------------------------


def test_the_bots_offering_a_service_are_chosen_on_its_form(admin_client, db):
    shop, _clinic = BotFactory(name="Shop"), BotFactory(name="Clinic")
    data = {**service_form(title_en="Audit"), "bots": [shop.pk]}

    response = admin_client.post(reverse("admin:catalog_service_add"), data)

    assert response.status_code == 302
    assert list(Service.objects.get().bots.all()) == [shop]
    page = admin_client.get(
        reverse("admin:catalog_service_change", args=[Service.objects.get().pk])
    )
    assert 'class="selectfilter"' in page.content.decode()


def test_services_filter_by_the_bot_that_offers_them_or_by_every_bot(admin_client, db):
    shop = BotFactory(name="Shop")
    ServiceFactory(title="Shop only").bots.add(shop)
    ServiceFactory(title="Everywhere")

    of_shop = admin_client.get(CHANGELIST, {"bots__id__exact": shop.pk})
    everywhere = admin_client.get(CHANGELIST, {"bots__isnull": "True"})

    assert [str(service) for service in of_shop.context["cl"].result_list] == ["Shop only"]
    assert [str(service) for service in everywhere.context["cl"].result_list] == ["Everywhere"]
    assert "every bot" in everywhere.content.decode()
