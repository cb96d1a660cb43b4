"""The terminal as a channel of the assistant, for `manage.py chat`.

The same use cases as Telegram run here: notes are printed, buttons are listed with numbers
(type `#2` to press the second), the answer is printed as it streams. Nothing can fail to be
shown, so every message is delivered; there is no staff chat.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.channel import SHOWN, Button, Keyboard, Note, Outcome, WithoutStaffChat
from conversations.models import Contact
from conversations.services import ContactInfo


class TerminalPrinter:
    """Prints the growing answer as it streams, only the part not printed yet."""

    def __init__(self, output, show_buttons: Callable[[Keyboard], None]):
        self.output = output
        self.show_buttons = show_buttons
        self.printed = ""

    def write(self, text: str) -> None:
        self.output.write(text, ending="")
        self.output.flush()

    def start_thinking(self) -> None:
        """The terminal shows the first words as soon as they come: nothing to do before."""

    async def update(self, text: str) -> None:
        if not text.startswith(self.printed):
            self.write("\n")
            self.printed = ""
        self.write(text[len(self.printed) :])
        self.printed = text

    async def stop(self) -> bool:
        return False

    async def finish(self, text: str, buttons: Keyboard = ()) -> Outcome:
        if text != self.printed:
            self.write(("\n" if self.printed else "") + text)
        self.write("\n")
        self.show_buttons(buttons)
        return SHOWN


class TerminalChannel(WithoutStaffChat):
    name = Contact.Channel.TERMINAL
    #: Text only: nobody sends voice from a terminal, and /voice says answers stay text here.
    plays_voice = False

    def __init__(self, output):
        self.output = output
        #: The buttons of the latest note, pressed by typing `#<number>`.
        self.buttons: list[Button] = []

    async def acknowledge(self, note: str = "") -> None:
        if note:
            self.output.write(f"({note})")

    async def say(self, note: Note) -> Outcome:
        self.output.write(note.text)
        self.show_buttons(note.buttons)
        return SHOWN

    def show_buttons(self, buttons: Keyboard) -> None:
        """List the buttons, numbered: they are the ones `#<number>` presses now."""
        self.buttons = [button for row in buttons for button in row]
        for number, button in enumerate(self.buttons, start=1):
            target = f": {button.url}" if button.url else ""
            self.output.write(f"  [#{number}] {button.label}{target}")

    async def replace_buttons(self, buttons: Keyboard) -> None:
        self.show_buttons(buttons)

    def answer_stream(self) -> TerminalPrinter:
        return TerminalPrinter(self.output, self.show_buttons)

    def to_person(self, person: ContactInfo) -> TerminalChannel:
        """Whoever sits at the terminal is the person."""
        return self
