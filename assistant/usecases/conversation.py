"""The conversation itself: greeting, a new start, questions answered, what cannot be read."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from assistant.channel import Button
from assistant.usecases import confirmation
from assistant.usecases.admission import Admission, admit
from assistant.usecases.answering import answer
from assistant.usecases.buttons import CATALOG, CONTACT, OPERATOR, action
from assistant.usecases.contacts import take_contact_details
from assistant.usecases.exchange import Exchange
from assistant.usecases.feedback import take_comment
from assistant.usecases.operators import mirror_to_operators
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from core.db import db_call

#: Telegram's own deep links carry only these (up to 64): anything else was typed by hand,
#: possibly to plant a formula in an export, and is not kept.
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _greeting(language: str, bot_id: int | None) -> str:
    texts = conversation_selectors.prompt_texts(language=language, bot_id=bot_id)
    text = texts.get("greeting", "")
    return text or _("Hello! I can tell you about our services and answer your questions.")


async def start(exchange: Exchange, payload: str = "") -> None:
    """Greet; a deep-link payload (`/start ads_vk`) becomes the lead's source."""
    if START_PAYLOAD.fullmatch(payload):
        await db_call(conversation_services.contact_set_source)(
            contact_id=exchange.contact.id, source=payload
        )
    buttons = [
        [Button(_("Services and prices"), action(CATALOG))],
        [Button(_("Leave a contact"), action(CONTACT))],
        [Button(_("Talk to a person"), action(OPERATOR))],
    ]
    await exchange.say(
        await db_call(_greeting)(exchange.language, exchange.contact.bot_id), buttons=buttons
    )


async def start_over(exchange: Exchange, _argument: str = "") -> None:
    """/new: history is kept, the model's context starts empty."""
    await db_call(conversation_services.conversation_start_new)(
        contact_id=exchange.contact.id, group_chat_id=exchange.turn.group_chat_id
    )
    await exchange.say(_("Let's start over. What would you like to know?"))


async def unknown_command(exchange: Exchange) -> None:
    await exchange.say(_("I don't know this command. See /help."))


async def answer_text(exchange: Exchange, *, admitted: bool = False) -> None:
    """A question in words: contact details, one flood admission, the answer, the lead card
    (or, after a 👎, what was wrong with that answer).

    The scenario was read with the message, once for all of it. In a group nothing private
    is captured or read into the card. `admitted`: the message passed the flood limit
    already (a voice message, before it was transcribed).
    """
    if exchange.turn.handoff is not None:
        await mirror_to_operators(exchange, exchange.turn.handoff)
        if exchange.turn.handoff.taken:
            return  # the operator answers
    if not exchange.turn.text.strip():
        await exchange.say(_("Please write your question in words."))
        return
    if await take_comment(exchange):
        return  # what was wrong with a 👎 answer: kept, not answered
    scenario = exchange.turn.scenario
    if not exchange.turn.in_group:
        exchange, handled = await take_contact_details(exchange, scenario)
        if handled:
            return
    admission = Admission(True) if admitted else admit(exchange)
    if not admission.allowed:
        if admission.note:
            await exchange.say(admission.note)
        return
    reading = confirmation.start_reading_card(exchange, scenario) if scenario else None
    await answer(exchange, scenario)
    if reading is not None:
        await confirmation.follow_up(exchange, await reading)


async def note_unsupported(exchange: Exchange, note: str = "") -> None:
    """Stickers, photos, files, locations, voice that cannot be read: stored with their kind,
    answered politely with `note` or that only text is read (while an operator holds the
    conversation: shown to the operator instead)."""
    if exchange.turn.handoff is not None:
        await mirror_to_operators(exchange, exchange.turn.handoff)
        if exchange.turn.handoff.taken:
            return
    await exchange.say(
        note or _("I can read only text for now. Please write your question in words.")
    )


async def keep_edit(exchange: Exchange) -> None:
    """An edit is stored as the person's new wording; it is not answered a second time."""
