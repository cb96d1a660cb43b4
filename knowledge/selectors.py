"""Reading the knowledge base: the passages that answer a question."""

from __future__ import annotations

from django.db.models import Q

from assistant.grounding import Passage
from knowledge.chunking import HEADING_SEPARATOR
from knowledge.embeddings import fuse, nearest
from knowledge.models import Chunk
from knowledge.search import search_text

#: Candidates each ranking gives the fusion, per passage wanted.
CANDIDATES_PER_PASSAGE = 5


def has_passages(*, bot_id: int | None) -> bool:
    """Whether the bot has a knowledge base to search at all."""
    return (
        Chunk.objects.filter(Q(bot_id=bot_id) | Q(bot__isnull=True))
        .filter(Q(document__is_active=True) | Q(entry__is_active=True))
        .exists()
    )


def search_passages(
    question: str,
    *,
    bot_id: int | None,
    limit: int,
    vector: list[float] | None = None,
    model: str = "",
) -> list[Passage]:
    """The passages that best answer the question, best first: those that match its words,
    fused with those nearest to its vector when one is given (reciprocal rank fusion)."""
    candidates = limit * CANDIDATES_PER_PASSAGE
    ranked = search_text(question, bot_id=bot_id, limit=candidates)
    if vector is not None:
        ranked = fuse(ranked, nearest(vector, model=model, bot_id=bot_id, limit=candidates))
    return passages_of(ranked[:limit])


def passages_of(chunk_ids: list[int]) -> list[Passage]:
    chunks = Chunk.objects.select_related("document", "entry").in_bulk(chunk_ids)
    return [_passage(chunks[chunk_id]) for chunk_id in chunk_ids if chunk_id in chunks]


def _passage(chunk: Chunk) -> Passage:
    if chunk.entry is not None:
        return Passage(chunk_id=chunk.pk, title=chunk.entry.question, text=chunk.text)
    document = chunk.document
    headings = chunk.heading.split(HEADING_SEPARATOR) if chunk.heading else []
    if headings[:1] != [document.title]:  # a document often starts with its title
        headings.insert(0, document.title)
    title = HEADING_SEPARATOR.join(headings)
    return Passage(chunk_id=chunk.pk, title=title, text=chunk.text, url=document.url)
