"""A long-running process serves its own Prometheus counters (each process counts its own)."""

from __future__ import annotations

import logging
import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server

logger = logging.getLogger(__name__)


def serve_process_metrics(*, host: str, port: int) -> tuple[WSGIServer, threading.Thread] | None:
    """Serve /metrics on `host:port` from a background thread; port 0 means not at all.

    Bound to 127.0.0.1 unless told otherwise: the counters are for the scraper, not the world.
    """
    if not port:
        return None
    served = start_http_server(port, addr=host)
    logger.info("Metrics of this process at http://%s:%s/metrics", host, port)
    return served
