"""The lead card's summary: sent to confirm when complete or corrected, and its buttons; a
confirmed card ends the conversation, so the person is asked how satisfied they were."""

from __future__ import annotations

import asyncio

from django.utils.translation import gettext as _

from assistant import card
from assistant.card import CardOutcome
from assistant.channel import Button
from assistant.usecases.buttons import CARD, CARD_CORRECT, CARD_FIX, action
from assistant.usecases.exchange import Exchange
from assistant.usecases.feedback import survey_after_confirmation
from assistant.usecases.staff import notify_staff
from conversations.models import StaffNotice
from discovery.selectors import ScenarioInfo


def start_reading_card(exchange: Exchange, scenario: ScenarioInfo) -> asyncio.Task:
    """Read the message into the lead card beside the answer; never delays it."""
    return asyncio.create_task(read_card(exchange, scenario))


async def read_card(exchange: Exchange, scenario: ScenarioInfo) -> CardOutcome:
    return await card.update_card(exchange.turn, scenario, clients=exchange.runtime.clients)


def summary_buttons() -> list[list[Button]]:
    return [
        [Button(_("Yes, correct"), action(CARD, CARD_CORRECT))],
        [Button(_("Fix something"), action(CARD, CARD_FIX))],
    ]


async def follow_up(exchange: Exchange, outcome: CardOutcome) -> None:
    """A card that became complete, or a shown card that changed, is confirmed by the person
    and told to staff."""
    if not outcome.needs_confirmation:
        return
    await exchange.say(outcome.summary, buttons=summary_buttons())
    if outcome.qualified_now:
        await notify_staff(exchange, StaffNotice.Reason.QUALIFIED)
        return
    await notify_staff(
        exchange,
        StaffNotice.Reason.CORRECTED,
        subject=str(exchange.turn.message_id),
        detail="\n".join(outcome.corrections),
    )


async def card_pressed(exchange: Exchange, value: str) -> None:
    """*Yes, correct* confirms only a card that was summarised; *Fix something* asks what."""
    if value == CARD_CORRECT and await card.confirm_card(exchange.contact.id):
        await exchange.say(_("Thank you! We will contact you soon."))
        await survey_after_confirmation(exchange)
    elif value == CARD_FIX:
        await exchange.say(_("Please write what should be corrected."))
    else:
        await exchange.say(_("This button is no longer active."))
