"""Vectors of the passages and the questions, when the registry has an embedding model.

Vectors are optional: without a model, or while its provider fails, the knowledge base is
searched by words alone. A passage's vector is stored with it (`Chunk.vector`, with the model
that made it); a passage whose vector is missing or from another model gets one at the next
indexing look (`knowledge.indexing.fill_missing_vectors`).

The vectors are compared here, in Python (cosine similarity), not in the database: pgvector is
not used. A vector is fixed by its passage, model and text, so the vectors read once are kept
in memory under (id, model, content hash) and each question reads only the new ones. Comparing
is linear in the passages (see docs/knowledge.md for the numbers).
"""

from __future__ import annotations

import math

from django.db import connection

from knowledge.models import Chunk
from knowledge.search.scope import FROM_SEARCHABLE, SEARCHABLE

#: Passages sent to the provider per request.
BATCH = 32
#: Below this cosine similarity a passage is not about the question.
MIN_SIMILARITY = 0.3
#: Reciprocal rank fusion's constant: how much the first places outweigh the next ones.
RRF_K = 60

#: (chunk id, model, content hash) -> unit vector; see the module docstring.
_unit_vectors: dict[tuple[int, str, str], list[float]] = {}
#: How many vectors of passages no longer searched the memory may hold before it is cleared.
CACHE_SLACK = 1000


def embedding_input(heading: str, text: str) -> str:
    """What a passage's vector is made of: its headings say what the text is about."""
    return f"{heading}\n{text}" if heading else text


def unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(math.fsum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


def nearest(vector: list[float], *, model: str, bot_id: int | None, limit: int) -> list[int]:
    """The ids of the bot's passages most similar to `vector`, best first, above
    MIN_SIMILARITY."""
    keys = _searchable_keys(model, bot_id)
    _load_missing(keys, model)
    question = unit(vector)
    scored = []
    for key in keys:
        stored = _unit_vectors.get(key)  # None: deleted since the keys were read
        similarity = sum(map(float.__mul__, question, stored)) if stored else 0.0
        if similarity >= MIN_SIMILARITY:
            scored.append((-similarity, key[0]))
    scored.sort()
    return [chunk_id for _similarity, chunk_id in scored[:limit]]


def _searchable_keys(model: str, bot_id: int | None) -> list[tuple[int, str, str]]:
    sql = f"""
        SELECT c.id, c.vector_model, c.content_hash {FROM_SEARCHABLE}
        WHERE c.vector_model = %s AND {SEARCHABLE}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [model, bot_id])
        return [tuple(row) for row in cursor.fetchall()]


def _load_missing(keys: list[tuple[int, str, str]], model: str) -> None:
    missing = [key for key in keys if key not in _unit_vectors]
    if len(_unit_vectors) + len(missing) > 2 * len(keys) + CACHE_SLACK:
        _unit_vectors.clear()  # mostly passages since deleted: read the current ones again
        missing = keys
    ids = [chunk_id for chunk_id, _model, _hash in missing]
    for start in range(0, len(ids), 1000):
        rows = Chunk.objects.filter(pk__in=ids[start : start + 1000], vector_model=model)
        for chunk_id, content_hash, stored in rows.values_list("pk", "content_hash", "vector"):
            _unit_vectors[(chunk_id, model, content_hash)] = unit([float(v) for v in stored])


def fuse(*rankings: list[int]) -> list[int]:
    """Reciprocal rank fusion: each ranking gives a passage 1 / (RRF_K + its place); the
    sums order the result (ties: the first ranking's order)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for place, chunk_id in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + place)
    return sorted(scores, key=lambda chunk_id: -scores[chunk_id])
