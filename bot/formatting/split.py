"""Cutting Markdown into parts within Telegram's length limit, counted in UTF-16 units.

The cuts fall on Markdown boundaries (paragraphs, then lines, sentences, words) before
conversion, so every part is valid on its own; a code block is only cut when it alone is too
long, and then each piece is fenced again with the same language. Only a word longer than a
whole part is cut inside, and never through an emoji, a flag or an accented letter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import partial

from bot.formatting.blocks import Fenced, segments

_BLANK_LINES_AT_START = re.compile(r"\A(?:[ \t]*\n)+")
# Cut points for an oversized piece, coarsest first: paragraphs, lines, sentences, words.
_BOUNDARIES = (
    re.compile(r"\n[ \t]*\n\s*"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…])[ \t]+"),
    re.compile(r"[ \t]+"),
)

# A splitter cuts one piece that is too long alone, given a limit in source units.
_Splitter = Callable[[str, int], list[str]]


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP take two UTF-16 units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def split_markdown(text: str, limit: int, size: Callable[[str], int] = utf16_length) -> list[str]:
    """Non-empty parts of ``\\n``-separated Markdown, each at most ``limit`` by ``size``.

    Paragraphs and whole code blocks are the units; ``size`` measures them (see _pack).
    """
    items: list[tuple[str, _Splitter]] = []
    found = segments(text.split("\n"))
    paragraph_split = partial(_split_text, level=1)
    for position, segment in enumerate(found):
        newline = "\n" if position < len(found) - 1 else ""
        if isinstance(segment, Fenced):
            block = "\n".join(segment.lines) + newline
            items.append((block, partial(_split_fence, segment)))
        else:
            text_run = "\n".join(segment) + newline
            items.extend((piece, paragraph_split) for piece in _pieces(text_run, _BOUNDARIES[0]))
    return _pack(items, limit, size)


def _trim(part: str) -> str:
    """Drop blank lines before and whitespace after a part; first-line indentation stays."""
    return _BLANK_LINES_AT_START.sub("", part, count=1).rstrip()


def _pack(
    items: list[tuple[str, _Splitter]], limit: int, size: Callable[[str], int] = utf16_length
) -> list[str]:
    """Greedily join pieces into parts; a piece too long alone is split by its own splitter.

    Pieces end with their separator, so a part's trimmed size is what it holds so far plus the
    new piece without its trailing whitespace; counting that way keeps packing linear. ``size``
    may measure the rendered piece: a piece's splitter then gets a limit shrunk by that piece's
    own growth, so code full of ``<`` is cut shorter than prose next to it.
    """
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for piece, split_piece in items:
        whole, source = size(piece), utf16_length(piece)
        trimmed = whole - (source - utf16_length(piece.rstrip()))
        if used + trimmed <= limit:
            current.append(piece)
            used += whole
            continue
        parts.append("".join(current))
        current, used = ([piece], whole) if trimmed <= limit else ([], 0)
        if not current:
            parts.extend(split_piece(piece, _source_limit(limit, source, whole)))
    parts.append("".join(current))
    return [trimmed for part in parts if (trimmed := _trim(part))]


def _source_limit(limit: int, source: int, rendered: int) -> int:
    """The limit in source units for a piece that grows when rendered, with 5% to spare."""
    if rendered <= source:
        return limit
    return max(2, limit * source * 19 // (rendered * 20))


def _pieces(text: str, boundary: re.Pattern[str]) -> list[str]:
    """Cut after every boundary match, keeping the separators, so the pieces add up to text."""
    pieces, start = [], 0
    for match in boundary.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return [piece for piece in pieces if piece]


def _split_text(text: str, limit: int, level: int = 0) -> list[str]:
    if level == len(_BOUNDARIES):
        return _hard_cut(text, limit)
    deeper = partial(_split_text, level=level + 1)
    return _pack([(piece, deeper) for piece in _pieces(text, _BOUNDARIES[level])], limit)


def _split_fence(fenced: Fenced, _block: str, limit: int) -> list[str]:
    """Cut a code block on line boundaries into blocks that each reopen the same fence."""
    closer = fenced.indent + fenced.fence
    budget = limit - utf16_length(fenced.opener) - utf16_length(closer) - 2
    if budget < 1:
        return _split_text("\n".join(fenced.lines), limit, level=1)
    chunks = _pack([(line + "\n", _hard_cut) for line in fenced.body], budget)
    return [f"{fenced.opener}\n{chunk}\n{closer}" for chunk in chunks]


def _hard_cut(text: str, limit: int) -> list[str]:
    parts = []
    while utf16_length(text) > limit:
        cut = _cut_index(text, limit)
        parts.append(text[:cut])
        text = text[cut:]
    parts.append(text)
    return parts


def _cut_index(text: str, limit: int) -> int:
    """The longest prefix within limit, moved back so no emoji or accented letter is torn."""
    index = size = 0
    while size + utf16_length(text[index]) <= limit:
        size += utf16_length(text[index])
        index += 1
    safe = index
    while safe > 0 and _joins(text, safe):
        safe -= 1
    return safe or max(index, 1)


def _joins(text: str, index: int) -> bool:
    """Whether text[index - 1] and text[index] belong to one visible character."""
    before, after = text[index - 1], text[index]
    if before == "\u200d" or after in "\u200d\ufe0e\ufe0f\u20e3":
        return True
    if unicodedata.category(after) in ("Mn", "Mc", "Me"):
        return True
    code = ord(after)
    if 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F or 0xDC00 <= code <= 0xDFFF:
        return True
    return _is_regional(after) and _regional_run(text, index) % 2 == 1


def _is_regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _regional_run(text: str, index: int) -> int:
    """How many flag letters end right before index: an odd count means a flag would be torn."""
    count = 0
    while index - count > 0 and _is_regional(text[index - count - 1]):
        count += 1
    return count
