"""Whether two questions ask the same, told by their words' stems: "Сколько стоит стрижка?"
and "сколько стоит стрижку" are one question; a different question shares too few stems.

Each word is stemmed by its letters' language (Cyrillic: Russian, else English), so a mixed
question needs no language given. The stems of two questions are compared as sets (Jaccard).
"""

from __future__ import annotations

import re

import snowballstemmer

#: The share of stems two questions must have in common to be one question.
SAME_QUESTION = 0.8

_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[а-я]")


def stems(text: str) -> frozenset[str]:
    """The stems of the words of `text`, lowercase, without punctuation."""
    # A stemmer keeps state while it works: one per call, as threads share this module.
    russian, english = snowballstemmer.stemmer("russian"), snowballstemmer.stemmer("english")
    words = _WORD.findall(text.lower().replace("ё", "е"))
    return frozenset(
        (russian if _CYRILLIC.search(word) else english).stemWord(word) for word in words
    )


def likeness(first: frozenset[str], second: frozenset[str]) -> float:
    """The share of stems two questions have in common (0 when either has none)."""
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def same_question(first: frozenset[str], second: frozenset[str]) -> bool:
    return likeness(first, second) >= SAME_QUESTION
