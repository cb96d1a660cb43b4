"""The web chat window as a channel of the assistant.

Each request from the window (a message, a press, the contact form) runs one use case while
its response streams what the assistant says as JSON lines: a sign of life at once, the
answer as it grows, notes with their buttons. Everything is stored by the use case first; a
window that went away before the end finds the rest kept for it (*pending* until it fetches
them), so nothing said is lost. Staff hear of web leads in the site's bot's Telegram staff
chat, and take them over in its topics, as of the bot's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from assistant.channel import (
    BorrowedStaffChat,
    Channel,
    Keyboard,
    Mailbox,
    Note,
    Outcome,
    buttons_part,
)
from conversations.models import Contact, Message
from conversations.services import ContactInfo

_END = object()


def _buttons(buttons: Keyboard) -> list:
    return buttons_part(buttons)["buttons"]


class WindowStream:
    """The answer as it grows: the new words only, while the text keeps its beginning."""

    def __init__(self, window: WebChannel):
        self.window = window
        self.shown = ""

    def start_thinking(self) -> None:
        self.window.put({"kind": "thinking"})

    async def update(self, text: str) -> None:
        if text.startswith(self.shown):
            self.window.put({"kind": "more", "text": text[len(self.shown) :]})
        else:
            self.window.put({"kind": "draft", "text": text})
        self.shown = text

    async def stop(self) -> bool:
        return False

    async def finish(self, text: str, buttons: Keyboard = ()) -> Outcome:
        self.window.put({"kind": "answer", "text": text, "buttons": _buttons(buttons)})
        return self.window.outcome(buttons)


class WebChannel(BorrowedStaffChat):
    """One request's window. `events()` yields what to send until the use case ends; `staff`
    is the site's bot's Telegram staff chat (None: staff follow web leads in the admin)."""

    name = Contact.Channel.WEB
    #: Answers are text in the window (no player for voice messages there).
    plays_voice = False

    def __init__(self, staff: Channel | None = None):
        self.queue: asyncio.Queue = asyncio.Queue()
        self.watching = True
        self.staff = staff

    def put(self, event) -> None:
        if self.watching:
            self.queue.put_nowait(event)

    def outcome(self, buttons: Keyboard) -> Outcome:
        """Delivered while the window reads the stream; kept for its next fetch after."""
        state = Message.Delivery.DELIVERED if self.watching else Message.Delivery.PENDING
        return Outcome(state, parts=(buttons_part(buttons),))

    def end(self) -> None:
        self.queue.put_nowait(_END)

    def gone(self) -> None:
        """The window stopped reading (closed, reloaded): the rest waits for its next fetch."""
        self.watching = False

    async def events(self) -> AsyncIterator[dict]:
        while (event := await self.queue.get()) is not _END:
            yield event

    async def acknowledge(self, note: str = "") -> None:
        if note:
            self.put({"kind": "ack", "text": note})

    async def say(self, note: Note) -> Outcome:
        self.put(
            {
                "kind": "note",
                "text": note.text,
                "buttons": _buttons(note.buttons),
                "contact_form": note.ask_for_phone,
            }
        )
        return self.outcome(note.buttons)

    async def replace_buttons(self, buttons: Keyboard) -> None:
        self.put({"kind": "buttons", "buttons": _buttons(buttons)})

    def answer_stream(self) -> WindowStream:
        return WindowStream(self)

    def to_person(self, person: ContactInfo) -> Mailbox:
        """Someone else's window is reached by what is kept for its next fetch."""
        return Mailbox()
