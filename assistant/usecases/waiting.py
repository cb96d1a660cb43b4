"""Nobody answers a person waiting for an operator: the operators are reminded in the lead's
topic after `OPERATOR_REPLY_MINUTES`; after twice that the person hears, in their language,
that it takes longer, and is offered a call-back (the contact request they know from
"Leave a contact"). A bot process does both, once per wait (`bot.operator_desk`).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assistant.channel import Button, Channel, Note
from assistant.usecases.buttons import CONTACT, action
from assistant.usecases.operators import record_unprompted, tell_operators
from conversations import services as conversation_services
from conversations.models import Message
from conversations.selectors import WaitingLead
from core.db import db_call


async def remind_operators(staff: Channel, lead: WaitingLead, minutes: int) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        reminder = ngettext(
            "⏰ Nobody has answered %(name)s for %(minutes)s minute.",
            "⏰ Nobody has answered %(name)s for %(minutes)s minutes.",
            minutes,
        ) % {"name": lead.contact.display_name, "minutes": minutes}
        await tell_operators(staff, lead.contact.id, lead.contact.display_name, reminder)


async def offer_call_back(staff: Channel, lead: WaitingLead, minutes: int) -> None:
    """Tell the person it takes longer and offer a call-back; the operators hear of it."""
    contact = lead.contact
    with translation.override(contact.language_code):
        apology = _(
            "Sorry, it is taking our team longer than usual to answer. If you like, we can call "
            "you back: press the button and leave your phone number."
        )
        buttons = [[Button(_("Call me back"), action(CONTACT))]]
    message_id = await db_call(conversation_services.message_record_reply)(
        contact_id=contact.id, text=apology, role=Message.Role.SYSTEM
    )
    outcome = await staff.to_person(contact).say(Note(apology, buttons=buttons))
    await db_call(record_unprompted)(contact.id, message_id, outcome)
    with translation.override(settings.LANGUAGE_CODE):
        news = ngettext(
            "⏰ Nobody has answered %(name)s for %(minutes)s minute: they were offered a "
            "call-back.",
            "⏰ Nobody has answered %(name)s for %(minutes)s minutes: they were offered a "
            "call-back.",
            minutes,
        ) % {"name": contact.display_name, "minutes": minutes}
        await tell_operators(staff, contact.id, contact.display_name, news)
