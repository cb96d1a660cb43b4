"""Which model will answer, and whether it can: checked when the bot or the chat starts.

A fresh install whose default model needs a key nobody set would answer every question with
an apology after a few seconds, and say why only in a warning per message. Saying it once at
start, in one line, is what gets a newcomer to a first answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistant.gateway import ModelSpec
from assistant.selectors import default_model_spec

logger = logging.getLogger(__name__)

ALLOW_MISSING_KEY_HELP = gettext_lazy(
    "Start even when the default model cannot answer (no active model, or its API key is "
    "empty); every question then gets an apology."
)


@dataclass(frozen=True)
class AnsweringModel:
    spec: ModelSpec | None
    problem: str = ""

    @property
    def description(self) -> str:
        """For the log, which stays in English like every log line."""
        if self.spec is None:
            return "no model"
        return f"{self.spec.display_name} ({self.spec.model_id} at {self.spec.base_url})"


def answering_model() -> AnsweringModel:
    """The default model and, when it cannot answer, one line that says what to do."""
    spec = default_model_spec()
    if spec is None:
        return AnsweringModel(
            None,
            _(
                "No LLM model is active: run `manage.py load_data` or activate one in admin "
                "(LLM models); for a model on this machine see README, Local models."
            ),
        )
    if spec.key_missing:
        return AnsweringModel(
            spec,
            _(
                "The default model %(model)s needs an API key in %(variable)s, which is empty. "
                "Put the key into .env, or answer with a local model: "
                "`manage.py use_local_model` (README, Local models)."
            )
            % {"model": spec.display_name, "variable": spec.api_key_env},
        )
    return AnsweringModel(spec)


def check_answering_model(*, allow_missing_key: bool) -> None:
    """For `runbot` and `chat`: log which model answers; refuse to start when it cannot."""
    model = answering_model()
    logger.info("Answers come from %s", model.description)
    if not model.problem:
        return
    if not allow_missing_key:
        raise CommandError(model.problem, returncode=2)
    logger.warning("%s", model.problem)
