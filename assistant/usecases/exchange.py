"""One incoming message and everything the assistant says back, whatever the channel.

Every use case starts the same way: the message is stored first (so nothing said is lost
whatever fails later), and the rest runs in the person's language. Everything the bot says is
stored before it is sent, and what became of it is recorded after; a person who can no longer
be reached ends the exchange.

A message handled again (its worker died, or the database went away half-way) resumes: what
was stored before is reused in order, so what reached the person is not said twice and an
answer already generated is delivered, not generated again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation

from assistant.channel import Channel, Note, Outcome
from assistant.runtime import Runtime
from bots.selectors import BotInfo, bot_info
from conversations import services as conversation_services
from conversations.models import Message
from conversations.selectors import SaidBefore, replies_to
from conversations.services import ContactInfo, HandoffInfo
from core.db import db_call
from discovery.selectors import ScenarioInfo, scenario_for_contact

logger = logging.getLogger(__name__)


class Unreachable(Exception):
    """The person can no longer be reached on this channel (they blocked the bot)."""


def supported_language(code: str | None, bot: BotInfo | None = None) -> str:
    """Map a client language such as 'en-US' to one the bot speaks (any the site offers,
    without a bot), else the site language, else the bot's first one."""
    short = (code or "").split("-")[0].lower()
    supported = bot.languages if bot else [language for language, _name in settings.LANGUAGES]
    if short in supported:
        return short
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in supported else supported[0]


#: How long an event key may be (`Message.event_key`).
EVENT_KEY_LENGTH = 64


def event_key(channel: str, *parts: object) -> str:
    """A message's unique key on its channel, `channel:part:part`; one that would be longer
    than the column keeps the channel and a digest of the rest (still unique)."""
    key = ":".join([channel, *map(str, parts)])
    if len(key) <= EVENT_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{channel}:{digest}"[:EVENT_KEY_LENGTH]


@dataclass(frozen=True)
class Media:
    """A voice message or audio file as the channel announces it, before it is fetched."""

    #: The channel's id to fetch it with (`Channel.fetch_audio`), e.g. Telegram's file id.
    ref: str
    seconds: int | None = None
    size: int | None = None
    #: A name whose extension tells a transcription model the format.
    filename: str = "voice.ogg"


@dataclass(frozen=True)
class Incoming:
    """One inbound message as plain data, whatever the channel."""

    channel: str
    external_id: str
    text: str
    content_type: str = Message.ContentType.TEXT
    username: str = ""
    first_name: str = ""
    last_name: str = ""
    language_code: str = ""
    update_id: int | None = None
    message_id: int | None = None
    group_chat_id: str = ""
    #: The channel's unique id of this event (e.g. "telegram:<bot>:<update>"), if it has one.
    event_key: str | None = None
    #: The bot it was sent to (`bots.Bot`), on a channel with bots.
    bot_id: int | None = None
    #: The audio of a voice message or audio file.
    media: Media | None = None


@dataclass(frozen=True)
class Turn:
    """The stored incoming message and its contact.

    A `group_chat_id` means it was said in a group chat, where nothing private (contact
    details, the lead card, the private chat's history) is used or repeated. `earlier` is
    what was stored in answer to it before, when it is handled again. `scenario` is the need
    discovery that applies to the person (never in a group), read with the message.
    """

    contact: ContactInfo
    message_id: int
    conversation_id: int
    contact_created: bool
    group_chat_id: str = ""
    text: str = ""
    earlier: tuple[SaidBefore, ...] = ()
    scenario: ScenarioInfo | None = None
    bot: BotInfo | None = None
    #: The conversation is handed to operators (never in a group), read with the message.
    handoff: HandoffInfo | None = None
    media: Media | None = None
    #: `text` is the transcript of `media`, stored by an earlier attempt.
    transcribed: bool = False

    @property
    def in_group(self) -> bool:
        return bool(self.group_chat_id)


def receive(incoming: Incoming) -> Turn:
    """Store the person's message (once per update), refresh their contact and read the
    scenario that applies to them, in one database hop."""
    bot = bot_info(bot_id=incoming.bot_id) if incoming.bot_id is not None else None
    contact, created = conversation_services.contact_touch(
        channel=incoming.channel,
        external_id=incoming.external_id,
        bot_id=incoming.bot_id,
        username=incoming.username,
        first_name=incoming.first_name,
        last_name=incoming.last_name,
        language_code=supported_language(incoming.language_code, bot),
    )
    if contact.is_blocked:
        conversation_services.contact_mark_blocked(contact_id=contact.id, blocked=False)
    recorded = conversation_services.message_record_incoming(
        contact_id=contact.id,
        text=incoming.text,
        content_type=incoming.content_type,
        event_key=incoming.event_key,
        telegram_update_id=incoming.update_id,
        telegram_message_id=incoming.message_id,
        idle_hours=settings.CONVERSATION_IDLE_HOURS,
        group_chat_id=incoming.group_chat_id,
        media_file=incoming.media.ref if incoming.media else "",
        media_seconds=incoming.media.seconds if incoming.media else None,
    )
    earlier = replies_to(message_id=recorded.id) if recorded.duplicate else ()
    if recorded.duplicate:
        logger.info("Message %s is handled again; resuming", recorded.id)
    in_group = bool(incoming.group_chat_id)
    return Turn(
        contact,
        recorded.id,
        recorded.conversation_id,
        created,
        group_chat_id=incoming.group_chat_id,
        text=incoming.text if recorded.transcript is None else recorded.transcript,
        earlier=tuple(earlier),
        scenario=None if in_group else scenario_for_contact(contact_id=contact.id),
        bot=bot,
        handoff=None if in_group else conversation_services.handoff_open(contact_id=contact.id),
        media=incoming.media,
        transcribed=recorded.transcript is not None,
    )


def _record_note(turn: Turn, text: str) -> int:
    return conversation_services.message_record_reply(
        contact_id=turn.contact.id,
        conversation_id=turn.conversation_id,
        text=text,
        reply_to_id=turn.message_id,
        role=Message.Role.SYSTEM,
    )


def record_delivery(message_id: int, outcome: Outcome) -> None:
    conversation_services.message_record_delivery(
        message_id=message_id,
        delivery=outcome.state,
        parts=list(outcome.parts),
        error=outcome.error,
    )


class Exchange:
    """The turn, the channel it came through and the runtime, for one use case."""

    def __init__(self, turn: Turn, channel: Channel, runtime: Runtime):
        self.turn = turn
        self.channel = channel
        self.runtime = runtime
        self._earlier = list(turn.earlier)

    @property
    def contact(self) -> ContactInfo:
        return self.turn.contact

    @property
    def language(self) -> str:
        return self.turn.contact.language_code

    def with_contact(self, contact: ContactInfo) -> Exchange:
        """The same exchange after the contact changed (a phone was saved)."""
        return self._with_turn(contact=contact)

    def heard(self, text: str) -> Exchange:
        """The same exchange once a voice message was transcribed: `text` is what was said."""
        return self._with_turn(text=text, transcribed=True)

    def _with_turn(self, **changes) -> Exchange:
        changed = Exchange(dataclasses.replace(self.turn, **changes), self.channel, self.runtime)
        changed._earlier = self._earlier
        return changed

    def recall(self, role: str, text: str | None = None) -> SaidBefore | None:
        """What a previous attempt stored of this role (and text), taken once, in order."""
        for index, said in enumerate(self._earlier):
            if said.role == role and text in (None, said.text):
                return self._earlier.pop(index)
        return None

    async def say(self, text: str, **options) -> None:
        """Store a note of the bot, deliver it and record what became of it.

        `options` are those of `Note`: buttons, ask_for_phone, close_keyboard. A note a
        previous attempt already got to the person is not said again.
        """
        earlier = self.recall(Message.Role.SYSTEM, text)
        if earlier is not None and earlier.reached_the_person:
            return
        message_id = earlier.id if earlier else await db_call(_record_note)(self.turn, text)
        await self.record(message_id, await self.channel.say(Note(text, **options)))

    async def record(self, message_id: int, outcome: Outcome) -> None:
        await db_call(record_delivery)(message_id, outcome)
        if outcome.unreachable:
            raise Unreachable


Action = Callable[[Exchange], Awaitable[None]]


async def handle(incoming: Incoming, channel: Channel, runtime: Runtime, act: Action) -> None:
    """Store the message, then run the use case `act` (resuming, if it ran before)."""
    turn = await db_call(receive)(incoming)
    with translation.override(turn.contact.language_code):
        try:
            await act(Exchange(turn, channel, runtime))
        except Unreachable:
            await db_call(conversation_services.contact_mark_blocked)(contact_id=turn.contact.id)
