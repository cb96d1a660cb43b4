"""PostgreSQL: a generated `tsvector` column (`knowledge_chunk.search_vector`) made by the
passage's language's configuration (russian or english), with a GIN index (migration 0002).

The headings above a passage weigh more (A) than its text (B). A question's words are passed
as a query parameter (an array), each made a `to_tsquery` of both configurations: only
letters and digits are kept, so nothing a person types is read as a tsquery operator. A first
query counts the passages of each word (through the GIN index), a second finds the passages
matching any word and ranks them with those tsqueries, passed back as parameters. The passages
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
    weighted = _weighted_words(query_words(question))
    if not weighted:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*ranking_statement(weighted, bot_id=bot_id, limit=limit))
        return [row[0] for row in cursor.fetchall()]


def ranking_statement(
    weighted: list[tuple[str, float]], *, bot_id: int | None, limit: int
) -> tuple[str, list]:
    """The SQL that ranks the passages matching any of the weighted tsqueries, and its
    parameters: the tsqueries and rarities are parameters, never part of the SQL text."""
    either = " | ".join(f"({query})" for query, _rarity in weighted)
    rank = " + ".join(["ts_rank(%s, c.search_vector, %s::tsquery, 1) * %s"] * len(weighted))
    sql = f"""
        SELECT c.id {FROM_SEARCHABLE}
        WHERE c.search_vector @@ %s::tsquery AND {SEARCHABLE}
        ORDER BY {rank} DESC, c.id
        LIMIT %s
    """
    ranked = [value for query, rarity in weighted for value in (WEIGHTS, query, rarity)]
    return sql, [either, bot_id, *ranked, limit]


def _weighted_words(words: list[str]) -> list[tuple[str, float]]:
    """Each word found in some passage as a tsquery of both configurations, with its rarity
    (inverse document frequency, as bm25 has it)."""
    if not words:
        return []
    sql = """
        WITH words AS MATERIALIZED (
            SELECT to_tsquery('russian', word) || to_tsquery('english', word) AS query
            FROM unnest(%s::text[]) AS word
        ), counted AS MATERIALIZED (
            SELECT query, (
                SELECT count(*) FROM knowledge_chunk WHERE search_vector @@ words.query
            ) AS found
            FROM words
        )
        SELECT query::text, ln(1 + (total.chunks - found + 0.5) / (found + 0.5))
        FROM counted, (SELECT count(*) AS chunks FROM knowledge_chunk) total
        WHERE found > 0
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [words])
        return cursor.fetchall()
