"""The catalog's services: read with any token, written with `catalog:write`.

Writes go through the admin's own form (`catalog.forms.ServiceForm`), so the same rules hold
(the title in the site language, lengths per text, a unique slug, bots that exist).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt

from api.auth import token
from api.schemas import ERRORS, ONE, WITH_INPUT, Body, Id, PathId
from api.scopes import Scope
from catalog.forms import ServiceForm
from catalog.models import Service

router = Router(tags=["catalog"])

Texts = dict[str, str]
_TEXTS = {
    "titles": "title",
    "short_descriptions": "short_description",
    "descriptions": "description",
    "durations": "duration",
}


class ServiceOut(Schema):
    id: int
    slug: str
    titles: Texts
    short_descriptions: Texts
    descriptions: Texts
    durations: Texts
    price: Decimal | None = Field(description="null: price on request.")
    currency: str
    is_active: bool
    position: int
    bots: list[int] = Field(description="The bots that offer it; empty: every bot.")
    updated_at: datetime


class ServiceIn(Body):
    """Texts are maps of language code to text; the site language's title is required."""

    slug: str | None = None
    titles: Texts | None = None
    short_descriptions: Texts | None = None
    descriptions: Texts | None = None
    durations: Texts | None = None
    price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    currency: str | None = None
    is_active: StrictBool | None = None
    position: StrictInt | None = Field(None, ge=0, le=2**31 - 1)
    bots: list[Id] | None = None


def _service_out(service: Service) -> dict:
    return {
        "id": service.pk,
        "slug": service.slug,
        **{field: getattr(service, field) for field in _TEXTS},
        "price": service.price,
        "currency": service.currency,
        "is_active": service.is_active,
        "position": service.position,
        "bots": sorted(bot.pk for bot in service.bots.all()),
        "updated_at": service.updated_at,
    }


def _save(service: Service, change: ServiceIn) -> Service:
    """Fill the admin's form with the service as it is and the change over it, then save."""
    given = change.model_dump(exclude_unset=True)
    # null is "no change", but for the price, where it means "price on request".
    given = {key: value for key, value in given.items() if value is not None or key == "price"}
    values = {**(_service_out(service) if service.pk else {}), **given}
    languages = {code for code, _name in settings.LANGUAGES}
    data = {
        "slug": values.get("slug") or "",
        "price": "" if values.get("price") is None else str(values["price"]),
        "currency": values.get("currency") or "RUB",
        "position": values.get("position", 0),
        "bots": values.get("bots", []),
    }
    if values.get("is_active", True):
        data["is_active"] = "on"
    errors = {}
    for field, prefix in _TEXTS.items():
        # Texts in languages the site no longer offers are kept by the form; new ones refused.
        if unknown := sorted(set(given.get(field) or {}) - languages):
            errors[field] = [_("Languages the site does not offer: %s.") % ", ".join(unknown)]
        texts = values.get(field) or {}
        for code in languages:
            data[f"{prefix}_{code}"] = texts.get(code, "")
    form = ServiceForm(data=data, instance=service)
    if not form.is_valid() or errors:
        found = {field: [str(error) for error in listed] for field, listed in form.errors.items()}
        raise FormInvalid({**found, **errors})
    with transaction.atomic():
        return form.save()


class FormInvalid(Exception):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


@router.get("/services", response={200: list[ServiceOut], **ERRORS}, **token())
def list_services(request):
    """Every service, inactive ones too, in the catalog's order. Any valid token."""
    return [_service_out(s) for s in Service.objects.prefetch_related("bots")]


@router.get("/services/{service_id}", response={200: ServiceOut, **ONE}, **token())
def get_service(request, service_id: int = PathId):
    """Any valid token."""
    return _service_out(get_object_or_404(Service, pk=service_id))


@router.post(
    "/services",
    response={201: ServiceOut, **WITH_INPUT},
    **token(Scope.CATALOG_WRITE),
)
def create_service(request, service: ServiceIn):
    """Scope `catalog:write`."""
    return Status(201, _service_out(_save(Service(), service)))


@router.patch(
    "/services/{service_id}", response={200: ServiceOut, **ONE}, **token(Scope.CATALOG_WRITE)
)
def update_service(request, change: ServiceIn, service_id: int = PathId):
    """Only the fields given change; a text map given replaces that text in every language.
    Scope `catalog:write`."""
    service = get_object_or_404(Service, pk=service_id)
    return _service_out(_save(service, change))


@router.delete("/services/{service_id}", response={204: None, **ONE}, **token(Scope.CATALOG_WRITE))
def delete_service(request, service_id: int = PathId):
    """Leads' interests in it go with it; to keep them, set `is_active` false instead.
    Scope `catalog:write`."""
    get_object_or_404(Service, pk=service_id).delete()
    return Status(204, None)
