"""The endpoints orchestrators and scrapers call: liveness, readiness and metrics."""

from __future__ import annotations

import hmac
from http import HTTPStatus

from django.conf import settings
from django.http import Http404, HttpResponse
from health_check.checks import Database
from health_check.views import HealthCheckView
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from ops.checks import InboxLag
from ops.metrics import DatabaseNumbers


class ProbeView(HealthCheckView):
    """django-health-check's view, answering 503 when a check fails.

    The library answers 500; load balancers and orchestrators read 503 as "not now, ask again",
    which is what a failed probe means.
    """

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR:
            response.status_code = HTTPStatus.SERVICE_UNAVAILABLE
        return response


class LivenessView(ProbeView):
    """The process answers: nothing else is asked, so a database outage restarts nothing."""

    checks = ()


class ReadinessView(ProbeView):
    """The database answers and the inbox is being worked off."""

    checks = (Database, InboxLag)


def metrics(request):
    """The process's own counters and the database's numbers, in Prometheus' text format.

    Off (404) until `METRICS_TOKEN` is set; then only for `Authorization: Bearer <token>`.
    """
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return HttpResponse(status=HTTPStatus.UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    body = generate_latest(REGISTRY) + generate_latest(DatabaseNumbers.from_settings())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
