"""Reads of the catalog for the assistant and the bot."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from catalog.models import Service


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    slug: str
    title: str
    short_description: str
    description: str
    price: Decimal | None
    currency: str
    duration: str

    @classmethod
    def from_service(cls, service: Service) -> ServiceInfo:
        return cls(
            id=service.pk,
            slug=service.slug,
            title=service.title,
            short_description=service.short_description,
            description=service.description,
            price=service.price,
            currency=service.currency,
            duration=service.duration,
        )


def active_services() -> list[ServiceInfo]:
    """Active services in the staff's order: the only prices the assistant may quote."""
    return [ServiceInfo.from_service(service) for service in Service.objects.filter(is_active=True)]


def active_service(*, service_id: int) -> ServiceInfo | None:
    service = Service.objects.filter(pk=service_id, is_active=True).first()
    return ServiceInfo.from_service(service) if service else None
