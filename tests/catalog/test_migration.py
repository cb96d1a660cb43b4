"""Services saved before texts were per language keep them, in the site language."""

import pytest

from tests.migrating import migrate, migrate_to_latest

BEFORE = [("catalog", "0001_initial")]
AFTER = [("catalog", "0003_remove_single_language_texts")]


@pytest.fixture
def old_service(transactional_db, settings):
    settings.LANGUAGE_CODE = "ru"
    Service = migrate(BEFORE).get_model("catalog", "Service")
    Service.objects.create(
        slug="consultation",
        title="Первичная консультация",
        short_description="Разбор ситуации.",
        description="",
        duration="60 минут",
        price=5000,
    )
    yield
    migrate_to_latest()


def test_todays_texts_move_into_the_site_language(old_service):
    service = migrate(AFTER).get_model("catalog", "Service").objects.get()

    assert service.titles == {"ru": "Первичная консультация"}
    assert service.short_descriptions == {"ru": "Разбор ситуации."}
    assert (service.descriptions, service.durations) == ({}, {"ru": "60 минут"})


def test_going_back_restores_the_site_languages_texts(old_service):
    Service = migrate(AFTER).get_model("catalog", "Service")
    Service.objects.update(titles={"en": "Consultation", "ru": "Консультация"})

    service = migrate(BEFORE).get_model("catalog", "Service").objects.get()

    assert (service.title, service.duration) == ("Консультация", "60 минут")
