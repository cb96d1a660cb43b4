"""Inline Markdown in one line (code spans, links, bare addresses, emphasis) as a tree of nodes.

LLM Markdown is loose, so the parser is lenient: a marker that finds no partner stays literal
text, and emphasis only pairs whole runs of the same length. The result is always a proper tree,
so the HTML written from it cannot have crossing tags.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Emphasis openers waiting for a closer in one line; more would only deepen the tree towards
# Python's recursion limit (Telegram shows just b, i and s anyway).
_MAX_OPENERS = 32

_ALLOWED_SCHEMES = re.compile(r"(?:https?://[^\s/?#]+|tg://\S|mailto:[^\s@]+@\S)", re.IGNORECASE)
_LINK = re.compile(r"\[((?:[^\[\]\\\n]|\\.)*)\]\(([^\s()]*(?:\([^\s()]*\)[^\s()]*)*)\)")
# Bare addresses are taken whole, so a `_` or `*` inside one never starts emphasis.
_BARE_URL = re.compile(r"https?://[^\s<>`]*[^\s<>`.,;:!?'\")\]*_~]")
_ORDINARY_TEXT = re.compile(r"(?:[^\\`\[*_~h]|h(?!ttps?://))+")
_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_EMPHASIS = {
    ("*", 1): "i",
    ("_", 1): "i",
    ("*", 2): "b",
    ("_", 2): "b",
    ("*", 3): "bi",
    ("_", 3): "bi",
    ("~", 2): "s",
}


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Span:
    tag: str
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Link:
    href: str
    children: tuple[Inline, ...]


Inline = str | Code | Span | Link


@dataclass(frozen=True)
class _Delimiter:
    """A run of ``*``, ``_`` or ``~``, and whether it may open or close emphasis."""

    text: str
    can_open: bool
    can_close: bool


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def _delimiter(line: str, start: int, end: int) -> _Delimiter:
    """CommonMark's flanking rules; a single ``*`` also gets ``_``'s rule, so 2*3*4 stays."""
    text = line[start:end]
    before = line[start - 1] if start else " "
    after = line[end] if end < len(line) else " "
    left = not after.isspace() and (
        not _is_punctuation(after) or before.isspace() or _is_punctuation(before)
    )
    right = not before.isspace() and (
        not _is_punctuation(before) or after.isspace() or _is_punctuation(after)
    )
    if text[0] == "_" or text == "*":
        can_open = left and (not right or _is_punctuation(before))
        can_close = right and (not left or _is_punctuation(after))
        return _Delimiter(text, can_open, can_close)
    return _Delimiter(text, left, right)


def _run_end(line: str, start: int) -> int:
    end = start
    while end < len(line) and line[end] == line[start]:
        end += 1
    return end


def _code_span(line: str, start: int) -> tuple[Inline, int]:
    """A backtick run opens code closed by a run of the same length, else stays literal."""
    end = _run_end(line, start)
    ticks = end - start
    closing = re.compile(rf"(?<!`)`{{{ticks}}}(?!`)").search(line, end)
    if closing is None:
        return line[start:end], end
    code = line[end : closing.start()]
    if code.startswith(" ") and code.endswith(" ") and code.strip():
        code = code[1:-1]
    return Code(code), closing.end()


def _link(line: str, start: int) -> tuple[Inline, int] | None:
    match = _LINK.match(line, start)
    if match is None or not _ALLOWED_SCHEMES.match(match[2]):
        return None
    children = parse_inline(match[1], links=False) if match[1].strip() else [match[2]]
    return Link(match[2], tuple(children)), match.end()


def _tokens(line: str, links: bool) -> list[Inline | _Delimiter]:
    tokens: list[Inline | _Delimiter] = []
    index = 0
    while index < len(line):
        char = line[index]
        token: Inline | _Delimiter
        if char == "\\" and line[index + 1 : index + 2] in _ESCAPABLE:
            token, index = line[index + 1], index + 2
        elif char == "`":
            token, index = _code_span(line, index)
        elif char == "[" and links and (found := _link(line, index)):
            token, index = found
        elif char in "*_~":
            end = _run_end(line, index)
            token, index = _delimiter(line, index, end), end
        elif char == "h" and (url := _BARE_URL.match(line, index)):
            token, index = url[0], url.end()
        elif ordinary := _ORDINARY_TEXT.match(line, index):
            token, index = ordinary[0], ordinary.end()
        else:
            token, index = char, index + 1
        tokens.append(token)
    return tokens


def _literal(items: list[Inline | _Delimiter]) -> list[Inline]:
    return [item.text if isinstance(item, _Delimiter) else item for item in items]


def _wrap(tag: str, children: list[Inline]) -> Span:
    if tag == "bi":
        return Span("b", (Span("i", tuple(children)),))
    return Span(tag, tuple(children))


def parse_inline(line: str, links: bool = True) -> list[Inline]:
    """Match emphasis closers to the nearest opener of the same run; the rest stays literal.

    Matching only whole runs of equal length is stricter than CommonMark but predictable, and an
    opener left inside a matched pair turns literal, so the result is always a proper tree.
    """
    out: list[Inline | _Delimiter] = []
    openers: list[int] = []
    for token in _tokens(line, links):
        if not isinstance(token, _Delimiter):
            out.append(token)
            continue
        tag = _EMPHASIS.get((token.text[0], len(token.text)))
        opener = _matching_opener(out, openers, token.text) if token.can_close else None
        if tag and opener is not None:
            start = openers[opener]
            children = _literal(out[start + 1 :])
            del out[start:], openers[opener:]
            out.append(_wrap(tag, children))
        elif tag and token.can_open:
            # Nesting is never deeper than the openers waiting at once, so capping them keeps
            # the tree shallow; the oldest is the one least likely to be closed.
            del openers[: len(openers) - _MAX_OPENERS + 1]
            openers.append(len(out))
            out.append(token)
        else:
            out.append(token.text)
    return _literal(out)


def _matching_opener(out: list, openers: list[int], text: str) -> int | None:
    for position in range(len(openers) - 1, -1, -1):
        if out[openers[position]].text == text:
            return position
    return None
