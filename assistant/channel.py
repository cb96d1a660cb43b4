"""What the assistant needs from a place people talk to it: Telegram, the terminal, a web chat.

The use cases (`assistant.usecases`) speak only through this protocol, so every channel gets
the same flow: notes with buttons, a streamed answer, news for staff. A channel reports what
became of each message (`Outcome`) and never raises for a delivery problem; a person who can
no longer be reached (they blocked the bot) is an outcome too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from conversations.models import Message
from conversations.services import ContactInfo


@dataclass(frozen=True)
class Button:
    """A choice under a note: an `action` ("kind:value") sent back when pressed, or a link."""

    label: str
    action: str = ""
    url: str = ""


Keyboard = Sequence[Sequence[Button]]


@dataclass(frozen=True)
class Note:
    """A message of the bot that is not an answer of the model.

    `ask_for_phone` offers a "share my phone" button where the channel has one;
    `close_keyboard` takes such a button away again.
    """

    text: str
    buttons: Keyboard = ()
    ask_for_phone: bool = False
    close_keyboard: bool = False


@dataclass(frozen=True)
class Outcome:
    """What became of one message: a `Message.Delivery` state and each part's record."""

    state: str
    parts: tuple[dict, ...] = ()
    error: str = ""
    unreachable: bool = False

    @property
    def missed(self) -> bool:
        """Not (surely) with the person: neither delivered nor kept for them to fetch."""
        return self.state not in (Message.Delivery.DELIVERED, Message.Delivery.PENDING)

    @property
    def first_message_id(self) -> int | None:
        return next((p["message_id"] for p in self.parts if p.get("message_id")), None)


#: For a channel that cannot fail to show what it is given (a terminal).
SHOWN = Outcome(Message.Delivery.DELIVERED)
#: A message that could not go out because the person can no longer be reached.
UNREACHABLE = Outcome(
    Message.Delivery.UNDELIVERED, error="the person cannot be reached", unreachable=True
)


class AnswerStream(Protocol):
    """Shows an answer while the model writes it, then delivers it."""

    def start_thinking(self) -> None:
        """A sign of life at once, kept until the first words arrive."""

    async def update(self, text: str) -> None:
        """The whole answer so far; never raises."""

    async def stop(self) -> bool:
        """Stop showing previews; True when the person turned out to be unreachable."""

    async def finish(self, text: str, buttons: Keyboard = ()) -> Outcome:
        """Deliver the final answer, `buttons` under its last part (where the channel can)."""


class AudioUnavailable(Exception):
    """The channel could not hand over the audio of a voice message (gone, refused, too big)."""


class Channel(Protocol):
    name: str  #: a `Contact.Channel` value
    has_staff_chat: bool
    #: People hear voice messages here (`send_voice`); where not (a terminal), answers stay text.
    plays_voice: bool

    async def acknowledge(self, note: str = "") -> None:
        """A button press was seen (with a short note, if any)."""

    async def say(self, note: Note) -> Outcome: ...

    async def replace_buttons(self, buttons: Keyboard) -> None:
        """Put `buttons` (none: take them away) in place of those of the message whose button
        was pressed: a choice made becomes a thank-you. Best effort."""

    def answer_stream(self) -> AnswerStream: ...

    async def fetch_audio(self, ref: str) -> bytes:
        """The audio of a voice message or audio file the person sent (`Incoming.media`'s
        `ref`); raises `AudioUnavailable`. Only a channel people send audio through is asked."""

    async def send_voice(self, audio: bytes) -> Outcome:
        """An answer read aloud (OGG/Opus), as a voice message; only asked where `plays_voice`."""

    def private_address(self) -> tuple[str, str]:
        """How to reach the bot privately: a handle to name and a link."""

    async def tell_staff(self, *, card: str, news: str, card_message_id: int | None) -> Outcome:
        """Post a lead's card to staff, or update the card posted before and reply `news`."""

    @property
    def staff_chat(self) -> str:
        """Where staff read this bot's news ("" when nowhere)."""

    async def open_staff_topic(self, *, title: str, card: str) -> int | None:
        """A topic of its own for a lead in the staff chat, headed by its card: the topic's
        id, or None when the staff chat has no topics (or refused)."""

    async def tell_topic(self, thread_id: int, text: str) -> Outcome:
        """Post `text` into a lead's topic in the staff chat."""

    async def drop_staff_topic(self, thread_id: int) -> None:
        """Remove a topic made twice for one lead; a failure is only logged."""

    def to_person(self, person: ContactInfo) -> Channel:
        """The same bot, talking to `person` in their private chat (an operator's reply).

        A person on another channel is reached through that channel (`reach`)."""


#: How a process reaches a person on a channel it serves beside its own (VK from a bot
#: process), by the channel's name; registered by the channel's app while it serves.
_reachers: dict[str, Callable[[ContactInfo], Channel | None]] = {}


def reach_by(channel: str, reacher: Callable[[ContactInfo], Channel | None] | None) -> None:
    """Register (or, with None, forget) how this process reaches people on `channel`."""
    if reacher is None:
        _reachers.pop(channel, None)
    else:
        _reachers[channel] = reacher


def reach(person: ContactInfo) -> Channel:
    """A channel to `person` on their own channel; a `Mailbox` where this process cannot send
    there (a web chat visitor: their window fetches what is kept for them)."""
    reacher = _reachers.get(person.channel)
    return (reacher and reacher(person)) or Mailbox()


def buttons_part(buttons: Keyboard) -> dict:
    """The buttons under a message as its delivery record keeps them (a window that fetches
    its messages later draws them from there)."""
    return {
        "buttons": [
            [{"label": str(b.label), "action": b.action, "url": b.url} for b in row]
            for row in buttons
        ]
    }


class WithoutStaffChat:
    """The staff half of a channel that has no staff chat: staff follow its people in the
    admin (leads, the operator desk)."""

    has_staff_chat = False
    staff_chat = ""

    def private_address(self) -> tuple[str, str]:
        return "", ""

    async def tell_staff(self, *, card: str, news: str, card_message_id: int | None) -> Outcome:
        return SHOWN

    async def open_staff_topic(self, *, title: str, card: str) -> int | None:
        return None

    async def tell_topic(self, thread_id: int, text: str) -> Outcome:
        return SHOWN

    async def drop_staff_topic(self, thread_id: int) -> None:
        """Never made without a staff chat: nothing to remove."""


class BorrowedStaffChat(WithoutStaffChat):
    """The staff half of a channel whose staff read another channel's staff chat (VK's and the
    web chat's leads, in their bot's Telegram staff chat): `staff`, when there is one."""

    staff: Channel | None = None

    @property
    def has_staff_chat(self) -> bool:
        return self.staff is not None and self.staff.has_staff_chat

    @property
    def staff_chat(self) -> str:
        return self.staff.staff_chat if self.staff is not None else ""

    async def tell_staff(self, *, card: str, news: str, card_message_id: int | None) -> Outcome:
        if self.staff is None:
            return SHOWN
        return await self.staff.tell_staff(card=card, news=news, card_message_id=card_message_id)

    async def open_staff_topic(self, *, title: str, card: str) -> int | None:
        if self.staff is None:
            return None
        return await self.staff.open_staff_topic(title=title, card=card)

    async def tell_topic(self, thread_id: int, text: str) -> Outcome:
        if self.staff is None:
            return SHOWN
        return await self.staff.tell_topic(thread_id, text)

    async def drop_staff_topic(self, thread_id: int) -> None:
        if self.staff is not None:
            await self.staff.drop_staff_topic(thread_id)


class MailboxStream:
    """An answer for a person who is not watching: only the final text counts."""

    def start_thinking(self) -> None:
        """Nobody is watching for a sign of life."""

    async def update(self, text: str) -> None:
        """Previews are not kept."""

    async def stop(self) -> bool:
        return False

    async def finish(self, text: str, buttons: Keyboard = ()) -> Outcome:
        return Outcome(Message.Delivery.PENDING, parts=(buttons_part(buttons),))


class Mailbox(WithoutStaffChat):
    """A person who reads by fetching (a web chat window): what is said to them is kept with
    its buttons, *pending* until their window fetches it, which records it delivered."""

    name = "mailbox"
    plays_voice = False

    async def acknowledge(self, note: str = "") -> None:
        """Nobody pressed anything here."""

    async def say(self, note: Note) -> Outcome:
        return Outcome(Message.Delivery.PENDING, parts=(buttons_part(note.buttons),))

    async def replace_buttons(self, buttons: Keyboard) -> None:
        """No pressed message to change."""

    def answer_stream(self) -> MailboxStream:
        return MailboxStream()

    def to_person(self, person: ContactInfo) -> Mailbox:
        return self
