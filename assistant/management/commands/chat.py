"""`manage.py chat`: talk to the assistant in the terminal, to try prompts and models."""

import asyncio
import getpass
import re
import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from assistant import usecases
from assistant.readiness import ALLOW_MISSING_KEY_HELP, check_answering_model
from assistant.runtime import Runtime
from assistant.terminal import TerminalChannel
from conversations.models import Contact, Message
from core.db import DatabaseThreads

EXIT_WORDS = {"/exit", "/quit"}
PRESS = re.compile(r"#(\d+)")
Kind = Message.ContentType


class Command(BaseCommand):
    help = "Chat with the assistant in the terminal as a local contact (/help, #N, /exit)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--user", default=getpass.getuser(), help="Local contact name.")
        parser.add_argument("--language", default="", help="ru or en (default: site language).")
        parser.add_argument("--allow-missing-key", action="store_true", help=ALLOW_MISSING_KEY_HELP)

    def handle(self, *args, **options):
        check_answering_model(allow_missing_key=options["allow_missing_key"])
        lines = options.get("stdin") or sys.stdin
        try:
            asyncio.run(self.chat(options["user"], options["language"], lines))
        finally:
            DatabaseThreads.shut_down()

    async def chat(self, user: str, language: str, lines) -> None:
        self.stdout.write(
            _("Type your message; /help lists the commands, #2 presses button 2, /exit quits.")
        )
        channel, runtime = TerminalChannel(self.stdout), Runtime.from_settings()
        try:
            for line in lines:
                text = line.strip()
                if text in EXIT_WORDS:
                    break
                if text:
                    await self.take(text, user, language, channel, runtime)
        finally:
            await runtime.close()

    async def take(self, text, user, language, channel: TerminalChannel, runtime) -> None:
        """Route a line as Telegram would: a button press, a command, or words."""
        kind, act = Kind.TEXT, usecases.answer_text
        pressed = PRESS.fullmatch(text)
        if pressed:
            kind, text, act = Kind.CALLBACK, *self.press(channel, int(pressed[1]))
        elif text.startswith("/"):
            kind, act = Kind.COMMAND, usecases.command_act(text)
        incoming = usecases.Incoming(
            channel=Contact.Channel.TERMINAL,
            external_id=user,
            text=text,
            content_type=kind,
            first_name=user,
            language_code=language,
        )
        await usecases.handle(incoming, channel, runtime, act)

    @staticmethod
    def press(channel: TerminalChannel, number: int):
        """The label to store and the use case of button `number` of the latest note (none
        there: a stale button)."""
        if not 1 <= number <= len(channel.buttons):
            return f"#{number}", usecases.press_act("")
        button = channel.buttons[number - 1]
        return button.label, usecases.press_act(button.action)
