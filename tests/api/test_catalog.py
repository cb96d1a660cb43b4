"""The catalog through the API: read with any token, written through the admin's own rules."""

import pytest

from catalog.models import Service
from catalog.selectors import active_services
from tests.factories import BotFactory, ServiceFactory

pytestmark = pytest.mark.django_db

NEW = {
    "slug": "audit",
    "titles": {"ru": "Аудит", "en": "Audit"},
    "short_descriptions": {"ru": "Проверка", "en": "A check"},
    "price": "15000.00",
    "currency": "RUB",
}


def test_a_service_is_created_with_its_texts_per_language(api):
    bot = BotFactory()

    answer = api.post("/services", {**NEW, "bots": [bot.pk]})

    assert answer.status_code == 201, answer.content
    service = Service.objects.get(slug="audit")
    assert (service.titles, service.price, list(service.bots.all())) == (
        {"ru": "Аудит", "en": "Audit"},
        15000,
        [bot],
    )
    assert answer.json()["id"] == service.pk
    assert [s.title for s in active_services(language="en", bot_id=bot.pk)] == ["Audit"]


def test_a_service_without_a_title_in_the_site_language_is_refused(api):
    answer = api.post("/services", {**NEW, "titles": {"en": "Audit"}})

    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == ["title_ru"]
    assert not Service.objects.exists()


def test_a_slug_taken_or_a_text_too_long_is_refused(api):
    ServiceFactory(slug="audit")

    taken = api.post("/services", NEW)
    long = api.post("/services", {**NEW, "slug": "audit-2", "titles": {"ru": "А" * 201}})

    assert taken.status_code == long.status_code == 422
    assert not Service.objects.filter(slug="audit-2").exists()


def test_texts_in_languages_the_site_does_not_offer_are_refused(api):
    answer = api.post("/services", {**NEW, "titles": {"ru": "Аудит", "xx": "?"}})

    assert answer.status_code == 422
    assert "xx" in str(answer.json()["errors"])


def test_a_change_touches_only_what_it_names(api):
    service = ServiceFactory(title="Аудит", price=100, position=4)

    answer = api.patch(f"/services/{service.pk}", {"price": None, "is_active": False})

    assert answer.status_code == 200, answer.content
    service.refresh_from_db()
    assert (service.price, service.is_active, service.position, service.titles) == (
        None,
        False,
        4,
        {"ru": "Аудит"},
    )


def test_a_service_is_deleted(api):
    service = ServiceFactory()

    assert api.delete(f"/services/{service.pk}").status_code == 204
    assert not Service.objects.exists()
    assert api.delete(f"/services/{service.pk}").status_code == 404


def test_services_are_listed_in_the_catalogs_order(api):
    second, first = ServiceFactory(position=2), ServiceFactory(position=1)

    listed = api.get("/services").json()

    assert [s["id"] for s in listed] == [first.pk, second.pk]
    assert api.get(f"/services/{second.pk}").json()["slug"] == second.slug


def test_texts_kept_in_a_language_no_longer_offered_stay_through_a_change(api):
    service = ServiceFactory(titles={"ru": "Аудит", "de": "Prüfung"})

    assert api.patch(f"/services/{service.pk}", {"position": 9}).status_code == 200
    service.refresh_from_db()
    assert service.titles == {"ru": "Аудит", "de": "Prüfung"}
