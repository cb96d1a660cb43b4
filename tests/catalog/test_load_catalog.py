"""`load_catalog`: shipped services, updates from a file or URL, refusals that change nothing."""

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
    return list(Service.objects.values_list("slug", "title", "price", "is_active"))


def test_shipped_catalog_has_a_priced_service_and_one_on_request():
    load()

    consultation, support = Service.objects.order_by("position")
    assert (consultation.title, consultation.price, consultation.currency) == (
        "Первичная консультация",
        Decimal("5000.00"),
        "RUB",
    )
    assert consultation.duration == "60 минут"
    assert (support.title, support.price) == ("Комплексное сопровождение", None)


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
