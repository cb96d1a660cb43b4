"""Log sinks beyond the console: rotating files, the database table and a cloud collector.

The database and cloud sinks write from a background thread: `emit()` only appends to a
bounded queue, so a slow or dead database or endpoint never slows the bot, and the ORM is
never touched from the bot's event loop (where Django forbids sync queries).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import urllib.request
from abc import ABCMeta, abstractmethod
from collections import deque
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler, TimedRotatingFileHandler
from pathlib import Path
from urllib.parse import urlsplit

from core.logging_setup import record_extra_fields, redact_secrets
from core.storable import storable_text


def file_handler(*, path, rotation: str, max_bytes: int, backup_count: int) -> logging.Handler:
    """A file that rotates by size or at midnight, keeping `backup_count` old files."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if rotation == "daily":
        return TimedRotatingFileHandler(
            path, when="midnight", backupCount=backup_count, encoding="utf-8"
        )
    return RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8")


def stderr_note(text: str) -> None:
    """The last resort when a sink fails: logging about logging would recurse."""
    try:
        sys.stderr.write(f"[logging] {redact_secrets(text)}\n")
    except (OSError, ValueError):  # stderr closed at interpreter exit
        return


class BatchingHandler(logging.Handler, metaclass=ABCMeta):
    """A bounded queue drained by a daemon thread in batches.

    `emit()` never waits on I/O: when the queue is full the oldest record is dropped and
    counted in `dropped`. A batch goes out when `batch_size` records are waiting or every
    `flush_seconds`. `close()` (run for every handler by `logging.shutdown` at exit) sends
    what is left, giving up after `close_timeout` seconds so a dead endpoint cannot hang exit.
    Records logged from the worker thread itself are ignored, so delivery cannot recurse.
    """

    def __init__(
        self,
        *,
        batch_size: int = 100,
        flush_seconds: float = 1.0,
        queue_size: int = 10_000,
        close_timeout: float = 5.0,
        level=logging.NOTSET,
    ):
        super().__init__(level)
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.queue_size = queue_size
        self.close_timeout = close_timeout
        self.dropped = 0
        self.delivered = 0
        self._worker: threading.Thread | None = None
        self._worker_pid: int | None = None
        self._reset_queue()
        self.addFilter(self._not_from_worker)

    def _reset_queue(self) -> None:
        self._queue: deque = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._closing = False
        self._abandon = False
        self._flush_waiters = 0

    def _not_from_worker(self, record: logging.LogRecord) -> bool:
        worker = self._worker
        return worker is None or record.thread != worker.ident

    @abstractmethod
    def prepare(self, record: logging.LogRecord):
        """Turn the record into plain data now, in the caller's thread."""

    @abstractmethod
    def deliver(self, batch: list) -> None:
        """Send one batch; runs in the worker thread and may raise."""

    def worker_finished(self) -> None:
        """Release per-thread resources when the worker stops."""

    def emit(self, record: logging.LogRecord) -> None:
        if self._closing:
            return
        try:
            item = self.prepare(record)
        except Exception:
            self.handleError(record)
            return
        if self._worker_pid != os.getpid():  # first record, or a forked child process
            self._start_worker()
        with self._cond:
            if len(self._queue) >= self.queue_size:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(item)
            if len(self._queue) >= self.batch_size:
                self._cond.notify_all()

    def _start_worker(self) -> None:
        self._reset_queue()
        self._worker_pid = os.getpid()
        self._worker = threading.Thread(
            target=self._run, name=f"{type(self).__name__}-worker", daemon=True
        )
        self._worker.start()

    def _run(self) -> None:
        try:
            while True:
                batch = self._next_batch()
                if batch:
                    self._deliver_safely(batch)
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
                    if self._closing and not self._queue:
                        return
        finally:
            self.worker_finished()

    def _next_batch(self) -> list:
        with self._cond:
            deadline = time.monotonic() + self.flush_seconds
            while not self._ready_to_send():
                remaining = deadline - time.monotonic()
                if remaining <= 0 and self._queue:
                    break
                if remaining <= 0:
                    deadline = time.monotonic() + self.flush_seconds
                    remaining = self.flush_seconds
                self._cond.wait(remaining)
            if self._abandon:
                self.dropped += len(self._queue)
                self._queue.clear()
            count = min(self.batch_size, len(self._queue))
            batch = [self._queue.popleft() for _ in range(count)]
            self._busy = bool(batch)
            return batch

    def _ready_to_send(self) -> bool:
        return (
            self._closing
            or len(self._queue) >= self.batch_size
            or bool(self._flush_waiters and self._queue)
        )

    def _deliver_safely(self, batch: list) -> None:
        try:
            self.deliver(batch)
        except Exception as error:
            self.dropped += len(batch)
            stderr_note(
                f"{type(self).__name__} dropped {len(batch)} record(s): "
                f"{type(error).__name__}: {error}"
            )
        else:
            self.delivered += len(batch)

    def flush(self, timeout: float | None = None) -> None:
        """Send everything queued now and wait (up to `timeout`) until it has been sent."""
        if self._worker is None or not self._worker.is_alive():
            return
        deadline = time.monotonic() + (self.close_timeout if timeout is None else timeout)
        with self._cond:
            self._flush_waiters += 1
            self._cond.notify_all()
            try:
                while self._queue or self._busy:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return
                    self._cond.wait(remaining)
            finally:
                self._flush_waiters -= 1

    def close(self) -> None:
        worker = self._worker
        if worker is not None and worker.is_alive() and self._worker_pid == os.getpid():
            with self._cond:
                self._closing = True
                self._cond.notify_all()
            worker.join(self.close_timeout)
            if worker.is_alive():
                with self._cond:
                    self._abandon = True
                worker.join(self.close_timeout)
        self._closing = True
        super().close()


class DatabaseHandler(BatchingHandler):
    """Writes records to `LogEntry` so staff can read and filter them in admin.

    Messages quote providers and people, so they are made `storable_text` first: one NUL
    would otherwise fail the whole batch on PostgreSQL. A database error drops the batch
    with a note on stderr; the app never sees it.
    The ORM's own loggers are ignored, or each write would log a write.
    """

    IGNORED_LOGGERS = ("django.db.backends", __name__)

    def __init__(self, **options):
        super().__init__(**options)
        self.addFilter(self._not_orm_logging)

    def _not_orm_logging(self, record: logging.LogRecord) -> bool:
        return not any(
            record.name == name or record.name.startswith(f"{name}.")
            for name in self.IGNORED_LOGGERS
        )

    def prepare(self, record: logging.LogRecord) -> dict:
        traceback = record.exc_text or ""
        if record.exc_info and not traceback:
            traceback = logging.Formatter().formatException(record.exc_info)
        return {
            "created_at": datetime.fromtimestamp(record.created, tz=UTC),
            "level": record.levelname[:10],
            "logger_name": record.name[:200],
            "message": storable_text(record.getMessage()),
            "traceback": storable_text(traceback),
        }

    def deliver(self, batch: list) -> None:
        from django.db import close_old_connections, connection

        from core.models import LogEntry

        close_old_connections()
        try:
            LogEntry.objects.bulk_create([LogEntry(**row) for row in batch])
        except Exception:
            connection.close()  # start the next batch on a fresh connection
            raise

    def worker_finished(self) -> None:
        from django.db import connections

        connections.close_all()


class CloudHandler(BatchingHandler):
    """Ships JSON lines (NDJSON) over HTTP POST to a collector such as Vector or Logtail.

    Each line: time (ISO 8601, UTC), level, logger, message, exception when there is one,
    and any `extra=` fields. A failed POST drops that batch (counted, noted on stderr);
    the sink does not retry, so a dead endpoint costs nothing but its own lines.
    """

    def __init__(self, *, url: str, token: str = "", timeout: float = 5.0, **options):
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"cloud log URL must be http(s): {url!r}")
        super().__init__(**options)
        self.url = url
        self.token = token
        self.timeout = timeout

    def prepare(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        exception = record.exc_text or (
            logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        )
        if exception:
            line["exception"] = exception
        for key, value in record_extra_fields(record).items():
            line.setdefault(key, value)
        return json.dumps(line, ensure_ascii=False, default=str)

    def deliver(self, batch: list) -> None:
        headers = {"Content-Type": "application/x-ndjson"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = ("\n".join(batch) + "\n").encode()
        # urllib, not httpx: httpx logs each request, which would feed this sink its own POSTs.
        # The scheme is checked in __init__, so only http(s) URLs get here (ruff S310).
        request = urllib.request.Request(  # noqa: S310
            self.url, data=body, headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            response.read()
