"""PostgreSQL: a generated `tsvector` column (`knowledge_chunk.search_vector`) made by the
passage's language's configuration (russian or english), with a GIN index (migration 0002).

The headings above a passage weigh more (A) than its text (B). A question's words are passed
as query parameters (joined by OR, and as an array), made `to_tsquery` of both
configurations: only letters and digits are kept, so nothing a person types is read as a
tsquery operator. The OR of all words finds the passages through the GIN index. The passages
that match any word are ranked by the sum over the words of `ts_rank` (normalised by the
logarithm of the passage's length) times the word's rarity (inverse document frequency, as
bm25 has it), so "specialist", which every passage of a consulting company mentions, does not
outweigh "parking".
"""

from __future__ import annotations

from django.db import connection

from knowledge.models import Chunk
from knowledge.search.scope import FROM_SEARCHABLE, SEARCHABLE
from knowledge.search.words import query_words

#: ts_rank's weights of D, C, B (a passage's text) and A (its headings).
WEIGHTS = "{0.1, 0.2, 0.6, 1.0}"


def add_to_index(chunks: list[Chunk]) -> None:
    """Nothing to do: PostgreSQL computes the column as the row is written."""


def search(question: str, *, bot_id: int | None, limit: int) -> list[int]:
    terms = query_words(question)
    if not terms:
        return []
    either = " | ".join(terms)
    sql = f"""
        WITH words AS MATERIALIZED (
            SELECT to_tsquery('russian', word) || to_tsquery('english', word) AS query
            FROM unnest(%s::text[]) AS word
        ), weighted AS MATERIALIZED (
            SELECT query, ln(1 + (total.chunks - found + 0.5) / (found + 0.5)) AS rarity
            FROM (
                SELECT query, (
                    SELECT count(*) FROM knowledge_chunk WHERE search_vector @@ words.query
                ) AS found
                FROM words
            ) counted, (SELECT count(*) AS chunks FROM knowledge_chunk) total
            WHERE found > 0
        )
        SELECT c.id {FROM_SEARCHABLE}
        WHERE c.search_vector @@ (to_tsquery('russian', %s) || to_tsquery('english', %s))
            AND {SEARCHABLE}
        ORDER BY (
            SELECT sum(w.rarity * ts_rank(%s, c.search_vector, w.query, 1)) FROM weighted w
        ) DESC, c.id
        LIMIT %s
    """  # noqa: S608 (the names interpolated are constants; what people type is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, [terms, either, either, bot_id, WEIGHTS, limit])
        return [row[0] for row in cursor.fetchall()]
