"""Probes and scrapes are answered before the host and HTTPS checks."""

from __future__ import annotations

from asgiref.sync import async_to_sync, iscoroutinefunction, sync_to_async
from django.template.response import SimpleTemplateResponse
from django.urls import resolve, reverse
from django.utils.decorators import sync_and_async_middleware

from ops.urls import ENDPOINTS


@sync_and_async_middleware
def operations_endpoints(get_response):
    """Answer /healthz, /readyz and /metrics ahead of the rest of the middleware.

    Orchestrators and scrapers call a container on its own address over plain HTTP (Docker's
    HEALTHCHECK asks 127.0.0.1:8000), which `ALLOWED_HOSTS` would refuse and
    `SECURE_SSL_REDIRECT` would send to https. These endpoints use no session, cookie or
    language, and /metrics has its own token, so they skip those checks.
    """
    views = {reverse(name): resolve(reverse(name)).func for name in ENDPOINTS}

    if iscoroutinefunction(get_response):

        async def middleware(request):
            view = views.get(request.path_info)
            if view is None:
                return await get_response(request)
            return await sync_to_async(answer)(view, request)

    else:

        def middleware(request):
            view = views.get(request.path_info)
            if view is None:
                return get_response(request)
            return answer(view, request)

    return middleware


def answer(view, request):
    """Run the endpoint's view as Django's handler would: an async view on an event loop, a
    template response rendered."""
    response = async_to_sync(view)(request) if iscoroutinefunction(view) else view(request)
    return response.render() if isinstance(response, SimpleTemplateResponse) else response
