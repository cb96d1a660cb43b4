"""Handing a conversation to people: asking for an operator, their replies, giving it back.

The person asks (/operator, the "Talk to a person" button); staff hear of it in the lead's own
topic of the staff chat, headed by the lead card, where the person's messages are mirrored as
they arrive. While the conversation waits the assistant still answers; once an operator writes
(in the topic, or in admin) it is silent until the operator releases it (/release).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from assistant.channel import Channel, Note, Outcome
from assistant.usecases.exchange import Exchange, record_delivery
from assistant.usecases.staff import lead_summary
from bots.selectors import BotInfo, staff_user_of
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from conversations.models import Handoff, Message
from conversations.services import HandoffInfo, TopicInfo
from core.db import db_call

logger = logging.getLogger(__name__)


def waiting_note(bot: BotInfo | None) -> str:
    """What the person is told about when a person will answer."""
    now = timezone.now()
    if bot is None or bot.is_open(now):
        return _("An operator will answer you here shortly. Meanwhile I will answer what I can.")
    opening = bot.next_opening(now)
    if opening is None:
        return _("An operator will answer you here as soon as possible.")
    when = formats.date_format(opening, "j E, H:i")
    return _(
        "Our team is not at work now; a person will answer you here after %(when)s. "
        "Meanwhile I will answer what I can."
    ) % {"when": when}


async def request_operator(exchange: Exchange, _argument: str = "") -> None:
    """/operator and the "Talk to a person" button."""
    if exchange.turn.in_group:
        await exchange.say(_("Write to me privately to talk to a person."))
        return
    handoff = await db_call(conversation_services.handoff_request)(
        contact_id=exchange.contact.id, reason=Handoff.Reason.PERSON
    )
    if handoff.taken:
        await exchange.say(_("An operator is already talking with you here."))
        return
    await exchange.say(waiting_note(exchange.turn.bot))
    if handoff.opened:
        with translation.override(settings.LANGUAGE_CODE):
            news = _("%(name)s asks for an operator.") % {"name": exchange.contact.display_name}
        await tell_operators(
            exchange.channel, exchange.contact.id, exchange.contact.display_name, news
        )


#: The function the model may call when it cannot help: a person takes over.
HAND_TO_PERSON = {
    "type": "function",
    "function": {
        "name": "hand_to_person",
        "description": (
            "Hand the conversation to a human operator: when you cannot help with the request, "
            "when the person is upset, or when they ask for a human. Staff read the reason."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "reason": {"type": "string", "description": "Why, in a few words, for staff."}
            },
            "required": ["reason"],
        },
    },
}


@dataclass(frozen=True)
class HandingOver:
    """The model asked for a person; `why` is its reason (data, shown to staff as text)."""

    why: str
    #: The person was already told (the answer was only the call: the note stood in for it).
    told: bool = False


def asked_for_a_person(tool_call: tuple[str, str] | None) -> HandingOver | None:
    """The model's call of `hand_to_person`, if that is what it called; arguments that are not
    JSON still hand over (without a reason): the person asked for help either way."""
    if tool_call is None or tool_call[0] != HAND_TO_PERSON["function"]["name"]:
        return None
    try:
        arguments = json.loads(tool_call[1] or "{}")
    except ValueError:
        arguments = {}
    reason = arguments.get("reason") if isinstance(arguments, dict) else None
    return HandingOver(reason if isinstance(reason, str) else "")


async def hand_over(exchange: Exchange, why: str, *, told: bool) -> None:
    """The assistant hands the conversation to people: the person is told what happens next
    (unless the answer already said so) and staff hear why."""
    handoff = await db_call(conversation_services.handoff_request)(
        contact_id=exchange.contact.id, reason=Handoff.Reason.ASSISTANT, why=why
    )
    if not told:
        await exchange.say(waiting_note(exchange.turn.bot))
    if handoff.opened:
        name = exchange.contact.display_name
        with translation.override(settings.LANGUAGE_CODE):
            news = _("The assistant hands %(name)s to an operator: %(why)s") % {
                "name": name,
                "why": why or "—",
            }
        await tell_operators(exchange.channel, exchange.contact.id, name, news)


async def tell_operators(channel: Channel, contact_id: int, title: str, text: str) -> None:
    """Post into the lead's topic, making it (headed by the card) the first time."""
    topic = await lead_topic(channel, contact_id, title)
    if topic is not None:
        outcome = await channel.tell_topic(topic.thread_id, text)
        if outcome.state != Message.Delivery.DELIVERED:
            logger.error("Could not post to the topic of contact %s: %s", contact_id, outcome.error)


async def lead_topic(channel: Channel, contact_id: int, title: str) -> TopicInfo | None:
    if not channel.staff_chat:
        return None
    topic = await db_call(conversation_services.staff_topic_of)(contact_id=contact_id)
    if topic is not None and topic.chat_id == channel.staff_chat:
        return topic
    with translation.override(settings.LANGUAGE_CODE):
        card = await db_call(lead_summary)(contact_id)
    thread_id = await channel.open_staff_topic(title=title, card=card)
    if thread_id is None:
        return None
    kept = await db_call(conversation_services.staff_topic_save)(
        contact_id=contact_id, chat_id=channel.staff_chat, thread_id=thread_id
    )
    if kept.thread_id != thread_id:  # another process made the lead's topic meanwhile
        await channel.drop_staff_topic(thread_id)
    return kept


async def mirror_to_operators(exchange: Exchange, handoff: HandoffInfo) -> None:
    """What the person wrote, into their topic; they now wait for a reply."""
    await db_call(conversation_services.handoff_person_waits)(contact_id=exchange.contact.id)
    text = exchange.turn.text or _("(not text)")
    await tell_operators(
        exchange.channel, exchange.contact.id, exchange.contact.display_name, f"👤 {text}"
    )


# --- The operator's side ---------------------------------------------------------------------


@dataclass(frozen=True)
class TopicMessage:
    """What an operator wrote in a lead's topic of the staff chat."""

    staff_chat: str
    thread_id: int
    text: str
    author_name: str
    #: The writer's account on the channel (their Telegram user id), to find their staff user.
    author_account: int | None = None
    #: How the person sees it signed ("" when the bot does not sign operators' messages).
    signature: str = ""
    event_key: str | None = None
    #: The staff user who wrote it, when their account is registered (`bots.OperatorAccount`).
    author_id: int | None = None


async def operator_wrote(topic_message: TopicMessage, staff: Channel) -> None:
    """An operator's message in a lead's topic: /release gives the conversation back to the
    assistant, /note keeps an internal note, anything else goes to the person."""
    contact_id = await db_call(conversation_services.staff_topic_lead)(
        chat_id=topic_message.staff_chat, thread_id=topic_message.thread_id
    )
    if contact_id is None:
        return
    if topic_message.author_account is not None:
        author_id = await db_call(staff_user_of)(telegram_user_id=topic_message.author_account)
        topic_message = dataclasses.replace(topic_message, author_id=author_id)
    command, _space, rest = topic_message.text.strip().partition(" ")
    command = command.split("@", 1)[0].lower()
    with translation.override(settings.LANGUAGE_CODE):
        if command == "/release":
            await release(staff, contact_id, topic_message.thread_id)
        elif command == "/note":
            await keep_note(staff, contact_id, topic_message, rest.strip())
        else:
            await reply_to_person(staff, contact_id, topic_message)


async def release(staff: Channel, contact_id: int, thread_id: int) -> None:
    released = await db_call(conversation_services.handoff_release)(contact_id=contact_id)
    if released:
        note = _("Released: the assistant answers this person again.")
    else:
        note = _("Nobody held this conversation: the assistant answers it.")
    await staff.tell_topic(thread_id, note)


async def keep_note(staff: Channel, contact_id: int, topic_message: TopicMessage, text: str):
    if not text:
        await staff.tell_topic(topic_message.thread_id, _("Write the note after /note."))
        return
    await db_call(conversation_services.operator_record_message)(
        contact_id=contact_id,
        text=text,
        author_name=topic_message.author_name,
        author_id=topic_message.author_id,
        role=Message.Role.NOTE,
        event_key=topic_message.event_key,
    )
    await staff.tell_topic(topic_message.thread_id, _("Note kept; the person does not see it."))


async def reply_to_person(staff: Channel, contact_id: int, topic_message: TopicMessage) -> None:
    """The operator's words to the person, as the bot (signed, if the bot says so); stored
    first, delivered once (a repeated update finds them delivered)."""
    stored = await db_call(conversation_services.operator_record_message)(
        contact_id=contact_id,
        text=topic_message.text,
        author_name=topic_message.author_name,
        author_id=topic_message.author_id,
        event_key=topic_message.event_key,
    )
    if stored.delivered_before:
        return
    contact = await db_call(conversation_selectors.contact_info)(contact_id=contact_id)
    person = staff.to_person(contact)
    outcome = await person.say(Note(signed(topic_message.text, topic_message.signature)))
    await db_call(record_unprompted)(contact_id, stored.id, outcome)
    if outcome.missed:
        await staff.tell_topic(topic_message.thread_id, not_delivered(outcome))


def signed(text: str, signature: str) -> str:
    return f"{text}\n\n— {signature}" if signature else text


def not_delivered(outcome: Outcome) -> str:
    """What operators are told of a message of theirs that did not reach the person."""
    return _("Not delivered to the person: %(error)s") % {"error": outcome.error}


def record_unprompted(contact_id: int, message_id: int, outcome: Outcome) -> None:
    """What became of a message sent to a person outside any exchange (it answers no message
    of theirs): recorded, and a person who blocked the bot is marked so."""
    record_delivery(message_id, outcome)
    if outcome.unreachable:
        conversation_services.contact_mark_blocked(contact_id=contact_id)
