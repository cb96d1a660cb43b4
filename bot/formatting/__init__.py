"""Turn an LLM's Markdown answer into Telegram messages that never fail on formatting.

Telegram's HTML parse mode rejects a whole message for one stray ``<`` or one unclosed tag, while
LLM Markdown is loose: unclosed ``**``, ``snake_case`` words, ``2*3*4``, fences left open when the
stream stops. So the converter parses leniently, keeps every unmatched marker as literal text,
escapes everything it did not produce itself and only emits the tags Telegram knows, properly
nested (it builds a tree and then writes tags from it, so crossing markers cannot cross tags).

What is understood, and what Telegram shows for it:

* ``**bold**`` / ``__bold__``, ``*italic*`` / ``_italic_``, ``***both***``, ``~~struck~~``;
  ``\\*`` and other backslash escapes stay literal;
* inline code in backticks (a longer run may hold a backtick), and fenced code blocks (three or
  more backticks or tildes, also indented or left open) with their language when it is one;
* links ``[text](address)`` to http(s), ``tg://`` and ``mailto:`` only; bare addresses are kept
  whole, so their ``_`` and ``*`` are not emphasis;
* headings as bold lines, bullets as ``•``, numbered lists as they are, rules as ``———``,
  ``>`` quotes as one ``<blockquote>``;
* tables as an aligned monospace grid when narrow, else one line per row with a bold header.

A long answer is cut on Markdown boundaries before conversion (see ``split``), so every part is
valid on its own. Each part also comes as plain text, the fallback for the rare HTML Telegram
still rejects.

Modules: ``blocks`` (block structure), ``inline`` (inline nodes), ``html`` (writing nodes as
HTML and plain text), ``split`` (the length limit); this one puts them together. Pure Python on
purpose: no Telegram or Django imports, so the rules are tested without a bot or a database.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.formatting.blocks import render_markdown
from bot.formatting.split import split_markdown, utf16_length

TELEGRAM_LIMIT = 4096
# Below this a part cannot hold one escaped character plus the tags around it.
MIN_LIMIT = 64


@dataclass(frozen=True)
class TelegramPart:
    """One message to send: HTML for ``parse_mode=HTML`` and the same part as plain text.

    The plain text is the fallback if Telegram still answers "can't parse entities".
    """

    html: str
    plain: str


def render_for_telegram(text: str, limit: int = TELEGRAM_LIMIT) -> list[TelegramPart]:
    """Split and convert an answer; both forms of every part fit in ``limit`` UTF-16 units.

    Telegram counts message length in UTF-16 code units, so an emoji counts twice.
    Whitespace-only input gives an empty list: the caller decides what an empty answer means.
    """
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT}, got {limit}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chunks = split_markdown(text, limit, _rendered_size)
    return [part for chunk in chunks for part in _render(chunk, limit)]


def _rendered_size(piece: str) -> int:
    html, plain = render_markdown(piece)
    return max(utf16_length(html), utf16_length(plain))


def _render(chunk: str, limit: int) -> list[TelegramPart]:
    """One part, or several when escaping made the HTML of the chunk too long."""
    html, plain = render_markdown(chunk)
    if not plain.strip():
        return []
    size = max(utf16_length(html), utf16_length(plain))
    if size <= limit:
        return [TelegramPart(html=html, plain=plain)]
    # Aim a little under the limit, as markup does not grow evenly over the text. The smaller
    # limit is always below the chunk's own length, so the recursion ends.
    smaller = max(2, limit * utf16_length(chunk) * 9 // (size * 10))
    return [part for piece in split_markdown(chunk, smaller) for part in _render(piece, limit)]
