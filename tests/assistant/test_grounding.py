"""Asking the knowledge base: the finder the knowledge app registers, and an answer that goes
on without it when the search fails."""

import logging

import pytest

from assistant import grounding
from assistant.gateway import ClientPool
from assistant.grounding import Findings, Passage, find_passages

FOUND = Findings([Passage(chunk_id=3, title="Prices", text="A haircut is 1500.")], searched=True)


@pytest.fixture
def finder(monkeypatch):
    """A stand-in finder recording what it was asked; restored to the app's after the test."""
    asked = []

    async def find(**question):
        asked.append(question)
        return FOUND

    monkeypatch.setattr(grounding, "_finder", find)
    return asked


async def ask(question="How much is a haircut?", **where):
    return await find_passages(
        question=question,
        bot_id=where.get("bot_id"),
        language=where.get("language", "en"),
        clients=ClientPool(),
    )


async def test_the_registered_finder_is_asked_with_the_question_the_bot_and_the_language(finder):
    assert await ask(bot_id=5, language="ru") == FOUND
    assert finder == [
        {
            "question": "How much is a haircut?",
            "bot_id": 5,
            "language": "ru",
            "clients": finder[0]["clients"],
        }
    ]


async def test_an_empty_question_is_not_searched(finder):
    assert await ask("  \n") == Findings()
    assert finder == []


async def test_without_a_knowledge_base_nothing_is_searched(monkeypatch):
    monkeypatch.setattr(grounding, "_finder", None)
    assert await ask() == Findings(searched=False)


async def test_a_search_that_fails_leaves_the_answer_to_the_prompts_and_is_logged(
    monkeypatch, caplog
):
    async def broken(**_question):
        raise RuntimeError("index is locked")

    monkeypatch.setattr(grounding, "_finder", broken)
    with caplog.at_level(logging.ERROR, logger="assistant.grounding"):
        assert await ask() == Findings()
    assert "could not be searched" in caplog.text


def test_a_finder_is_registered_and_taken_back(monkeypatch):
    monkeypatch.setattr(grounding, "_finder", None)

    async def find(**_question):
        return FOUND

    grounding.use_finder(find)
    assert grounding._finder is find
    grounding.use_finder(None)
    assert grounding._finder is None


def test_a_source_names_the_passage_and_its_page_when_it_has_one():
    assert Passage(1, "Prices", "text").as_source() == {"chunk": 1, "title": "Prices"}
    assert Passage(1, "Prices", "text", url="https://example.com/p").as_source() == {
        "chunk": 1,
        "title": "Prices",
        "url": "https://example.com/p",
    }
