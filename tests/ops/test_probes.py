"""/healthz and /readyz: what an orchestrator reads to restart a process or send it traffic."""

import datetime as dt

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings
from django.utils import timezone

from bot.inbox import inbox_store
from bot.models import InboundUpdate
from tests.ops.asgi import asgi_get

#: A production host list and HTTPS redirect: what a container's probe must get past.
PRODUCTION = override_settings(ALLOWED_HOSTS=["admin.example.com"], SECURE_SSL_REDIRECT=True)


def waiting_update(*, seconds_ago: float) -> None:
    """An update stored `seconds_ago` and still waiting to be handled."""
    [stored] = inbox_store(bot_id=1, payloads=[{"update_id": 1, "message": {"chat": {"id": 5}}}])
    received = timezone.now() - dt.timedelta(seconds=seconds_ago)
    InboundUpdate.objects.filter(pk=stored.id).update(received_at=received)


@pytest.fixture
def database_down(monkeypatch):
    """Every new connection and query fails, as when PostgreSQL is stopped."""

    def refuse(self):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)


@pytest.mark.django_db
def test_the_process_is_alive_and_ready_with_an_empty_inbox(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_an_update_waiting_less_than_the_limit_keeps_it_ready(client, settings):
    settings.READY_MAX_QUEUE_AGE = 60
    waiting_update(seconds_ago=30)
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_an_update_waiting_longer_than_the_limit_makes_it_unready_but_alive(client, settings):
    settings.READY_MAX_QUEUE_AGE = 60
    waiting_update(seconds_ago=90)

    readiness = client.get("/readyz", HTTP_ACCEPT="application/json")

    assert readiness.status_code == 503
    assert "the oldest waiting update came 90 s ago" in readiness.json()["InboxLag()"]
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_an_old_update_that_was_handled_does_not_count(client, settings):
    settings.READY_MAX_QUEUE_AGE = 60
    waiting_update(seconds_ago=600)
    InboundUpdate.objects.update(state=InboundUpdate.State.DONE)
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_a_probe_failing_again_and_again_keeps_the_logs_quiet(client, settings, caplog):
    settings.READY_MAX_QUEUE_AGE = 60
    waiting_update(seconds_ago=90)
    with caplog.at_level("INFO"):
        for _probe in range(3):
            assert client.get("/readyz").status_code == 503
    assert [record for record in caplog.records if record.name == "health_check"] == []


@pytest.mark.django_db
def test_without_the_database_it_is_alive_but_not_ready(client, database_down):
    readiness = client.get("/readyz", HTTP_ACCEPT="application/json")

    assert readiness.status_code == 503
    assert readiness.json()["InboxLag()"] == "Unavailable: the inbox cannot be read"
    assert readiness.json()["Database(alias='default')"].startswith("Unavailable")
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
@PRODUCTION
def test_probes_answer_on_the_containers_own_address_over_plain_http(client):
    # Docker's HEALTHCHECK and Kubernetes ask the container itself: any Host, no TLS.
    assert client.get("/admin/login/", HTTP_HOST="10.0.0.5:8000").status_code == 400
    assert client.get("/healthz", HTTP_HOST="10.0.0.5:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.0.5:8000").status_code == 200


@pytest.mark.django_db(transaction=True)
@PRODUCTION
async def test_probes_answer_through_the_asgi_server_on_any_host():
    assert (await asgi_get("/healthz", host="10.0.0.5:8000"))[0] == 200
    assert (await asgi_get("/readyz", host="10.0.0.5:8000"))[0] == 200
    assert (await asgi_get("/admin/login/", host="10.0.0.5:8000"))[0] == 400
