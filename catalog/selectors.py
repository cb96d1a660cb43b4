"""Reads of the catalog for the assistant and the bot, in the language of the reader."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from catalog.models import Service
from core.config_cache import cached_config
from core.languages import localized


@dataclass(frozen=True)
class ServiceInfo:
    """A service with its texts in one language (each in the site language where it is empty).

    `site_title` is the title in the site language, for what staff read about the person's
    choice. `all_titles` holds the title in every language staff wrote, since a person (or a
    model reading their words) may name the service in any of them.
    """

    id: int
    slug: str
    title: str
    short_description: str
    description: str
    price: Decimal | None
    currency: str
    duration: str
    site_title: str = ""
    all_titles: tuple[str, ...] = ()

    @classmethod
    def from_service(cls, service: Service, language: str | None) -> ServiceInfo:
        title = localized(service.titles, language)
        return cls(
            id=service.pk,
            slug=service.slug,
            title=title,
            short_description=localized(service.short_descriptions, language),
            description=localized(service.descriptions, language),
            price=service.price,
            currency=service.currency,
            duration=localized(service.durations, language),
            site_title=localized(service.titles, settings.LANGUAGE_CODE),
            all_titles=tuple(dict.fromkeys(t for t in (title, *service.titles.values()) if t)),
        )


def active_services(*, language: str | None, bot_id: int | None = None) -> list[ServiceInfo]:
    """Active services the bot offers, in the staff's order: the only prices the assistant
    may quote.

    Read once per change (`core.config_cache`); texts missing in `language` fall back to the
    site language, so that is part of what the cache is keyed by.
    """
    return list(_active_services(language, settings.LANGUAGE_CODE, bot_id))


def _offered(bot_id: int | None):
    """Active services offered by the bot: those naming it, and those naming no bot (all,
    without a bot: the terminal chat shows the whole catalog)."""
    services = Service.objects.filter(is_active=True)
    if bot_id is None:
        return services
    return services.filter(Q(bots__isnull=True) | Q(bots=bot_id)).distinct()


@cached_config
def _active_services(
    language: str | None, _site_language: str, bot_id: int | None
) -> tuple[ServiceInfo, ...]:
    return tuple(ServiceInfo.from_service(service, language) for service in _offered(bot_id))


def active_service(
    *, service_id: int, language: str | None, bot_id: int | None = None
) -> ServiceInfo | None:
    service = _offered(bot_id).filter(pk=service_id).first()
    return ServiceInfo.from_service(service, language) if service else None
