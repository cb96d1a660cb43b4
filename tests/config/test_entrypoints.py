"""The WSGI and ASGI entry points serve the admin (what a production server loads)."""

import asyncio
import io

import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=False, ALLOWED_HOSTS=["testserver"])
def test_the_wsgi_application_serves_the_admin_login():
    from config.wsgi import application

    statuses = []
    body = application(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/admin/login/",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
        },
        lambda status, headers: statuses.append(status),
    )
    assert statuses == ["200 OK"]
    assert b"csrfmiddlewaretoken" in b"".join(body)


@pytest.mark.django_db(transaction=True)
@override_settings(SECURE_SSL_REDIRECT=False, ALLOWED_HOSTS=["testserver"])
def test_the_asgi_application_redirects_the_root_to_the_admin():
    from config.asgi import application

    sent = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client never disconnects; Django stops listening

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"host", b"testserver")],
        "query_string": b"",
        "server": ("testserver", 80),
        "scheme": "http",
    }
    async_to_sync(application)(scope, receive, send)
    assert sent[0]["status"] == 302
    assert (b"Location", b"/admin/") in sent[0]["headers"]
