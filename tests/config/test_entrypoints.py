"""The WSGI and ASGI entry points serve the admin (what a production server loads)."""

import importlib
import io

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

import config.asgi
from tests.ops.asgi import asgi_get, asgi_response

STATIC_ROOT = settings.STATIC_ROOT


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
    start, _body = async_to_sync(asgi_response)("/", host="testserver")
    assert start["status"] == 302
    assert (b"Location", b"/admin/") in start["headers"]


@pytest.fixture
def collected_static(tmp_path, settings):
    """`collectstatic` into a fresh STATIC_ROOT, and the ASGI entry point loaded after it."""
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", verbosity=0)
    importlib.reload(config.asgi)
    yield
    settings.STATIC_ROOT = STATIC_ROOT
    importlib.reload(config.asgi)


@pytest.mark.django_db(transaction=True)
def test_the_asgi_application_serves_the_admins_static_files_itself(collected_static):
    # No proxy in front of the image: the admin's stylesheet comes from the web process.
    status, body = async_to_sync(asgi_get)("/static/admin/css/base.css", host="10.0.0.5:8000")
    assert status == 200
    assert b"DJANGO Admin styles" in body
