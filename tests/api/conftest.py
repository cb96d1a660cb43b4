"""Tokens and calls of the public API for its tests."""

import pytest

from api.models import ApiToken
from api.scopes import Scope
from api.services import token_issue
from tests.factories import UserFactory

EVERY_SCOPE = [scope.value for scope in Scope]


def issue(*, user, scopes=EVERY_SCOPE, bots=(), rate_per_minute=1000, **fields) -> str:
    """A token issued as the admin issues one; its secret."""
    token = ApiToken(
        name=fields.pop("name", "CRM sync"),
        scopes=list(scopes),
        rate_per_minute=rate_per_minute,
        created_by=user,
        **fields,
    )
    secret = token_issue(token=token)
    token.bots.set(bots)
    return secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def issuer(db):
    """A superuser: their tokens reach every bot."""
    return UserFactory(username="issuer", first_name="Irina", is_superuser=True)


@pytest.fixture
def secret(issuer):
    """A token of every scope."""
    return issue(user=issuer)


class Api:
    """The Django test client speaking to /api/v1/ with a token."""

    def __init__(self, client, secret: str | None):
        self.client = client
        # Answers speak the language asked for (Django's LocaleMiddleware), else the site's.
        self.headers = {"Accept-Language": "en", **(bearer(secret) if secret else {})}

    def _call(self, method: str, path: str, body=None, **params):
        kwargs = {"headers": self.headers}
        if body is not None:
            kwargs |= {"data": body, "content_type": "application/json"}
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)

    def get(self, path, **params):
        return self._call("get", path, **params)

    def post(self, path, body):
        return self._call("post", path, body)

    def patch(self, path, body):
        return self._call("patch", path, body)

    def delete(self, path):
        return self._call("delete", path)


@pytest.fixture
def api(client, secret):
    return Api(client, secret)


@pytest.fixture
def api_as(client):
    """An `Api` with the token given: api_as(secret)."""
    return lambda secret: Api(client, secret)
