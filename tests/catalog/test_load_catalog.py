"""`load_catalog`: shipped services, texts per language, updates from a file or URL, refusals."""

import json
import socket
from decimal import Decimal

import pytest
from django.core.management.base import CommandError

from catalog.models import Service
from tests.factories import ServiceFactory
from tests.loading import command_output, write_source

pytestmark = pytest.mark.django_db


def load(*args):
    return command_output("load_catalog", *args)


write = write_source


def snapshot():
    return list(Service.objects.values_list("slug", "titles", "price", "is_active"))


def texts(slug):
    service = Service.objects.get(slug=slug)
    return {
        "title": service.titles,
        "short_description": service.short_descriptions,
        "description": service.descriptions,
        "duration": service.durations,
    }


def test_shipped_catalog_has_a_priced_service_and_one_on_request():
    load()

    consultation, support = Service.objects.order_by("position")
    assert (consultation.titles["ru"], consultation.price, consultation.currency) == (
        "Первичная консультация",
        Decimal("5000.00"),
        "RUB",
    )
    assert consultation.durations == {"ru": "60 минут", "en": "60 minutes"}
    assert (support.titles["ru"], support.price) == ("Комплексное сопровождение", None)


def test_every_shipped_text_is_in_russian_and_english():
    load()

    for service in Service.objects.all():
        for language_map in texts(service.slug).values():
            assert set(language_map) == {"ru", "en"}
            assert all(language_map.values())


def test_texts_per_language_are_read_from_maps(tmp_path):
    source = write(
        tmp_path,
        "s.yaml",
        "services:\n"
        "  - slug: audit\n"
        "    title: {ru: Аудит, en: Audit}\n"
        "    short_description: {en: A check-up}\n"
        "    duration: {ru: 2 часа, en: 2 hours}\n",
    )

    load("--source", source)

    assert texts("audit") == {
        "title": {"ru": "Аудит", "en": "Audit"},
        "short_description": {"en": "A check-up"},
        "description": {},
        "duration": {"ru": "2 часа", "en": "2 hours"},
    }


def test_a_plain_text_is_the_site_languages(tmp_path, settings):
    settings.LANGUAGE_CODE = "en"
    source = write(tmp_path, "s.yaml", "services:\n  - {slug: audit, title: Audit}\n")

    load("--source", source)

    assert texts("audit")["title"] == {"en": "Audit"}


def test_a_spreadsheet_has_a_column_per_language(file_server):
    url = file_server.serve(
        "/catalog.csv",
        "slug,title,title_en,duration,duration_en\naudit,Аудит,Audit,2 часа,2 hours\n",
    )

    load("--source", url)

    assert texts("audit")["title"] == {"ru": "Аудит", "en": "Audit"}
    assert texts("audit")["duration"] == {"ru": "2 часа", "en": "2 hours"}


@pytest.mark.parametrize(
    ("record", "error"),
    [
        ("{slug: audit, title: {en: Audit}}", "the title in the site language \\(ru\\) is missing"),
        ("{slug: audit, title: {ru: Аудит, de: Prüfung}}", "unknown language\\(s\\) de"),
        ("{slug: audit, title: Аудит, title_ru: Аудит}", "“title” in “ru” is given twice"),
        ("{slug: audit, title: {ru: [Аудит]}}", "“title” must map language codes to texts"),
        ("{slug: audit, title: {ru: Аудит, en: " + "A" * 201 + "}}", "“en” has 201 characters"),
    ],
    ids=["no-site-language-title", "unknown-language", "twice", "not-text", "too-long"],
)
def test_bad_texts_are_explained_and_change_nothing(tmp_path, record, error):
    ServiceFactory(slug="kept", title="Kept")
    before = snapshot()
    source = write(tmp_path, "s.yaml", f"services:\n  - {record}\n")

    with pytest.raises(CommandError, match=error):
        load("--source", source)

    assert snapshot() == before


def test_running_twice_does_not_duplicate():
    load()

    output = load()

    assert Service.objects.count() == 2
    assert "0 created, 0 updated, 2 unchanged" in output


def test_a_changed_price_in_the_file_updates_the_service(tmp_path):
    ServiceFactory(slug="audit", title="Audit", price=1000)
    source = write(tmp_path, "s.yaml", "services:\n  - {slug: audit, title: Audit, price: 1500}\n")

    load("--source", source)

    assert Service.objects.get(slug="audit").price == Decimal("1500.00")


def test_services_load_from_a_json_file_in_object_storage(file_server):
    body = json.dumps({"services": [{"slug": "audit", "title": "Аудит", "price": "2 500,50"}]})
    url = file_server.serve("/bucket/catalog", body, content_type="application/json")

    load("--source", url)

    assert Service.objects.get(slug="audit").price == Decimal("2500.50")


def test_an_empty_price_cell_means_price_on_request(file_server):
    url = file_server.serve("/catalog.csv", "slug,title,price,currency\naudit,Audit,,usd\n")

    load("--source", url)

    service = Service.objects.get(slug="audit")
    assert (service.price, service.currency) == (None, "USD")


def test_a_bad_price_changes_nothing(tmp_path):
    ServiceFactory(slug="audit", title="Audit", price=1000)
    before = snapshot()
    source = write(tmp_path, "s.csv", "slug,title,price\naudit,Audit,1200\nnew,New,five thousand\n")

    with pytest.raises(CommandError, match="row 3: field “price” must be a number"):
        load("--source", source)

    assert snapshot() == before


def test_a_bad_slug_is_explained(tmp_path):
    source = write(tmp_path, "s.csv", "slug,title\nnot a slug,Audit\n")

    with pytest.raises(CommandError, match="row 2: slug: "):
        load("--source", source)


def test_an_unreachable_url_changes_nothing(file_server):
    with pytest.raises(CommandError, match="HTTP 404"):
        load("--source", file_server.url("/missing.csv"))

    assert snapshot() == []


def test_a_dry_run_saves_nothing():
    load("--dry-run")

    assert snapshot() == []


def test_prune_deactivates_services_the_file_does_not_list():
    ServiceFactory(slug="old-offer")

    output = load("--prune")

    assert not Service.objects.get(slug="old-offer").is_active
    assert "1 deactivated" in output


def test_a_closed_port_changes_nothing():
    ServiceFactory(slug="audit", title="Audit")
    before = snapshot()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/catalog.csv"

    with pytest.raises(CommandError, match="cannot download"):
        load("--source", url)

    assert snapshot() == before
