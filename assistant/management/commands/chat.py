"""`manage.py chat`: talk to the assistant in the terminal, to try prompts and models."""

import asyncio
import getpass
import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from assistant import actions, dialog
from assistant.gateway import close_clients
from assistant.readiness import ALLOW_MISSING_KEY_HELP, check_answering_model
from conversations.models import Contact, Message

EXIT_WORDS = {"/exit", "/quit"}


class TerminalPrinter:
    """Prints the growing answer as it streams, only the part not printed yet."""

    def __init__(self, output):
        self.output = output
        self.printed = ""

    def write(self, text: str) -> None:
        self.output.write(text, ending="")
        self.output.flush()

    async def update(self, text: str) -> None:
        if not text.startswith(self.printed):
            self.write("\n")
            self.printed = ""
        self.write(text[len(self.printed) :])
        self.printed = text

    def finish(self, text: str) -> None:
        if text != self.printed:
            self.write(("\n" if self.printed else "") + text)
        self.write("\n")


class Command(BaseCommand):
    help = "Chat with the assistant in the terminal as a local contact (/new, /exit)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--user", default=getpass.getuser(), help="Local contact name.")
        parser.add_argument("--language", default="", help="ru or en (default: site language).")
        parser.add_argument("--allow-missing-key", action="store_true", help=ALLOW_MISSING_KEY_HELP)

    def handle(self, *args, **options):
        check_answering_model(allow_missing_key=options["allow_missing_key"])
        dialog.reset_limiter()
        lines = options.get("stdin") or sys.stdin
        asyncio.run(self.chat(options["user"], options["language"], lines))

    async def chat(self, user: str, language: str, lines) -> None:
        self.stdout.write(_("Type your message; /new starts over, /exit quits."))
        try:
            for line in lines:
                text = line.strip()
                if text in EXIT_WORDS:
                    break
                if text:
                    await self.say(user, language, text)
        finally:
            await close_clients()

    async def say(self, user: str, language: str, text: str) -> None:
        incoming = dialog.Incoming(
            channel=Contact.Channel.TERMINAL,
            external_id=user,
            text=text,
            first_name=user,
            language_code=language,
        )
        turn = await dialog.receive(incoming)
        if text == "/new":
            await actions.start_new_conversation(turn.contact)
            self.stdout.write(_("(new conversation)"))
            return
        capture = await dialog.capture_details(turn, text)
        turn = capture.turn
        if capture.update is not None and capture.update.changed:
            saved = capture.update.contact
            self.stdout.write(_("(saved: %(detail)s)") % {"detail": saved.phone or saved.email})
        admission = dialog.admit(turn)
        if not admission.allowed:
            if admission.note:
                self.stdout.write(f"({admission.note})")
            return
        printer = TerminalPrinter(self.stdout)
        answer = await dialog.answer(turn, text, printer.update)
        for note in answer.notes:
            self.stdout.write(f"({note})")
        printer.finish(answer.text)
        await dialog.record_delivery(
            answer.message_id, state=Message.Delivery.DELIVERED, parts=[], error=""
        )
