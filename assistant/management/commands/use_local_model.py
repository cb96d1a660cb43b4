"""`manage.py use_local_model`: answer with an OpenAI-compatible server on this machine."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistant.gateway import ping_model
from assistant.services import llm_local_model_use

OLLAMA_URL = "http://127.0.0.1:11434/v1"
OLLAMA_MODEL = "llama3.1:8b"


class Command(BaseCommand):
    help = gettext_lazy(
        "Register a local OpenAI-compatible server (Ollama, llama.cpp, vLLM) and make its model "
        "the default, then check that it answers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=OLLAMA_URL,
            help=_("The server's OpenAI-compatible URL (default: Ollama's, %(url)s).")
            % {"url": OLLAMA_URL},
        )
        parser.add_argument(
            "--model",
            default=OLLAMA_MODEL,
            help=_("The model name the server knows (default: %(model)s).")
            % {"model": OLLAMA_MODEL},
        )
        parser.add_argument(
            "--context-window",
            type=int,
            default=8192,
            help=_("Tokens the model reads at once, as the server was started with."),
        )
        parser.add_argument(
            "--no-check", action="store_true", help=_("Do not call the server now.")
        )

    def handle(self, *args, **options):
        model = llm_local_model_use(
            base_url=options["base_url"],
            model_id=options["model"],
            context_window=options["context_window"],
        )
        self.stdout.write(
            _("%(model)s at %(url)s is now the default model.")
            % {"model": model.model_id, "url": model.provider.base_url}
        )
        if settings.LLM_DEFAULT_MODEL:
            self.stderr.write(
                _("LLM_DEFAULT_MODEL=%(name)s in .env still wins: empty it to use this model.")
                % {"name": settings.LLM_DEFAULT_MODEL}
            )
        if options["no_check"]:
            return
        result = ping_model(model)
        if result.ok:
            self.stdout.write(_("It answered in %(ms)d ms.") % {"ms": result.latency_ms})
        else:
            self.stderr.write(
                _("It does not answer yet (%(error)s): start the server, then run this again.")
                % {"error": result.error}
            )
