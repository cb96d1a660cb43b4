"""Full-text search over the knowledge base's passages, one interface for both databases.

SQLite keeps an FTS5 table beside `knowledge_chunk` (`sqlite.py`) holding each passage's
Snowball stems, since FTS5 stems only English; PostgreSQL keeps a generated `tsvector` column
with its own russian and english configurations and a GIN index (`postgres.py`). Both are made
by migration 0002 on their database only. Either way a question's words are joined by OR and
the passages are ranked by how well they match (bm25 / ts_rank_cd); only passages of active
documents and entries of the bot, or shared by every bot, are found.
"""

from __future__ import annotations

from django.db import connection

from knowledge.models import Chunk
from knowledge.search import postgres, sqlite


def _backend():
    return sqlite if connection.vendor == "sqlite" else postgres


def add_to_index(chunks: list[Chunk]) -> None:
    """Make newly stored passages searchable (a deleted passage leaves the index by itself)."""
    _backend().add_to_index(chunks)


def search_text(question: str, *, bot_id: int | None, limit: int) -> list[int]:
    """The ids of the passages that match the question's words, best first."""
    return _backend().search(question, bot_id=bot_id, limit=limit)
