"""Indexing: a document's text split into passages, stored, and made searchable.

Re-indexing is incremental: a passage whose headings and text did not change (its
`content_hash`) is kept with its vector, the ones gone from the text are deleted and only the
new ones are added, so editing a paragraph of a long price list re-indexes that paragraph.
A document is indexed as a job (`index_document`): claimed by one bot process (or the
`index_knowledge` command), with its progress in `progress_done` / `progress_total` as it
goes, ending "ready" or "failed" with the reason in `error`.

Vectors, when the registry has an embedding model, are made in batches as the passages are
stored. A provider that fails does not fail the indexing: the passages are searchable by
words at once and their vectors are made at a later look (`fill_missing_vectors`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

import openai
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assistant.gateway import ClientPool, describe_error, embed
from assistant.selectors import embedding_model_spec
from core.db import db_call
from knowledge.chunking import Piece, content_hash, split_text
from knowledge.embeddings import BATCH, embedding_input
from knowledge.models import Chunk, Document, KnowledgeEntry
from knowledge.reading import ReadingError, read_url
from knowledge.search import add_to_index

logger = logging.getLogger(__name__)

#: Longer than indexing a document can take; a process killed mid-way leaves a claim that
#: runs out, and the document is taken again.
CLAIM = dt.timedelta(minutes=10)
#: Batches of missing vectors made per look, so one look never runs for long.
VECTOR_BATCHES_PER_LOOK = 20


@dataclass(frozen=True)
class Plan:
    """What indexing a document adds: the new passages with their places in the document."""

    document_id: int
    bot_id: int | None
    fingerprint: str
    new: list[tuple[int, Piece]]


def _to_index(now: dt.datetime):
    not_held = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    waiting = Q(status=Document.Status.PENDING) | Q(status=Document.Status.INDEXING)
    return Document.objects.filter(not_held, waiting)


def pending_document_ids(now: dt.datetime) -> list[int]:
    return list(_to_index(now).order_by("updated_at", "pk").values_list("pk", flat=True))


def claim(document_id: int, now: dt.datetime) -> bool:
    """One conditional UPDATE: of two processes, one gets the document."""
    return (
        _to_index(now)
        .filter(pk=document_id)
        .update(claimed_until=now + CLAIM, status=Document.Status.INDEXING)
        == 1
    )


async def index_pending(*, clients: ClientPool) -> None:
    """Index each document waiting for it that this process claims, then make missing
    vectors."""
    now = timezone.now()
    for document_id in await db_call(pending_document_ids)(now):
        if await db_call(claim)(document_id, now):
            await index_document(document_id, clients=clients)
    await fill_missing_vectors(clients=clients)


async def index_document(document_id: int, *, clients: ClientPool) -> None:
    """Index a claimed document; whatever goes wrong is kept in its `error`."""
    try:
        url = await db_call(_url_of)(document_id)
        if url:
            text = await asyncio.to_thread(read_url, url)
            await db_call(_keep_text)(document_id, text)
        plan = await db_call(plan_passages)(document_id)
        note = await _add_passages(plan, clients)
        await db_call(_finish)(document_id, plan.fingerprint, note)
    except ReadingError as error:
        await db_call(_fail)(document_id, str(error))
    except Exception as error:
        logger.exception("Could not index document %s", document_id)
        await db_call(_fail)(document_id, _("Indexing failed: %s") % type(error).__name__)


def _url_of(document_id: int) -> str:
    return Document.objects.filter(pk=document_id).values_list("url", flat=True).get()


def _keep_text(document_id: int, text: str) -> None:
    """A web page's text as read now (the next save must not see it as a change)."""
    document = Document.objects.get(pk=document_id)
    document.text = text
    Document.objects.filter(pk=document_id).update(text=text, content_hash=document.fingerprint())


def plan_passages(document_id: int) -> Plan:
    """Split the document, keep its unchanged passages (moved to their new places), delete
    the vanished ones, and say which are new."""
    document = Document.objects.get(pk=document_id)
    pieces = split_text(document.text, language=document.language)
    stored = defaultdict(list)
    for chunk in document.chunks.all():
        stored[(chunk.content_hash, chunk.language)].append(chunk)
    kept, new = [], []
    for position, piece in enumerate(pieces):
        same = stored.get((piece.content_hash, piece.language))
        if same:
            chunk = same.pop()
            chunk.position, chunk.bot_id = position, document.bot_id
            kept.append(chunk)
        else:
            new.append((position, piece))
    vanished = [chunk.pk for chunks in stored.values() for chunk in chunks]
    with transaction.atomic():
        Chunk.objects.filter(pk__in=vanished).delete()
        Chunk.objects.bulk_update(kept, ["position", "bot"])
        Document.objects.filter(pk=document_id).update(
            progress_total=len(pieces), progress_done=len(kept)
        )
    return Plan(document.pk, document.bot_id, document.content_hash, new)


async def _add_passages(plan: Plan, clients: ClientPool) -> str:
    """Store the new passages batch by batch, with vectors while the provider gives them;
    the problem with the vectors, if any, for staff."""
    spec = await db_call(embedding_model_spec)()
    note = ""
    for start in range(0, len(plan.new), BATCH):
        batch = plan.new[start : start + BATCH]
        vectors = None
        if spec is not None and not note:
            texts = [embedding_input(piece.heading, piece.text) for _position, piece in batch]
            try:
                vectors = await embed(spec, texts, clients=clients)
            except openai.OpenAIError as error:
                logger.warning(
                    "No vectors for document %s: %s", plan.document_id, describe_error(error)
                )
                note = _("Searched by words only for now: vectors failed (%s).") % describe_error(
                    error
                )
        model = spec.model_id if vectors else ""
        await db_call(_store_passages)(plan, batch, vectors, model)
    return note


def _store_passages(plan: Plan, batch, vectors: list[list[float]] | None, model: str) -> None:
    chunks = [
        Chunk(
            document_id=plan.document_id,
            bot_id=plan.bot_id,
            position=position,
            heading=piece.heading[:500],
            text=piece.text,
            language=piece.language,
            content_hash=piece.content_hash,
            vector=vectors[number] if vectors else None,
            vector_model=model,
        )
        for number, (position, piece) in enumerate(batch)
    ]
    with transaction.atomic():
        add_to_index(Chunk.objects.bulk_create(chunks))
        Document.objects.filter(pk=plan.document_id).update(
            progress_done=F("progress_done") + len(chunks)
        )


def _finish(document_id: int, fingerprint: str, note: str) -> None:
    """Ready, unless the document changed while it was indexed: then it waits for the next
    look, which indexes the change."""
    Document.objects.filter(pk=document_id, content_hash=fingerprint).update(
        status=Document.Status.READY, indexed_at=timezone.now(), error=note
    )
    Document.objects.filter(pk=document_id).update(claimed_until=None)


def _fail(document_id: int, error: str) -> None:
    Document.objects.filter(pk=document_id).update(
        status=Document.Status.FAILED, error=error, claimed_until=None
    )


async def fill_missing_vectors(*, clients: ClientPool) -> None:
    """Vectors for the passages that have none from the current model (the provider failed
    when they were stored, an entry was just approved, or the model changed)."""
    spec = await db_call(embedding_model_spec)()
    if spec is None:
        return
    for _batch in range(VECTOR_BATCHES_PER_LOOK):
        chunks = await db_call(_without_vectors)(spec.model_id)
        if not chunks:
            return
        texts = [embedding_input(chunk.heading, chunk.text) for chunk in chunks]
        try:
            vectors = await embed(spec, texts, clients=clients)
        except openai.OpenAIError as error:
            logger.warning("No vectors for the knowledge base yet: %s", describe_error(error))
            return
        await db_call(_store_vectors)(chunks, vectors, spec.model_id)


def _without_vectors(model: str) -> list[Chunk]:
    return list(
        Chunk.objects.exclude(vector_model=model)
        .order_by("pk")
        .only("pk", "heading", "text")[:BATCH]
    )


def _store_vectors(chunks: list[Chunk], vectors: list[list[float]], model: str) -> None:
    for chunk, vector in zip(chunks, vectors, strict=True):
        chunk.vector, chunk.vector_model = vector, model
    Chunk.objects.bulk_update(chunks, ["vector", "vector_model"])


def index_entry(entry_id: int) -> None:
    """(Re)write an approved entry's one passage at once (heading: the question, text: the
    answer); an inactive or deleted entry's passage is removed. Its vector is made at the next
    look of the bot's indexing (`fill_missing_vectors`)."""
    entry = KnowledgeEntry.objects.filter(pk=entry_id, is_active=True).first()
    stored = Chunk.objects.filter(entry_id=entry_id)
    if entry is None:
        stored.delete()
        return
    heading, text = entry.question.strip()[:500], entry.answer.strip()
    fingerprint = content_hash(heading, text)
    if stored.filter(content_hash=fingerprint, language=entry.language, bot=entry.bot_id).exists():
        return
    with transaction.atomic():
        stored.delete()
        chunk = Chunk.objects.create(
            entry=entry,
            bot_id=entry.bot_id,
            heading=heading,
            text=text,
            language=entry.language,
            content_hash=fingerprint,
        )
        add_to_index([chunk])


def queue_documents(documents) -> int:
    """Queue documents for indexing again (a web page is read again): how many."""
    return documents.update(status=Document.Status.PENDING, error="")
