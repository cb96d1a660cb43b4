"""The message core behind the webhook as real processes: uvicorn serving `config.asgi` and a
`runworker`, on PostgreSQL, Telegram's posts made by a `WebhookPoster` (the polling twins are
in test_message_core.py).

    PROCESS_TEST_OUTAGE_UPDATES=300 PROCESS_TEST_OUTAGE_SECONDS=20 DATABASE_URL=postgres://... \
    pytest -m processes tests/processes/test_webhook_mode.py
"""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

import pytest
from django.db import connection

from bot.models import InboundUpdate
from tests.fakes.webhook_poster import SECRET_HEADER
from tests.processes.conftest import knob
from tests.processes.load import Load

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="workers in several processes need procrastinate's queue, which is PostgreSQL's",
    ),
]


def test_a_database_outage_behind_the_webhook_loses_no_update(
    database_proxy, webhook_processes, fake_telegram
):
    """The database unreachable for a while (every connection broken, new ones refused)
    while Telegram keeps posting: the webhook answers 503, so Telegram keeps each update and
    posts it again; once the database is back, every update is stored once and answered."""
    site = webhook_processes(port=database_proxy.port)
    load = Load(fake_telegram, poster=site.poster)
    total = knob("PROCESS_TEST_OUTAGE_UPDATES", 300)
    load.push(total // 2)
    load.wait_for_replies(total // 4)
    database_proxy.cut()
    during_outage = load.push(total - total // 2)
    time.sleep(knob("PROCESS_TEST_OUTAGE_SECONDS", 10))  # the outage, under load
    assert site.poster.refused["503"] > 0  # Telegram was told to post again later
    assert not set(during_outage) & set(site.poster.stored_at)  # none confirmed
    database_proxy.restore()
    load.wait_settled()
    load.assert_each_stored_once()
    load.assert_answered_in_order()
    assert set(site.poster.refused) == {"503"}  # never an error, a dropped connection


def test_a_post_without_the_right_secret_is_refused_and_nothing_is_stored(
    webhook_processes, fake_telegram
):
    """The web process as deployed (the secret from its environment): Telegram's post is
    taken, one with a wrong or no secret gets 403."""
    site = webhook_processes(workers=0)
    [wrong, missing, right] = (fake_telegram.push_message(4242, "hello") for _ in range(3))

    def status_of(update_id: int, secret: str | None) -> int:
        address = urlsplit(site.url)
        client = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        body = json.dumps(fake_telegram.hand_out(update_id))
        client.request("POST", address.path, body=body, headers=headers)
        status = client.getresponse().status
        client.close()
        return status

    assert status_of(wrong, "not-" + site.secret) == 403
    assert status_of(missing, None) == 403
    assert status_of(right, site.secret) == 200
    assert list(InboundUpdate.objects.values_list("update_id", flat=True)) == [right]
