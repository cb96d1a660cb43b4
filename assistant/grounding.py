"""What the knowledge base knows about a question, for the answer to stand on.

The knowledge base is an app above the assistant (`knowledge`): it registers its finder here
when Django starts, so the use case asks for passages without knowing how they are found.
Without a finder, or for a bot without a knowledge base, nothing is found and answers come
from the prompts and the catalog alone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from django.dispatch import Signal

from assistant.gateway import ClientPool

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Passage:
    """A piece of the knowledge base found for a question: the text the model reads as data,
    and where it came from, kept with the answer (`Message.sources`) and shown to staff."""

    chunk_id: int
    title: str
    text: str
    url: str = ""

    def as_source(self) -> dict:
        source = {"chunk": self.chunk_id, "title": self.title}
        return source | ({"url": self.url} if self.url else {})


@dataclass(frozen=True)
class Findings:
    """The passages for a question, best first; `searched` is False where the bot has no
    knowledge base, so an empty result means nothing rather than "not found"."""

    passages: list[Passage] = field(default_factory=list)
    searched: bool = False


#: `find(question=..., bot_id=..., language=..., clients=...)`
Finder = Callable[..., Awaitable[Findings]]
_finder: Finder | None = None


def use_finder(finder: Finder | None) -> None:
    """Called by the knowledge app when it is ready (None: answers without a knowledge base)."""
    global _finder
    _finder = finder


async def find_passages(
    *, question: str, bot_id: int | None, language: str, clients: ClientPool
) -> Findings:
    """The passages for `question`. A search that fails leaves the answer to the prompts and
    the catalog, as without a knowledge base: the person still gets an answer."""
    if _finder is None or not question.strip():
        return Findings()
    try:
        return await _finder(question=question, bot_id=bot_id, language=language, clients=clients)
    except Exception:
        logger.exception("The knowledge base could not be searched; answering without it")
        return Findings()


#: Sent (message_id=...) when a question of a bot with a knowledge base found nothing and the
#: model handed the person to staff.
question_unanswered = Signal()
