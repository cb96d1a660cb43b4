"""The database and cloud sinks: what they deliver, and that they never hurt the app."""

import asyncio
import io
import json
import logging
import logging.config
import socket
import sys
import time
from datetime import datetime

import pytest
from django.conf import settings as django_settings
from django.db import connection

from core.log_handlers import CloudHandler, DatabaseHandler, stderr_note
from core.logging_setup import build_logging_config
from core.models import LogEntry
from tests.core.log_server import LogCollector

PHONE = "+79991234567"


@pytest.fixture
def collector():
    server = LogCollector()
    yield server
    server.stop()


@pytest.fixture
def stuck_collector():
    """A collector that answers nothing until released: the sinks' waits are shown by order."""
    server = LogCollector(held=True)
    yield server
    server.stop()


@pytest.fixture
def attach():
    """Attach a handler to a fresh logger; the handler is closed (its thread joined) after."""
    handlers = []

    def make(handler, name="tests.sink"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        handlers.append((logger, handler))
        return logger

    yield make
    for logger, handler in handlers:
        handler.close()
        logger.handlers = []
        logger.propagate = True


@pytest.fixture
def configure():
    def apply(**options):
        logging.config.dictConfig(build_logging_config(**options))

    yield apply
    logging.config.dictConfig(django_settings.LOGGING)


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/ingest"


# --- Database sink ------------------------------------------------------------------------

db_sink = pytest.mark.django_db(transaction=True)  # rows are written by the sink's own thread


@db_sink
def test_database_sink_writes_rows(attach):
    handler = DatabaseHandler(flush_seconds=0.05)
    attach(handler).warning("provider %s answered 429", "openai")
    handler.flush()
    entry = LogEntry.objects.get()
    assert (entry.level, entry.logger_name) == ("WARNING", "tests.sink")
    assert entry.message == "provider openai answered 429"
    assert entry.traceback == ""


@db_sink
def test_database_sink_stores_a_message_with_a_nul_byte_without_it(attach):
    handler = DatabaseHandler(flush_seconds=0.05)
    attach(handler).warning("provider said: %s", "bad\x00 request\ud800")
    handler.flush()
    assert LogEntry.objects.get().message == "provider said: bad request\ufffd"
    assert handler.dropped == 0


@db_sink
def test_database_sink_keeps_the_traceback(attach):
    handler = DatabaseHandler(flush_seconds=0.05)
    logger = attach(handler)
    try:
        raise RuntimeError("provider down")
    except RuntimeError:
        logger.exception("reply failed")
    handler.flush()
    assert "RuntimeError: provider down" in LogEntry.objects.get().traceback


@db_sink
def test_database_sink_survives_a_database_error(attach, capsys):
    handler = DatabaseHandler(flush_seconds=0.05)
    logger = attach(handler)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_logentry RENAME TO core_logentry_away")
    try:
        logger.info("lost while the table is away")
        handler.flush()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_logentry_away RENAME TO core_logentry")
    logger.info("kept after the database is back")
    handler.flush()
    assert list(LogEntry.objects.values_list("message", flat=True)) == [
        "kept after the database is back"
    ]
    assert "DatabaseHandler dropped 1 record(s)" in capsys.readouterr().err
    assert handler.dropped == 1


@db_sink
def test_database_sink_ignores_sql_logging(attach):
    handler = DatabaseHandler(flush_seconds=0.05)
    attach(handler, name="django.db.backends").debug("(0.001) SELECT 1")
    attach(handler, name="assistant.test").info("kept")
    handler.flush()
    assert list(LogEntry.objects.values_list("logger_name", flat=True)) == ["assistant.test"]


@db_sink
def test_database_sink_takes_records_from_async_code(attach):
    handler = DatabaseHandler(flush_seconds=0.05)
    logger = attach(handler)

    async def bot_handler():
        logger.info("new contact from the event loop")

    asyncio.run(bot_handler())
    handler.flush()
    assert LogEntry.objects.get().message == "new contact from the event loop"


@db_sink
def test_database_sink_from_settings_masks_messages(configure):
    configure(level="INFO", sinks=["database"])
    logging.getLogger("assistant.test").info("lead captured: %s", PHONE)
    logging.getLogger().handlers[0].flush()
    assert LogEntry.objects.get().message == "lead captured: +7********67"


def test_unformattable_record_is_reported_by_logging_and_not_queued(attach, capsys):
    handler = DatabaseHandler(flush_seconds=0.05)
    attach(handler).info("%d items", "many")
    assert "--- Logging error ---" in capsys.readouterr().err
    assert handler._worker is None


# --- Cloud sink ---------------------------------------------------------------------------


def test_cloud_sink_posts_a_full_batch_as_json_lines_with_the_token(attach, collector):
    handler = CloudHandler(url=collector.url(), token="tok-123", batch_size=3, flush_seconds=60)
    logger = attach(handler)
    for number in range(3):
        logger.info("message %d", number, extra={"contact_id": number})
    assert collector.wait_for(1)
    request = collector.received[0]
    assert request.headers["Authorization"] == "Bearer tok-123"
    assert request.headers["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in request.lines]
    assert [line["message"] for line in lines] == ["message 0", "message 1", "message 2"]
    assert [line["contact_id"] for line in lines] == [0, 1, 2]
    assert {(line["level"], line["logger"]) for line in lines} == {("INFO", "tests.sink")}
    assert datetime.fromisoformat(lines[0]["time"]).utcoffset().total_seconds() == 0


def test_cloud_sink_sends_a_partial_batch_after_flush_seconds(attach, collector):
    handler = CloudHandler(url=collector.url(), batch_size=100, flush_seconds=0.1)
    attach(handler).info("alone")
    assert collector.wait_for(1, timeout=3)
    time.sleep(0.3)  # the worker goes on waiting for more without sending empty batches
    assert [json.loads(line)["message"] for line in collector.lines] == ["alone"]


def test_cloud_sink_without_a_token_sends_no_authorization(attach, collector):
    handler = CloudHandler(url=collector.url(), batch_size=1, flush_seconds=60)
    attach(handler).info("hello")
    assert collector.wait_for(1)
    assert "Authorization" not in collector.received[0].headers


def test_cloud_sink_ships_the_exception(attach, collector):
    handler = CloudHandler(url=collector.url(), batch_size=1, flush_seconds=60)
    logger = attach(handler)
    try:
        raise ConnectionError("openai unreachable")
    except ConnectionError:
        logger.exception("LLM call failed")
    assert collector.wait_for(1)
    assert "ConnectionError: openai unreachable" in json.loads(collector.lines[0])["exception"]


def test_closing_the_cloud_sink_sends_what_is_queued(attach, collector):
    handler = CloudHandler(url=collector.url(), batch_size=100, flush_seconds=60)
    logger = attach(handler)
    logger.info("first")
    logger.info("second")
    handler.close()
    assert [json.loads(line)["message"] for line in collector.lines] == ["first", "second"]


def test_full_queue_drops_the_oldest_records_and_counts_them(attach, collector):
    handler = CloudHandler(url=collector.url(), batch_size=100, flush_seconds=60, queue_size=3)
    logger = attach(handler)
    for number in range(5):
        logger.info("record %d", number)
    handler.close()
    assert handler.dropped == 2
    assert [json.loads(line)["message"] for line in collector.lines] == [
        "record 2",
        "record 3",
        "record 4",
    ]


def test_a_stuck_endpoint_does_not_hold_up_logging(attach, stuck_collector):
    handler = CloudHandler(url=stuck_collector.url(), batch_size=10, flush_seconds=60, timeout=30)
    logger = attach(handler)
    for number in range(10):
        logger.info("message %d", number)
    assert stuck_collector.wait_until_holding(1)
    for number in range(10, 100):
        logger.info("message %d", number)
    # Every call returned while the first batch was still on its way.
    assert (stuck_collector.waiting, handler.delivered, handler.dropped) == (1, 0, 0)
    stuck_collector.release()


def test_flush_gives_up_after_its_timeout_while_the_endpoint_is_stuck(attach, stuck_collector):
    handler = CloudHandler(url=stuck_collector.url(), batch_size=1, flush_seconds=60, timeout=30)
    attach(handler).info("stuck")
    assert stuck_collector.wait_until_holding(1)
    handler.flush(timeout=0.2)
    assert (stuck_collector.waiting, handler.delivered, handler.dropped) == (1, 0, 0)
    stuck_collector.release()


def test_closing_with_a_stuck_endpoint_gives_up_and_drops_the_rest(stuck_collector):
    handler = CloudHandler(
        url=stuck_collector.url(), batch_size=10, flush_seconds=60, timeout=30, close_timeout=0.2
    )
    for number in range(30):
        handler.handle(logging.makeLogRecord({"msg": f"message {number}"}))
    assert stuck_collector.wait_until_holding(1)
    handler.close()
    assert (stuck_collector.waiting, handler.delivered) == (1, 0)  # close did not wait it out
    stuck_collector.release()
    handler._worker.join()
    assert (handler.delivered, handler.dropped) == (10, 20)
    assert len(stuck_collector.received) == 1  # the other two batches were never sent


def test_records_after_close_are_ignored(attach, collector):
    handler = CloudHandler(url=collector.url(), batch_size=1, flush_seconds=60)
    logger = attach(handler)
    logger.info("before")
    handler.close()
    logger.info("after")
    assert [json.loads(line)["message"] for line in collector.lines] == ["before"]


def test_dead_endpoint_costs_only_its_own_lines(configure, tmp_path, capsys):
    log_file = tmp_path / "app.log"
    configure(
        level="INFO",
        sinks=["file", "cloud"],
        file_path=log_file,
        file_rotation="size",
        file_max_bytes=1024 * 1024,
        file_backup_count=2,
        cloud_url=closed_port_url(),
        cloud_batch_size=100,
        cloud_flush_seconds=0.05,
    )
    logging.getLogger("assistant.test").info("lead captured")
    cloud = next(h for h in logging.getLogger().handlers if isinstance(h, CloudHandler))
    cloud.flush()
    assert "lead captured" in log_file.read_text()
    assert cloud.dropped == 1
    assert "CloudHandler dropped 1 record(s): URLError" in capsys.readouterr().err


def test_cloud_lines_from_settings_mask_message_and_extra_fields(configure, collector):
    configure(
        level="INFO",
        sinks=["cloud"],
        cloud_url=collector.url(),
        cloud_token="",
        cloud_batch_size=1,
        cloud_flush_seconds=60,
    )
    logging.getLogger("assistant.test").info("lead %s", PHONE, extra={"email": "anna@example.com"})
    assert collector.wait_for(1)
    line = json.loads(collector.lines[0])
    assert (line["message"], line["email"]) == ("lead +7********67", "a***@example.com")


def test_cloud_sink_refuses_a_non_http_url():
    with pytest.raises(ValueError, match="must be http"):
        CloudHandler(url="file:///etc/passwd")


def test_closing_an_unused_sink_is_harmless():
    handler = CloudHandler(url="http://127.0.0.1:9/")
    handler.flush()
    handler.close()
    assert handler.delivered == 0


def test_stderr_note_survives_a_closed_stderr(monkeypatch):
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stderr", closed)
    stderr_note("database unavailable")
    assert closed.closed


@db_sink
def test_database_sink_keeps_out_the_access_log_but_not_warnings(configure, client):
    configure(level="INFO", sinks=["database"], static_url="static/")
    server = logging.getLogger("django.server")
    server.info('"GET /static/admin/css/base.css HTTP/1.1" 200 21207')
    server.warning('"GET /favicon.ico HTTP/1.1" 404 179')
    client.get("/favicon.ico")
    client.get("/static/admin/css/missing.css")
    client.get("/no-such-page/")
    logging.getLogger("assistant.gateway").warning("provider answered 503, retrying")
    server.error('"GET /admin/ HTTP/1.1" 500 145')
    logging.getLogger().handlers[0].flush()

    assert list(LogEntry.objects.order_by("pk").values_list("logger_name", "message")) == [
        ("django.request", "Not Found: /no-such-page/"),
        ("assistant.gateway", "provider answered 503, retrying"),
        ("django.server", '"GET /admin/ HTTP/1.1" 500 145'),
    ]
