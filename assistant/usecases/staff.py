"""Telling staff about leads: one card per lead, updated and replied to, never repeated."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistant.usecases.exchange import Exchange
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from conversations.models import Message, StaffNotice
from conversations.services import ContactInfo
from core.db import db_call
from discovery import selectors as discovery_selectors

logger = logging.getLogger(__name__)

#: What staff read under a lead's card when there is news, in the site language.
STAFF_FOLLOW_UPS = {
    StaffNotice.Reason.NEW_LEAD: gettext_lazy("The lead left a contact."),
    StaffNotice.Reason.INTEREST: gettext_lazy("Interested in: %(detail)s"),
    StaffNotice.Reason.QUALIFIED: gettext_lazy("The lead card is complete."),
    StaffNotice.Reason.CORRECTED: gettext_lazy("The lead corrected the card:\n%(detail)s"),
    StaffNotice.Reason.ERASED: gettext_lazy(
        "The person withdrew their consent: everything kept about them was deleted."
    ),
}


async def notify_staff(exchange: Exchange, reason: str, subject: str = "", detail: str = ""):
    """Tell staff news about the lead, once: the first news posts the lead's card, later news
    updates that card and replies to it with what happened.

    A failure there must not hurt the person's chat: it is logged, never raised, and the news
    is told again with the next event.
    """
    if not exchange.channel.has_staff_chat:
        return
    claim = await db_call(conversation_services.staff_notice_claim)(
        contact_id=exchange.contact.id, reason=reason, subject=subject
    )
    if claim is None:
        logger.info("Staff already know this of contact %s (%s)", exchange.contact.id, reason)
        return
    with translation.override(settings.LANGUAGE_CODE):
        card = await db_call(lead_summary)(exchange.contact.id)
        news = str(STAFF_FOLLOW_UPS[reason]) % {"detail": detail}
    outcome = await exchange.channel.tell_staff(
        card=card, news=news, card_message_id=claim.card_message_id
    )
    await db_call(_record_notice)(
        claim.notice_id, outcome.first_message_id, is_card=claim.card_message_id is None
    )
    if outcome.state != Message.Delivery.DELIVERED:
        logger.error("Could not notify the staff chat: %s", outcome.error)


def _record_notice(notice_id: int, telegram_message_id: int | None, *, is_card: bool) -> None:
    """What the staff chat got for a notice; nothing arrived releases the notice."""
    if telegram_message_id is None:
        conversation_services.staff_notice_release(notice_id=notice_id)
        return
    conversation_services.staff_notice_record_sent(
        notice_id=notice_id, telegram_message_id=telegram_message_id, is_card=is_card
    )


def lead_summary(contact_id: int) -> str:
    """The lead's card for staff, in the active (site) language."""
    contact = conversation_selectors.contact_info(contact_id=contact_id)
    if contact.erased_at:
        return contact.display_name
    lines = [
        _("New lead: %(name)s") % {"name": contact.display_name},
        *reach_lines(contact),
        _("Source: %(source)s") % {"source": contact.source or "—"},
        *discovery_lines(contact_id, settings.LANGUAGE_CODE),
    ]
    return "\n".join(lines)


def reach_lines(contact: ContactInfo) -> list[str]:
    """How to reach the person, a line each (the staff card and `/privacy` show them)."""
    return [
        _("Username: %(username)s")
        % {"username": f"@{contact.username}" if contact.username else "—"},
        _("Phone: %(phone)s") % {"phone": contact.phone or "—"},
        _("E-mail: %(email)s") % {"email": contact.email or "—"},
    ]


def discovery_lines(contact_id: int, language: str) -> list[str]:
    """The services the lead was interested in and the card's known values, in `language`."""
    interests = discovery_selectors.contact_interests(contact_id=contact_id, language=language)
    lines = []
    if interests:
        lines.append(_("Interested in: %(services)s") % {"services": ", ".join(interests)})
    card = discovery_selectors.lead_card(contact_id=contact_id, language=language)
    return lines + [f"{entry.label}: {entry.display}" for entry in card if entry.is_known]
