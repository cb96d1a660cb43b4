"""Bearer tokens on every operation: who is asking (401), within its rate (429), with the
scope the operation needs (403)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from api.selectors import TokenInfo, token_for_secret
from api.services import token_admit


class RateLimited(Exception):
    def __init__(self, retry_after: float):
        super().__init__(retry_after)
        self.retry_after = retry_after


class MissingScope(Exception):
    def __init__(self, scope: str):
        super().__init__(scope)
        self.scope = scope


class TokenAuth(HttpBearer):
    """`Authorization: Bearer ca_…`; `scope` None: any valid token may call."""

    def __init__(self, scope: str | None = None):
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> TokenInfo | None:
        info = token_for_secret(secret=token)
        if info is None:
            return None
        wait = token_admit(
            token_id=info.id, rate_per_minute=info.rate_per_minute, now=timezone.now()
        )
        if wait is not None:
            raise RateLimited(wait)
        if self.scope is not None and self.scope not in info.scopes:
            raise MissingScope(self.scope)
        return info


def token(scope: str | None = None) -> dict:
    """An operation's auth and, in its schema, the scope it needs (`x-scope`, which
    `urls.ScopedApi` puts into the operation's security requirement)."""
    return {"auth": TokenAuth(scope), "openapi_extra": {"x-scope": scope}}
