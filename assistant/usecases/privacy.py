"""A person's rights over their data: `/privacy` shows the policy and everything kept about
them, `/forget` deletes it after they confirm with a button.

Both happen in the private chat only (in a group the person is invited there: their data is
nobody else's business). Deleting tells staff (the lead's card in the staff chat is replaced
by an anonymous one) and removes the lead's topic there with everything mirrored into it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assistant.channel import Button
from assistant.usecases.buttons import FORGET, action
from assistant.usecases.contacts import contact_request, invite_to_private_chat
from assistant.usecases.exchange import Exchange
from assistant.usecases.staff import discovery_lines, notify_staff, reach_lines
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from conversations.models import StaffNotice
from conversations.services import ContactInfo
from core.db import db_call

logger = logging.getLogger(__name__)

CONFIRM = "yes"
KEEP = "no"


async def show_privacy(exchange: Exchange, _argument: str = "") -> None:
    """The personal-data notice with the policy's link and version, then what is kept."""
    if exchange.turn.in_group:
        await invite_to_private_chat(
            exchange, _("To see what we keep about you, write to me privately: %(address)s")
        )
        return
    notice, _request = await db_call(contact_request)(exchange.language, exchange.contact.bot_id)
    kept = await db_call(what_is_kept)(exchange.contact.id, exchange.language)
    version = _("Privacy policy version: %(version)s.") % {
        "version": settings.PRIVACY_POLICY_VERSION
    }
    await exchange.say(f"{notice}\n{version}\n\n{kept}\n\n" + _("To delete it all, send /forget."))


def what_is_kept(contact_id: int, language: str) -> str:
    """Everything kept about the person, in their language, as lines to read (this runs in a
    database thread, where the exchange's language is not active)."""
    with translation.override(language):
        return _what_is_kept(contact_id, language)


def _what_is_kept(contact_id: int, language: str) -> str:
    contact = conversation_selectors.contact_info(contact_id=contact_id)
    count, first_at = conversation_selectors.message_count(contact_id=contact_id)
    lines = [
        _("What we keep about you:"),
        _("Name: %(name)s") % {"name": contact.display_name},
        *reach_lines(contact),
        _consent_line(contact),
        _("Messages: %(count)d, since %(time)s") % {"count": count, "time": _when(first_at)},
        *discovery_lines(contact_id, language),
    ]
    return "\n".join(lines)


def _consent_line(contact: ContactInfo) -> str:
    if contact.consent_at is None:
        return _("Consent to be contacted: not given")
    return _("Consent to be contacted: %(time)s (policy version %(version)s)") % {
        "time": _when(contact.consent_at),
        "version": contact.consent_policy_version or "—",
    }


def _when(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else "—"


async def ask_to_forget(exchange: Exchange, _argument: str = "") -> None:
    """Nothing is deleted before the person presses the button: a typo in a command must not
    cost them their history with the business."""
    if exchange.turn.in_group:
        await invite_to_private_chat(
            exchange, _("To delete your data, write to me privately: %(address)s")
        )
        return
    await exchange.say(
        _(
            "Delete everything we keep about you: your name, contact details, messages and "
            "answers? Staff will no longer know who you were. This cannot be undone."
        ),
        buttons=[
            [Button(_("Yes, delete my data"), action(FORGET, CONFIRM))],
            [Button(_("No, keep it"), action(FORGET, KEEP))],
        ],
    )


async def forget_pressed(exchange: Exchange, answer: str) -> None:
    if answer != CONFIRM:
        await exchange.say(_("Nothing was deleted."))
        return
    erasure = await db_call(conversation_services.contact_erase)(contact_id=exchange.contact.id)
    await notify_staff(exchange, StaffNotice.Reason.ERASED)  # once, even if pressed again
    if erasure.topic is not None:
        await exchange.channel.drop_staff_topic(erasure.topic.thread_id)
    await exchange.say(
        _(
            "Done: everything we kept about you was deleted. If you write again, we start "
            "from scratch."
        )
    )
