"""Splitting a document's text into passages the search finds and the model reads.

A passage stays within one section (the text under a heading) and is a few hundred tokens:
long enough to hold an answer with its context, short enough that several fit in a request.
Paragraphs are kept whole where they fit; a long one is cut at sentences, and a passage that
follows another in the same section repeats the end of it, so an answer that falls on the
border is found whole in one of them. Each passage keeps the path of headings above it
("Prices › Haircuts"), which tells the search and the model what it is about.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from assistant.context import estimate_tokens

#: The size a passage grows to before a new one starts.
PASSAGE_TOKENS = 300
#: How much of a passage's end the next one in the same section repeats (at most).
OVERLAP_TOKENS = 60
HEADING_SEPARATOR = " › "

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?…;:])\s+")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


@dataclass(frozen=True)
class Piece:
    """A passage before it is stored: what `Chunk` keeps of it."""

    heading: str
    text: str
    language: str

    @property
    def content_hash(self) -> str:
        return content_hash(self.heading, self.text)


def content_hash(heading: str, text: str) -> str:
    return hashlib.sha256(f"{heading}\n{text}".encode()).hexdigest()


def language_of(text: str) -> str:
    """ "ru" for text mostly in Cyrillic letters, else "en"."""
    return "ru" if len(_CYRILLIC.findall(text)) > len(_LATIN.findall(text)) else "en"


def split_text(text: str, *, language: str = "") -> list[Piece]:
    """The passages of a document's text; `language` empty: told by each passage's letters."""
    pieces = []
    for heading, paragraphs in _sections(text):
        for passage in _passages(_units(paragraphs)):
            pieces.append(Piece(heading, passage, language or language_of(heading + passage)))
    return pieces


def _sections(text: str) -> list[tuple[str, list[str]]]:
    """(heading path, paragraphs) of each section with text, in order."""
    sections: list[tuple[str, list[str]]] = []
    path: list[tuple[int, str]] = []
    paragraph: list[str] = []
    paragraphs: list[str] = []

    def end_paragraph():
        if paragraph:
            paragraphs.append(" ".join(paragraph))
            paragraph.clear()

    def end_section():
        end_paragraph()
        if paragraphs:
            heading = HEADING_SEPARATOR.join(title for _level, title in path)
            sections.append((heading, list(paragraphs)))
            paragraphs.clear()

    for line in text.splitlines():
        heading = _HEADING.match(line.strip())
        if heading:
            end_section()
            level = len(heading.group(1))
            path = [(lvl, title) for lvl, title in path if lvl < level]
            path.append((level, heading.group(2)))
        elif line.strip():
            paragraph.append(line.strip())
        else:
            end_paragraph()
    end_section()
    return sections


def _units(paragraphs: list[str]) -> list[str]:
    """Paragraphs, the long ones cut into sentences (and an endless sentence into words)."""
    units = []
    for paragraph in paragraphs:
        if estimate_tokens(paragraph) <= PASSAGE_TOKENS:
            units.append(paragraph)
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            units.extend(_cut_words(sentence))
    return units


def _cut_words(sentence: str) -> list[str]:
    if estimate_tokens(sentence) <= PASSAGE_TOKENS:
        return [sentence]
    parts, words = [], []
    for word in sentence.split():
        if words and estimate_tokens(" ".join([*words, word])) > PASSAGE_TOKENS:
            parts.append(" ".join(words))
            words = []
        words.append(word)
    return [*parts, " ".join(words)]


def _passages(units: list[str]) -> list[str]:
    """Units packed into passages up to PASSAGE_TOKENS, each after the first starting with
    the last units of the one before (up to OVERLAP_TOKENS)."""
    passages: list[str] = []
    current: list[str] = []
    fresh = 0  # units in `current` not repeated from the passage before
    for unit in units:
        if fresh and estimate_tokens("\n\n".join([*current, unit])) > PASSAGE_TOKENS:
            passages.append("\n\n".join(current))
            current = _overlap(current)
            fresh = 0
        current.append(unit)
        fresh += 1
    passages.append("\n\n".join(current))  # a section has at least one unit
    return passages


def _overlap(units: list[str]) -> list[str]:
    kept: list[str] = []
    for unit in reversed(units[1:]):
        if estimate_tokens("\n\n".join([unit, *kept])) > OVERLAP_TOKENS:
            break
        kept.insert(0, unit)
    return kept
