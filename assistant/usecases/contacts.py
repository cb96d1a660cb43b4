"""Leaving a contact: the notice and request, a shared card, a phone or e-mail typed in text."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from assistant.channel import Button
from assistant.usecases import confirmation
from assistant.usecases.admission import admit
from assistant.usecases.exchange import Exchange
from assistant.usecases.staff import notify_staff
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from conversations.contact_details import (
    EMAIL_PATTERN,
    PHONE_CANDIDATE,
    find_email,
    find_phone,
    looks_like_phone_attempt,
    normalize_email,
    normalize_phone,
)
from conversations.models import StaffNotice
from conversations.services import ContactUpdate
from core.db import db_call
from discovery import selectors as discovery_selectors
from discovery.selectors import ScenarioInfo


def contact_request(language: str, bot_id: int | None) -> tuple[str, str]:
    """The personal-data notice and the request for a contact, in the active language."""
    texts = conversation_selectors.prompt_texts(language=language, bot_id=bot_id)
    notice = texts.get("privacy_notice") or _(
        "We keep your name and contact only to answer your request."
    )
    request = texts.get("contact_request") or _(
        "Please share your phone number or type your e-mail, and we will get back to you."
    )
    url = settings.PRIVACY_POLICY_URL
    notice = notice.replace("{privacy_url}", url)
    if url and url not in notice:
        notice = f"{notice}\n{url}"
    return notice, request


async def ask_for_contact(exchange: Exchange, _argument: str = "") -> None:
    """The personal-data notice always comes before the request itself.

    In a group nobody is asked for a phone in front of others: the person is invited to the
    private chat instead.
    """
    if exchange.turn.in_group:
        await invite_to_private_chat(exchange)
        return
    notice, request = await db_call(contact_request)(exchange.language, exchange.contact.bot_id)
    await exchange.say(notice)
    await exchange.say(request, ask_for_phone=True)


async def invite_to_private_chat(exchange: Exchange, invitation: str = "") -> None:
    """`invitation` names the address as %(address)s; by default it is about a contact."""
    handle, link = exchange.channel.private_address()
    invitation = invitation or _("To leave a contact, write to me in a private chat: %(address)s")
    await exchange.say(
        invitation % {"address": handle},
        buttons=[[Button(_("Write to me privately"), url=link)]],
    )


def record_details(
    contact_id: int, phone: str | None, email: str | None, scenario: ScenarioInfo | None
) -> ContactUpdate:
    """Save contact details; they qualify the lead only when no discovery scenario applies."""
    return conversation_services.contact_record_details(
        contact_id=contact_id, phone=phone, email=email, qualify=scenario is None
    )


async def thank_for_contact(exchange: Exchange, saved: str, update: ContactUpdate) -> None:
    await exchange.say(
        _("Thank you! We saved %(detail)s and will contact you soon.") % {"detail": saved},
        close_keyboard=True,
    )
    if update.became_reachable:
        await notify_staff(exchange, StaffNotice.Reason.NEW_LEAD)


async def update_card_if_admitted(exchange: Exchange, scenario: ScenarioInfo | None) -> None:
    """A message that needs no answer may still teach the lead card, within the flood limit."""
    if scenario is not None and admit(exchange).allowed:
        await confirmation.follow_up(exchange, await confirmation.read_card(exchange, scenario))


async def shared_contact(exchange: Exchange, phone: str, own: bool) -> None:
    """Accept only the sender's own card: a forwarded card of someone else is refused."""
    if not own:
        await exchange.say(
            _("This looks like someone else's contact. Please share your own with the button.")
        )
        return
    normalized = normalize_phone(phone)
    if normalized is None:
        await exchange.say(_("I could not read this phone number, sorry."))
        return
    await keep_given_details(exchange, normalized, None)


async def keep_given_details(exchange: Exchange, phone: str | None, email: str | None) -> None:
    """Keep what a person gave on purpose (a shared card, a contact form; normalized), thank
    them for it, and let the lead card learn from the message."""
    scenario = await db_call(discovery_selectors.scenario_for_contact)(
        contact_id=exchange.contact.id
    )
    update = await db_call(record_details)(exchange.contact.id, phone, email, scenario)
    exchange = exchange.with_contact(update.contact)
    await thank_for_contact(exchange, ", ".join(d for d in (phone, email) if d), update)
    await update_card_if_admitted(exchange, scenario)


async def contact_form(exchange: Exchange, phone: str, email: str) -> None:
    """A contact form (the web chat's): a phone and/or an e-mail, given with consent (the
    channel's form asks for it), saved as a shared card is."""
    normalized = normalize_phone(phone) if phone.strip() else None
    if phone.strip() and normalized is None:
        await exchange.say(_("I could not read this phone number, sorry."))
        return
    address = normalize_email(email) if email.strip() else None
    if email.strip() and address is None:
        await exchange.say(_("This doesn't look like an e-mail address. Please check it."))
        return
    if not (normalized or address):
        await exchange.say(_("Please give a phone number or an e-mail."))
        return
    await keep_given_details(exchange, normalized, address)


def is_only_contact_details(text: str) -> bool:
    """True when the message is just a phone/e-mail, so no LLM answer is needed."""
    remainder = PHONE_CANDIDATE.sub("", EMAIL_PATTERN.sub("", text))
    return sum(character.isalpha() for character in remainder) < 3


async def take_contact_details(
    exchange: Exchange, scenario: ScenarioInfo | None
) -> tuple[Exchange, bool]:
    """Save a phone or e-mail typed in the text; True when the message needs nothing more."""
    text = exchange.turn.text
    phone, email = find_phone(text), find_email(text)
    only_details = is_only_contact_details(text)
    if phone or email:
        update = await db_call(record_details)(exchange.contact.id, phone, email, scenario)
        exchange = exchange.with_contact(update.contact)
        if not update.changed:
            return exchange, False
        saved = ", ".join(detail for detail in (phone, email) if detail)
        await thank_for_contact(exchange, saved, update)
        if only_details:
            await update_card_if_admitted(exchange, scenario)
        return exchange, only_details
    if looks_like_phone_attempt(text) and only_details:
        await exchange.say(
            _(
                "This doesn't look like a valid phone number. "
                "Please check it, e.g. +7 912 345-67-89."
            )
        )
        return exchange, True
    return exchange, False
