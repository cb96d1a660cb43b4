"""Indexing is a job with progress; re-indexing redoes only what changed, and vectors, when
there is an embedding model, never hold back the search by words."""

import asyncio
import datetime as dt
import logging

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.utils import timezone

from knowledge import embeddings, indexing, runner
from knowledge.embeddings import fuse
from knowledge.models import Chunk, Document, KnowledgeEntry
from knowledge.selectors import search_passages
from tests.factories import BotFactory
from tests.fakes.openai_server import Embeddings, Fail
from tests.knowledge.sample_set import index_now

pytestmark = pytest.mark.django_db

PRICES = """# Prices

## Haircuts

A haircut costs 2500 roubles.

## Colouring

Colouring costs 4000 roubles.

## Parking

Guests park in the courtyard for free.
"""


def passages(document):
    return {chunk.heading: chunk for chunk in Chunk.objects.filter(document=document)}


def test_a_document_is_indexed_with_its_progress_and_time():
    document = Document.objects.create(title="Prices", text=PRICES)
    assert document.status == Document.Status.PENDING

    index_now()

    document.refresh_from_db()
    assert document.status == Document.Status.READY
    assert (document.progress_done, document.progress_total) == (3, 3)
    assert document.indexed_at is not None and document.claimed_until is None
    assert [chunk.position for chunk in document.chunks.all()] == [0, 1, 2]


def test_re_indexing_keeps_unchanged_passages_with_their_vectors_and_embeds_only_new_ones(
    embedder, fake_openai
):
    document = Document.objects.create(title="Prices", text=PRICES)
    index_now()
    before = passages(document)
    assert all(chunk.vector_model == "fake-embedder" for chunk in before.values())
    assert fake_openai.embedding_requests()[0].body["input"][0] == (
        "Prices › Haircuts\nA haircut costs 2500 roubles."
    )

    document.text = PRICES.replace("4000", "4500").replace("## Parking", "## Car park")
    document.save()
    assert Document.objects.get(pk=document.pk).status == Document.Status.PENDING
    index_now()

    after = passages(document)
    haircuts = after["Prices › Haircuts"]
    assert haircuts.pk == before["Prices › Haircuts"].pk
    assert haircuts.vector == before["Prices › Haircuts"].vector
    assert after["Prices › Colouring"].pk != before["Prices › Colouring"].pk
    assert not Chunk.objects.filter(pk=before["Prices › Parking"].pk).exists()
    assert set(after) == {"Prices › Haircuts", "Prices › Colouring", "Prices › Car park"}
    assert fake_openai.embedding_requests()[-1].body["input"] == [
        "Prices › Colouring\nColouring costs 4500 roubles.",
        "Prices › Car park\nGuests park in the courtyard for free.",
    ]


def test_a_new_bot_or_order_moves_the_kept_passages_along():
    document = Document.objects.create(title="Prices", text=PRICES)
    index_now()
    kept = passages(document)["Prices › Parking"]

    document.text = PRICES.replace("## Haircuts\n\nA haircut costs 2500 roubles.\n", "")
    document.bot = BotFactory()
    document.save()
    index_now()

    moved = Chunk.objects.get(pk=kept.pk)
    assert (moved.position, moved.bot_id) == (1, document.bot_id)


def test_a_failing_embedding_provider_leaves_passages_searchable_by_words_and_retried_later(
    embedder, fake_openai, caplog
):
    fake_openai.queue_embeddings(Fail(status=429), Fail(status=503))
    document = Document.objects.create(title="Prices", text=PRICES)

    with caplog.at_level(logging.WARNING, logger="knowledge.indexing"):
        index_now()

    document.refresh_from_db()
    assert document.status == Document.Status.READY
    assert "vectors failed (HTTP 429" in document.error
    assert search_passages("haircut", bot_id=None, limit=1)[0].title == "Prices › Haircuts"
    assert not Chunk.objects.exclude(vector=None).exists()
    assert "No vectors for the knowledge base yet: HTTP 503" in caplog.text

    index_now()  # the next look

    assert Chunk.objects.filter(vector_model="fake-embedder").count() == 3


def test_missing_vectors_are_made_a_few_batches_per_look(embedder, fake_openai, monkeypatch):
    fake_openai.queue_embeddings(Fail(status=500), Fail(status=500))
    Document.objects.create(title="Prices", text=PRICES)
    index_now()  # the document's one batch failed; the look's own batch failed too
    monkeypatch.setattr(indexing, "BATCH", 2)
    monkeypatch.setattr(indexing, "VECTOR_BATCHES_PER_LOOK", 1)

    index_now()
    assert Chunk.objects.filter(vector_model="fake-embedder").count() == 2
    index_now()
    assert Chunk.objects.filter(vector_model="fake-embedder").count() == 3


def test_a_document_another_process_claimed_first_is_left_to_it(monkeypatch):
    document = Document.objects.create(title="Prices", text=PRICES)
    monkeypatch.setattr(indexing, "claim", lambda document_id, now: False)

    index_now()

    assert Document.objects.get(pk=document.pk).status == Document.Status.PENDING
    assert not document.chunks.exists()


def test_an_approved_entry_gets_its_vector_at_the_next_look(embedder):
    entry = KnowledgeEntry.objects.create(question="Do you have parking?", answer="Yes.")
    indexing.index_entry(entry.pk)
    assert entry.chunks.get().vector is None

    index_now()

    assert entry.chunks.get().vector_model == "fake-embedder"


def by_meaning(text):
    """Vectors that know cars and parking are one subject, unlike words."""
    about_cars = any(word in text.lower() for word in ("car", "park"))
    return [1.0, 0.0] if about_cars else [0.0, 1.0]


def test_vectors_find_what_words_do_not_and_rankings_are_fused(embedder, fake_openai, monkeypatch):
    fake_openai.embeddings = Embeddings(vector_of=by_meaning)
    Document.objects.create(title="Prices", text=PRICES)
    index_now()
    question = "Where do I leave my car?"

    assert search_passages(question, bot_id=None, limit=3) == []
    found = search_passages(
        question, bot_id=None, limit=3, vector=[1.0, 0.0], model="fake-embedder"
    )
    assert [passage.title for passage in found] == ["Prices › Parking"]
    assert search_passages(question, bot_id=None, limit=3, vector=[1.0, 0.0], model="other") == []
    monkeypatch.setattr(embeddings, "CACHE_SLACK", -1000)  # vectors in memory read again
    again = search_passages(
        question, bot_id=None, limit=3, vector=[1.0, 0.0], model="fake-embedder"
    )
    assert again == found


def test_reciprocal_rank_fusion_favours_what_both_rankings_place_high():
    assert fuse([1, 2, 3], [3, 2]) == [3, 2, 1]
    assert fuse([5], []) == [5]


def test_a_web_page_is_read_again_at_each_indexing_and_a_failure_is_kept(file_server):
    url = file_server.serve("/prices", PRICES, content_type="text/plain")
    document = Document.objects.create(title="Prices", url=url)
    index_now()
    document.refresh_from_db()
    assert document.text == PRICES.strip()
    assert document.chunks.count() == 3

    file_server.serve("/prices", "gone", status=500)
    indexing.queue_documents(Document.objects.all())
    index_now()

    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert document.error.startswith(f"{url}: ")  # in the site's language: read in a thread
    assert "HTTP 500" in document.error
    assert document.chunks.count() == 3  # still answers from the page as last read
    document.save()  # an edit of something else does not queue it
    assert Document.objects.get(pk=document.pk).status == Document.Status.FAILED
    document.is_active = False
    document.save(update_fields=["is_active"])
    assert Document.objects.get(pk=document.pk).status == Document.Status.FAILED
    document.title = "Price list"
    document.save(update_fields=["title"])  # a change saved field by field queues it
    assert Document.objects.get(pk=document.pk).status == Document.Status.PENDING


def test_an_unexpected_failure_is_kept_as_the_documents_error(monkeypatch, caplog):
    def broken(text, *, language):
        raise RuntimeError("boom")

    monkeypatch.setattr(indexing, "split_text", broken)
    document = Document.objects.create(title="Prices", text=PRICES)

    index_now()

    document.refresh_from_db()
    assert (document.status, document.error) == (
        Document.Status.FAILED,
        "Indexing failed: RuntimeError",
    )
    assert "Could not index document" in caplog.text


def test_a_document_changed_while_it_was_indexed_is_indexed_again(monkeypatch):
    document = Document.objects.create(title="Prices", text=PRICES)
    plan = indexing.plan_passages

    def edited_meanwhile(document_id):
        planned = plan(document_id)
        changed = Document.objects.get(pk=document_id)
        changed.text = PRICES + "\n## Gift cards\n\nSold at reception.\n"
        changed.save()
        return planned

    monkeypatch.setattr(indexing, "plan_passages", edited_meanwhile)
    index_now()
    document.refresh_from_db()
    assert (document.status, document.claimed_until) == (Document.Status.PENDING, None)

    monkeypatch.setattr(indexing, "plan_passages", plan)
    index_now()
    assert Document.objects.get(pk=document.pk).status == Document.Status.READY
    assert "Prices › Gift cards" in passages(document)


def test_of_two_processes_one_claims_a_document_and_a_lost_claim_runs_out():
    document = Document.objects.create(title="Prices", text=PRICES)
    now = timezone.now()

    assert indexing.pending_document_ids(now) == [document.pk]
    assert indexing.claim(document.pk, now)
    assert not indexing.claim(document.pk, now)
    assert indexing.pending_document_ids(now) == []
    later = now + indexing.CLAIM + dt.timedelta(seconds=1)
    assert indexing.pending_document_ids(later) == [document.pk]  # its process was killed
    assert indexing.claim(document.pk, later)


def test_the_command_indexes_what_waits_and_everything_again_with_all(capsys):
    call_command("index_knowledge", "--sample")
    assert Document.objects.filter(status=Document.Status.READY).count() == 10
    entry = KnowledgeEntry.objects.create(question="Parking?", answer="Yes.")
    Chunk.objects.filter(entry=entry).delete()
    broken = Document.objects.create(title="Page", url="http://127.0.0.1:9/nothing")

    call_command("index_knowledge", "--all")

    assert entry.chunks.exists()
    broken.refresh_from_db()
    assert broken.status == Document.Status.FAILED
    captured = capsys.readouterr()
    assert "Documents ready: 10." in captured.out
    assert "Page: Failed http://127.0.0.1:9/nothing: " in captured.err


@pytest.mark.django_db(transaction=True)
async def test_the_bot_processes_index_waiting_documents(monkeypatch):
    document = await sync_to_async(Document.objects.create)(title="Prices", text=PRICES)
    monkeypatch.setattr(runner, "LOOK_SECONDS", 0.01)
    stopping = asyncio.Event()
    task = runner.start_indexing(None, stopping=stopping)

    for _attempt in range(500):
        await document.arefresh_from_db()
        if document.status == Document.Status.READY:
            break
        await asyncio.sleep(0.02)
    stopping.set()
    await asyncio.wait_for(task, 10)
    assert document.status == Document.Status.READY
    assert await Chunk.objects.filter(document=document).acount() == 3
