"""The catalog: the list of services, a service's card, and "I'm interested"."""

from __future__ import annotations

from django.utils.translation import gettext as _

from assistant import card
from assistant.channel import Button
from assistant.context import format_price
from assistant.usecases import confirmation
from assistant.usecases.buttons import CATALOG, INTEREST, SERVICE, action, number
from assistant.usecases.contacts import ask_for_contact, invite_to_private_chat
from assistant.usecases.exchange import Exchange
from assistant.usecases.staff import notify_staff
from catalog.selectors import ServiceInfo, active_service, active_services
from conversations.models import StaffNotice
from core.db import db_call
from discovery import services as discovery_services


def service_card(item: ServiceInfo) -> str:
    """A service as the person reads it, in the active language."""
    lines = [f"**{item.title}**", _("Price: %(price)s") % {"price": format_price(item)}]
    if item.duration:
        lines.append(_("Duration: %(duration)s") % {"duration": item.duration})
    lines.append("")
    lines.append(item.description or item.short_description)
    return "\n".join(lines).strip()


async def show_services(exchange: Exchange, _argument: str = "") -> None:
    items = await db_call(active_services)(
        language=exchange.language, bot_id=exchange.contact.bot_id
    )
    if not items:
        await exchange.say(_("The list of services is being updated."))
        return
    buttons = [[Button(item.title, action(SERVICE, item.id))] for item in items]
    await exchange.say(_("Our services:"), buttons=buttons)


async def _offered(exchange: Exchange, value: str) -> ServiceInfo | None:
    """The service a press names, if it is still offered; else the person is told."""
    item = await db_call(active_service)(
        service_id=number(value), language=exchange.language, bot_id=exchange.contact.bot_id
    )
    if item is None:
        await exchange.say(_("This service is no longer offered."))
    return item


async def show_service(exchange: Exchange, value: str) -> None:
    item = await _offered(exchange, value)
    if item is None:
        return
    buttons = [
        [Button(_("I'm interested"), action(INTEREST, item.id))],
        [Button(_("All services"), action(CATALOG))],
    ]
    await exchange.say(service_card(item), buttons=buttons)


async def note_interest(exchange: Exchange, value: str) -> None:
    """Record the interest (and the card's service field); ask for a contact if none is known.

    In a group nobody is asked for a phone: the person is invited to the private chat.
    """
    item = await _offered(exchange, value)
    if item is None:
        return
    if exchange.turn.in_group:
        await invite_to_private_chat(exchange)
        return
    await db_call(discovery_services.contact_record_interest)(
        contact_id=exchange.contact.id, service_id=item.id
    )
    outcome = await card.record_service_interest(exchange.turn, item.id, item.title)
    if exchange.contact.has_contact_details:
        await exchange.say(
            _("Thank you! We noted your interest in “%(service)s” and will contact you soon.")
            % {"service": item.title}
        )
        await notify_staff(
            exchange, StaffNotice.Reason.INTEREST, subject=str(item.id), detail=item.site_title
        )
    else:
        await exchange.say(
            _("Great choice: “%(service)s”. How can we reach you?") % {"service": item.title}
        )
        await ask_for_contact(exchange)
    await confirmation.follow_up(exchange, outcome)
