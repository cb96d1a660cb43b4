"""`manage.py export_finetuning [--bot ID] [--since DATE] [-o FILE]`: the approved
conversations as JSONL in OpenAI's chat fine-tuning format (see `knowledge.finetuning`)."""

from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from knowledge.finetuning import approved_conversations, finetuning_lines


def _start_of(text: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("--since must be a date like 2025-03-01, got %(text)s.") % {"text": text}
        ) from None
    return timezone.make_aware(datetime.combine(day, time.min))


class Command(BaseCommand):
    help = gettext_lazy(
        "Write the approved conversations as JSONL for fine-tuning a model (OpenAI's chat "
        "format). They hold what people wrote, phone numbers and e-mails included."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bot", type=int, help=gettext_lazy("Only this bot's (its id)."))
        parser.add_argument(
            "--since",
            help=gettext_lazy("Only conversations started on this day or later (YYYY-MM-DD)."),
        )
        parser.add_argument(
            "-o", "--output", help=gettext_lazy("The file to write; default: standard output.")
        )

    def handle(self, *args, bot, since, output, **options):
        conversations = approved_conversations(
            bot_id=bot, since=None if since is None else _start_of(since)
        )
        lines = finetuning_lines(conversations)
        if output is None:
            count = self._write(self.stdout, lines)
        else:
            with open(output, "w", encoding="utf-8") as file:
                count = self._write(file, lines)
        self.stderr.write(_("Conversations exported: %(count)d.") % {"count": count})

    @staticmethod
    def _write(out, lines) -> int:
        """Each line ends in a newline, so the command's own output adds none."""
        count = 0
        for line in lines:
            out.write(line)
            count += 1
        return count
