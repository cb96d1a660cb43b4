"""The shipped sample knowledge base and its labelled questions, for the recall test and
`bench/knowledge_search.py`."""

import json
from dataclasses import dataclass
from pathlib import Path

from asgiref.sync import async_to_sync

from assistant.gateway import ClientPool
from knowledge.indexing import index_pending
from knowledge.models import Chunk
from knowledge.selectors import search_passages

QUESTIONS = Path(__file__).resolve().parents[2] / "bench" / "knowledge_questions.json"


@dataclass(frozen=True)
class Question:
    question: str
    document: str
    heading: str


def questions() -> list[Question]:
    return [Question(**item) for item in json.loads(QUESTIONS.read_text())["questions"]]


def index_now() -> None:
    """Index what waits, the way the bot's processes do, on this thread's connection."""

    async def index():
        clients = ClientPool()
        try:
            await index_pending(clients=clients)
        finally:
            await clients.close()

    async_to_sync(index)()


def answers(question: Question, chunk_ids: list[int]) -> bool:
    """Whether one of the passages is the one labelled as answering the question."""
    found = Chunk.objects.filter(pk__in=chunk_ids).values_list("document__file_name", "heading")
    return any(
        name == question.document and heading.endswith(question.heading) for name, heading in found
    )


def recall_at(k: int, vector_of=None, model: str = "") -> tuple[float, list[Question]]:
    """The share of questions answered by one of the first `k` passages, and those missed;
    `vector_of(question)`: the question's vector, for the search by words and vectors."""
    missed = []
    for question in questions():
        vector = vector_of(question.question) if vector_of else None
        passages = search_passages(
            question.question, bot_id=None, limit=k, vector=vector, model=model
        )
        if not answers(question, [passage.chunk_id for passage in passages]):
            missed.append(question)
    return 1 - len(missed) / len(questions()), missed
