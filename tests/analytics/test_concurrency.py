"""Writers at the same time, on PostgreSQL: the rollup still adds up (SQLite has one writer)."""

import threading

import pytest
from django.db import connection, connections

from analytics.models import CountedConversation
from analytics.rollup import rollup_rebuild
from conversations import services
from discovery.services import lead_qualify
from tests.analytics.test_rollup import rollup_rows

WORKERS = 4
ROUNDS = 15

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer"),
    pytest.mark.django_db(transaction=True),
]


def run_together(work) -> None:
    """`work(worker)` in WORKERS threads released at once; errors are raised here."""
    start, errors = threading.Barrier(WORKERS), []

    def worker(number):
        try:
            start.wait()
            work(number)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_concurrent_messages_and_changes_of_one_lead_add_up():
    contact, _created = services.contact_touch(channel="telegram", external_id="1")
    talk = services.message_record_incoming(contact_id=contact.id, text="/start").conversation_id

    def work(worker):
        for number in range(ROUNDS):
            services.message_record_incoming(
                contact_id=contact.id,
                text="And a question?",
                telegram_update_id=worker * 100 + number,
            )
            services.message_record_reply(
                contact_id=contact.id,
                text="An answer.",
                conversation_id=talk,
                model_name="gpt-x",
                prompt_tokens=10,
                latency_ms=100 + number,
            )
            if number == ROUNDS // 2:
                services.contact_set_source(contact_id=contact.id, source=f"source{worker}")
                services.contact_record_details(contact_id=contact.id, phone="+79990000001")
                lead_qualify(contact_id=contact.id)

    run_together(work)

    assert CountedConversation.objects.get(pk=talk).messages == 1 + 2 * WORKERS * ROUNDS
    kept = rollup_rows()
    rollup_rebuild()
    assert rollup_rows() == kept
