"""SQLite: an FTS5 table (`knowledge_chunk_fts`, rowid = the passage's id) of Snowball stems.

FTS5's own stemmer knows only English, so the stems are made here by the passage's language,
and a question is stemmed by both languages. A trigger removes a deleted passage's row.
"""

from __future__ import annotations

from django.db import connection

from knowledge.models import Chunk
from knowledge.search.scope import FROM_SEARCHABLE, SEARCHABLE
from knowledge.search.words import query_stems, stems

TABLE = "knowledge_chunk_fts"
#: bm25 weights of the columns: a word of the headings above a passage says more.
HEADING_WEIGHT, BODY_WEIGHT = 2.0, 1.0


def add_to_index(chunks: list[Chunk]) -> None:
    rows = [
        (
            chunk.pk,
            " ".join(stems(chunk.heading, chunk.language)),
            " ".join(stems(chunk.text, chunk.language)),
        )
        for chunk in chunks
    ]
    with connection.cursor() as cursor:
        insert = f"INSERT INTO {TABLE} (rowid, heading, body) VALUES (%s, %s, %s)"  # noqa: S608
        cursor.executemany(insert, rows)


def search(question: str, *, bot_id: int | None, limit: int) -> list[int]:
    terms = query_stems(question)
    if not terms:
        return []
    # Each stem quoted: FTS5 reads it as a plain term, never as an operator.
    match = " OR ".join(f'"{term}"' for term in terms)
    sql = f"""
        SELECT c.id {FROM_SEARCHABLE}
        JOIN {TABLE} ON {TABLE}.rowid = c.id
        WHERE {TABLE} MATCH %s AND {SEARCHABLE}
        ORDER BY bm25({TABLE}, {HEADING_WEIGHT}, {BODY_WEIGHT}), c.id
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, bot_id, limit])
        return [row[0] for row in cursor.fetchall()]
