"""PostgreSQL: a generated `tsvector` column (`knowledge_chunk.search_vector`) made by the
passage's language's configuration (russian or english), with a GIN index.

The headings above a passage weigh more (A) than its text (B). A question's words go to
`to_tsquery` of both configurations as query parameters, joined by OR: only letters and digits
are kept, so nothing a person types is read as a tsquery operator.
"""

from __future__ import annotations

from django.db import connection

from knowledge.models import Chunk
from knowledge.search.scope import FROM_SEARCHABLE, SEARCHABLE
from knowledge.search.words import query_words


def add_to_index(chunks: list[Chunk]) -> None:
    """Nothing to do: PostgreSQL computes the column as the row is written."""


def search(question: str, *, bot_id: int | None, limit: int) -> list[int]:
    terms = query_words(question)
    if not terms:
        return []
    either = " | ".join(terms)
    sql = f"""
        SELECT c.id {FROM_SEARCHABLE}
        CROSS JOIN (
            SELECT to_tsquery('russian', %s) || to_tsquery('english', %s) AS query
        ) q
        WHERE c.search_vector @@ q.query AND {SEARCHABLE}
        ORDER BY ts_rank_cd(c.search_vector, q.query) DESC, c.id
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [either, either, bot_id, limit])
        return [row[0] for row in cursor.fetchall()]
