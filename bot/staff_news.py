"""Telling the staff chats something that concerns no lead (an alert): once per staff chat,
through a bot that works with it."""

from __future__ import annotations

import logging

from assistant.channel import Outcome
from bot.handlers import staff_chat_of
from bot.operator_desk import staff_channel
from bot.registry import BotApplications

logger = logging.getLogger(__name__)


async def tell_staff_chats(bots: BotApplications, text: str) -> dict[str, Outcome]:
    """Send `text` to every staff chat of the bots served here, each once (by the first bot
    that has it); what became of it by chat."""
    outcomes: dict[str, Outcome] = {}
    for served in bots.served():
        chat = staff_chat_of(served.info)
        if chat and chat not in outcomes:
            channel = staff_channel(served)
            outcomes[chat] = await channel.tell_staff(card=text, news="", card_message_id=None)
            if outcomes[chat].error:
                logger.warning("Could not tell staff chat %s: %s", chat, outcomes[chat].error)
    return outcomes
