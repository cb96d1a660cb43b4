"""The public REST API, `/api/v1/`: its schema at `openapi.json`, its docs at `docs`.

Every answer is JSON, errors too (`schemas.Error`), and every error an operation may give is
in the schema. The docs page is django-ninja's Swagger UI from the files the package ships
(served as static files, `ninja` in `INSTALLED_APPS`): nothing is loaded from elsewhere.
"""

from __future__ import annotations

import functools
import inspect
import math

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from api.auth import MissingScope, RateLimited
from api.routes import analytics, catalog, leads, prompts


class ScopedApi(NinjaAPI):
    """Each operation's security requirement names the scope it needs: OpenAPI 3.1 lets a
    bearer scheme list roles, which django-ninja leaves empty."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                scope = operation.pop("x-scope", None)
                operation["security"] = [{"TokenAuth": [scope] if scope else []}]
        return schema


api = ScopedApi(
    title="Consult assistant API",
    version="1",
    description=(
        "Leads, conversations, the catalog, prompts and analytics. Every call needs "
        "`Authorization: Bearer <token>` with a token issued in the admin (API tokens); each "
        "operation names the scope it needs."
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    # The validator badge would ask a server elsewhere about the schema.
    docs=Swagger(settings={"validatorUrl": None}),
)


def refuse_unknown_parameters(view):
    """A query parameter the operation does not take is refused (400), not ignored: a typo
    such as `?stauts=new` would otherwise answer every lead as if it were the filter."""
    taken = set(inspect.signature(view).parameters) - {"request"}

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        unknown = sorted(set(request.GET) - taken)
        if unknown:
            detail = _("Unknown query parameters: %(names)s.") % {
                "names": ", ".join(repr(name) for name in unknown)
            }
            raise HttpError(400, detail)
        return view(request, *args, **kwargs)

    return checked


api.add_decorator(refuse_unknown_parameters)
for part in (leads, catalog, prompts, analytics):
    api.add_router("", part.router)


def _error(request, status: int, detail: str, **more):
    return api.create_response(request, {"detail": detail, **more}, status=status)


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    response = _error(request, 401, _("A valid API token is needed: Authorization: Bearer …"))
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(MissingScope)
def missing_scope(request, exc):
    detail = _("This token lacks the scope “%(scope)s”.") % {"scope": exc.scope}
    return _error(request, 403, detail, scope=exc.scope)


@api.exception_handler(RateLimited)
def rate_limited(request, exc):
    response = _error(request, 429, _("Too many requests with this token; try again later."))
    response["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return response


@api.exception_handler(ValidationError)
def invalid(request, exc):
    return _error(request, 422, _("The request is not valid."), errors=exc.errors)


@api.exception_handler(catalog.FormInvalid)
def form_invalid(request, exc):
    errors = [{"field": field, "messages": messages} for field, messages in exc.errors.items()]
    return _error(request, 422, _("The request is not valid."), errors=errors)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, _("Not found."))


@api.exception_handler(HttpError)
def http_error(request, exc):
    return _error(request, exc.status_code, exc.message)


urlpatterns = [path("v1/", api.urls)]
