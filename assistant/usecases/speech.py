"""Answers read aloud: per bot (its page) or per person (/voice on|off).

The text answer stays the record and is always delivered first; its spoken copy follows as a
voice message, stored as a note of the system (no text of its own: the answer is in the row
before it) with the speech model, latency and what became of it. A speech failure is logged
and recorded there, and costs the person nothing but the voice.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from assistant import services as assistant_services
from assistant.audio import SPEECH_MAX_CHARS, AudioResult, speak_text
from assistant.channel import Outcome
from assistant.selectors import speaks_answers, speech_model_spec, speech_plan_for
from assistant.usecases.exchange import Exchange, Turn
from conversations import services as conversation_services
from conversations.models import Message
from core.db import db_call

logger = logging.getLogger(__name__)

ON, OFF = "on", "off"


def _record_speech(turn: Turn, result: AudioResult[bytes]) -> int:
    return conversation_services.message_record_reply(
        contact_id=turn.contact.id,
        conversation_id=turn.conversation_id,
        text="",
        reply_to_id=turn.message_id,
        role=Message.Role.SYSTEM,
        content_type=Message.ContentType.VOICE,
        model_name=result.model_name,
        latency_ms=result.latency_ms,
        status=Message.Status.COMPLETE if result.value else Message.Status.FAILED,
        error=result.error,
    )


async def speak_answer(exchange: Exchange, text: str) -> None:
    """After a whole answer was delivered: the same read aloud, where wanted and possible."""
    if not exchange.channel.plays_voice or exchange.turn.in_group:
        return
    if len(text) > SPEECH_MAX_CHARS:
        logger.info("The answer to message %s is too long to speak", exchange.turn.message_id)
        return
    plan = await db_call(speech_plan_for)(
        contact_id=exchange.contact.id, bot_id=exchange.contact.bot_id
    )
    if plan is None:
        return
    result = await speak_text(plan.model, text, voice=plan.voice, clients=exchange.runtime.clients)
    message_id = await db_call(_record_speech)(exchange.turn, result)
    if result.value is None:
        logger.warning(
            "Could not speak the answer to message %s: %s", exchange.turn.message_id, result.error
        )
        outcome = Outcome(Message.Delivery.UNDELIVERED, error=result.error)
    else:
        outcome = await exchange.channel.send_voice(result.value)
    await exchange.record(message_id, outcome)


def _voice_state(contact_id: int, bot_id: int | None) -> tuple[bool, bool]:
    """(answers are read aloud for this lead, a model can speak for this bot)"""
    wanted = speaks_answers(contact_id=contact_id, bot_id=bot_id)
    return wanted, speech_model_spec(bot_id) is not None


async def choose_voice(exchange: Exchange, argument: str = "") -> None:
    """/voice on|off: answers also as voice messages, or text only; /voice alone tells which."""
    if not exchange.channel.plays_voice:
        await exchange.say(_("Here answers are text only."))
        return
    contact = exchange.contact
    choice = argument.strip().lower()
    if choice in (ON, OFF):
        await db_call(assistant_services.contact_set_voice)(
            contact_id=contact.id, speaks_answers=choice == ON
        )
    wanted, possible = await db_call(_voice_state)(contact.id, contact.bot_id)
    if wanted and not possible:
        text = _("Voice answers are not available right now; you will get text answers.")
    elif wanted:
        text = _("I will also send my answers as voice messages. /voice off stops it.")
    else:
        text = _("My answers come as text. /voice on adds voice messages.")
    await exchange.say(text)
