"""The assistant asks the knowledge base for passages (`assistant.grounding.find_passages`)."""

import logging

import pytest
from asgiref.sync import async_to_sync

from assistant.gateway import ClientPool
from assistant.grounding import Findings, find_passages
from knowledge import finding
from knowledge.models import Document
from tests.factories import BotFactory, LLMModelFactory, LLMProviderFactory
from tests.fakes.openai_server import Embeddings, Fail, Stall
from tests.knowledge.sample_set import index_now

pytestmark = pytest.mark.django_db

SALON = """# Salon

## Haircuts

A haircut costs 2500 roubles.

## Haircut for children

A children's haircut costs 1500 roubles.

## Hair colouring

Colouring costs 4000 roubles; a haircut with it costs 2000.
"""


def find(question, bot_id=None):
    async def asked():
        clients = ClientPool()
        try:
            return await find_passages(
                question=question, bot_id=bot_id, language="en", clients=clients
            )
        finally:
            await clients.close()

    return async_to_sync(asked)()


def test_a_bot_without_a_knowledge_base_searched_nothing():
    assert find("How much is a haircut?") == Findings(passages=[], searched=False)


def test_the_best_passages_up_to_the_setting_with_their_documents_titles(settings):
    settings.KNOWLEDGE_PASSAGES = 2
    bot = BotFactory()
    Document.objects.create(title="Salon", text=SALON, bot=bot)
    index_now()

    findings = find("How much is a haircut?", bot_id=bot.pk)

    assert findings.searched
    assert [passage.title for passage in findings.passages] == [
        "Salon › Haircuts",
        "Salon › Haircut for children",
    ]
    assert findings.passages[0].text == "A haircut costs 2500 roubles."
    assert find("Do you sell gift cards?", bot_id=bot.pk) == Findings(passages=[], searched=True)
    assert not find("How much is a haircut?", bot_id=BotFactory().pk).searched


def test_the_question_is_embedded_once_and_ranked_with_the_vectors(embedder, fake_openai):
    Document.objects.create(title="Salon", text=SALON)
    index_now()
    asked_before = len(fake_openai.embedding_requests())

    findings = find("children haircut price")

    assert findings.passages[0].title == "Salon › Haircut for children"
    requests = fake_openai.embedding_requests()[asked_before:]
    assert [request.body["input"] for request in requests] == [["children haircut price"]]
    assert requests[0].body["model"] == "fake-embedder"


def test_a_failing_embedding_provider_leaves_the_search_by_words(fake_openai, monkeypatch, caplog):
    monkeypatch.setenv("EMBEDDER_API_KEY", "sk-very-secret-key")
    provider = LLMProviderFactory(base_url=fake_openai.base_url, api_key_env="EMBEDDER_API_KEY")
    LLMModelFactory(provider=provider, model_id="fake-embedder", capabilities=["embedding"])
    Document.objects.create(title="Salon", text=SALON)
    index_now()
    fake_openai.queue_embeddings(Fail(status=429, message="Slow down"))

    with caplog.at_level(logging.WARNING, logger="knowledge.finding"):
        findings = find("How much is colouring?")

    assert findings.passages[0].title == "Salon › Hair colouring"
    assert "Knowledge searched by words only: HTTP 429: Slow down" in caplog.text
    assert "sk-very-secret-key" not in caplog.text


def test_a_question_vector_that_takes_too_long_leaves_the_search_by_words(
    embedder, fake_openai, monkeypatch, caplog
):
    Document.objects.create(title="Salon", text=SALON)
    index_now()
    monkeypatch.setattr(finding, "QUESTION_VECTOR_SECONDS", 0.2)
    fake_openai.queue_embeddings(Stall(seconds=30, then=Embeddings()))

    with caplog.at_level(logging.WARNING, logger="knowledge.finding"):
        findings = find("How much is colouring?")

    assert findings.passages[0].title == "Salon › Hair colouring"
    assert "Knowledge searched by words only" in caplog.text
