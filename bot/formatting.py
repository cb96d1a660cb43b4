"""Turn an LLM's Markdown answer into Telegram messages that never fail on formatting.

Telegram's HTML parse mode rejects a whole message for one stray ``<`` or one unclosed tag, while
LLM Markdown is loose: unclosed ``**``, ``snake_case`` words, ``2*3*4``, fences left open when the
stream stops. So the converter parses leniently, keeps every unmatched marker as literal text,
escapes everything it did not produce itself and only emits the tags Telegram knows, properly
nested (it builds a tree and then writes tags from it, so crossing markers cannot cross tags).

A long answer is cut on Markdown boundaries (paragraphs, then lines, sentences, words) before
conversion, so every part is valid on its own; a code block is only cut when it alone is too long,
and then each piece is fenced again with the same language.

Pure Python on purpose: no Telegram or Django imports, so the rules are tested without a bot or a
database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

TELEGRAM_LIMIT = 4096
# Below this a part cannot hold one escaped character plus the tags around it.
MIN_LIMIT = 64
# Wider tables wrap on a phone screen, where a monospace grid is harder to read than text rows.
PRE_TABLE_WIDTH = 40
RULE = "———"
# Emphasis openers waiting for a closer in one line; more would only deepen the tree towards
# Python's recursion limit (Telegram shows just b, i and s anyway).
_MAX_OPENERS = 32

_ALLOWED_SCHEMES = re.compile(r"(?:https?://[^\s/?#]+|tg://\S|mailto:[^\s@]+@\S)", re.IGNORECASE)
_LANGUAGE = re.compile(r"[\w+#.-]{1,40}")
_FENCE = re.compile(r"([ \t]*)(`{3,}|~{3,})(.*)")
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]+(\S.*?)(?:[ \t]+#+)?[ \t]*")
_RULE_LINE = re.compile(r"[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*")
_BULLET = re.compile(r"([ \t]*)[-*+][ \t]+(.*)")
_QUOTE = re.compile(r"[ \t]{0,3}(?:>[ \t]?)+")
_SEPARATOR_CELL = re.compile(r":?-+:?")
_CELL_BORDER = re.compile(r"(?<!\\)\|")
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
_BLANK_LINES_AT_START = re.compile(r"\A(?:[ \t]*\n)+")
# Cut points for an oversized piece, coarsest first: paragraphs, lines, sentences, words.
_BOUNDARIES = (
    re.compile(r"\n[ \t]*\n\s*"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…])[ \t]+"),
    re.compile(r"[ \t]+"),
)


@dataclass(frozen=True)
class TelegramPart:
    """One message to send: HTML for ``parse_mode=HTML`` and the same part as plain text.

    The plain text is the fallback if Telegram still answers "can't parse entities".
    """

    html: str
    plain: str


# ---------------------------------------------------------------------------------------------
# Public API


def markdown_to_telegram_html(text: str) -> str:
    """Convert LLM Markdown to Telegram HTML; always valid, never raises."""
    return _convert(text)[0]


def plain_text(text: str) -> str:
    """Markdown stripped to readable plain text (links keep their address in brackets)."""
    return _convert(text)[1]


def split_for_telegram(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split Markdown into non-empty parts of at most ``limit`` UTF-16 code units each.

    Telegram counts message length in UTF-16 code units, so an emoji counts twice.
    """
    _check_limit(limit)
    return _split(_normalize(text), limit)


def render_for_telegram(text: str, limit: int = TELEGRAM_LIMIT) -> list[TelegramPart]:
    """Split and convert an answer; both forms of every part fit in ``limit`` UTF-16 units.

    Whitespace-only input gives an empty list: the caller decides what an empty answer means.
    """
    _check_limit(limit)
    chunks = _split(_normalize(text), limit, _rendered_size)
    return [part for chunk in chunks for part in _render(chunk, limit)]


def _check_limit(limit: int) -> None:
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT}, got {limit}")


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _u16(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP take two UTF-16 units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# ---------------------------------------------------------------------------------------------
# Rendering a part, shrinking it when escaping made the HTML too long


def _render(chunk: str, limit: int) -> list[TelegramPart]:
    html, plain = _convert(chunk)
    if not plain.strip():
        return []
    size = max(_u16(html), _u16(plain))
    if size <= limit:
        return [TelegramPart(html=html, plain=plain)]
    # Aim a little under the limit, as markup does not grow evenly over the text. The smaller
    # limit is always below the chunk's own length, so the recursion ends.
    smaller = max(2, limit * _u16(chunk) * 9 // (size * 10))
    return [part for piece in _split(chunk, smaller) for part in _render(piece, limit)]


# ---------------------------------------------------------------------------------------------
# Blocks: fenced code, then quotes, tables, headings, rules, bullets and plain lines


@dataclass(frozen=True)
class _Fenced:
    opener: str
    indent: str
    fence: str
    info: str
    body: tuple[str, ...]
    closer: str | None

    @property
    def lines(self) -> list[str]:
        closer = [] if self.closer is None else [self.closer]
        return [self.opener, *self.body, *closer]


def _opening_fence(line: str) -> re.Match[str] | None:
    match = _FENCE.fullmatch(line)
    if match and not (match[2][0] == "`" and "`" in match[3]):
        return match
    return None


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(fence) and stripped == fence[0] * len(stripped)


def _segments(lines: list[str]) -> list[_Fenced | list[str]]:
    """Group lines into fenced code blocks and runs of ordinary lines between them.

    Fences may be indented (LLMs indent them inside list items); a fence left open runs to the end.
    """
    segments: list[_Fenced | list[str]] = []
    run: list[str] = []
    index = 0
    while index < len(lines):
        match = _opening_fence(lines[index])
        if match is None:
            run.append(lines[index])
            index += 1
            continue
        if run:
            segments.append(run)
            run = []
        end = index + 1
        while end < len(lines) and not _closes(lines[end], match[2]):
            end += 1
        closer = lines[end] if end < len(lines) else None
        body = tuple(lines[index + 1 : end])
        segments.append(_Fenced(lines[index], match[1], match[2], match[3].strip(), body, closer))
        index = end + 1
    if run:
        segments.append(run)
    return segments


def _convert(text: str) -> tuple[str, str]:
    """Both renderings from one parse, so the plain fallback says what the HTML says."""
    blocks: list[tuple[str, str]] = []
    for segment in _segments(_normalize(text).split("\n")):
        if isinstance(segment, _Fenced):
            blocks.append(_code_block(segment))
        else:
            blocks.extend(_text_blocks(segment))
    return "\n".join(html for html, _ in blocks), "\n".join(plain for _, plain in blocks)


def _code_block(fenced: _Fenced) -> tuple[str, str]:
    width = len(fenced.indent)
    lines = [re.sub(rf"^[ \t]{{0,{width}}}", "", line) for line in fenced.body]
    if _LANGUAGE.fullmatch(fenced.info):
        code = "\n".join(lines)
        language = _escape(fenced.info, quote=True)
        html = f'<pre><code class="language-{language}">{_escape(code)}</code></pre>'
    else:
        # An info string that is not a language name is kept as text, not dropped silently.
        code = "\n".join([fenced.info, *lines] if fenced.info else lines)
        html = f"<pre>{_escape(code)}</pre>"
    return html, code


def _text_blocks(lines: list[str]) -> list[tuple[str, str]]:
    blocks = []
    index = 0
    while index < len(lines):
        end = index + 1
        if _QUOTE.match(lines[index]):
            while end < len(lines) and _QUOTE.match(lines[end]):
                end += 1
            blocks.append(_quote(lines[index:end]))
        elif "|" in lines[index] and end < len(lines) and _is_separator(lines[end]):
            end += 1
            while end < len(lines) and "|" in lines[end]:
                end += 1
            blocks.append(_table(lines[index], lines[index + 2 : end]))
        else:
            blocks.append(_render_inline(_line(lines[index])))
        index = end
    return blocks


def _quote(lines: list[str]) -> tuple[str, str]:
    rendered = [_render_inline(_line(_QUOTE.sub("", line, count=1))) for line in lines]
    html = "\n".join(html for html, _ in rendered)
    return f"<blockquote>{html}</blockquote>", "\n".join(plain for _, plain in rendered)


def _line(line: str) -> list[_Inline]:
    """One line outside code: heading, rule, bullet or ordinary text, as inline nodes."""
    if heading := _HEADING.fullmatch(line):
        return [_Span("b", tuple(_inline(heading[1])))]
    if _RULE_LINE.fullmatch(line):
        return [RULE]
    if bullet := _BULLET.fullmatch(line):
        return [f"{bullet[1]}• ", *_inline(bullet[2])]
    return _inline(line)


# ---------------------------------------------------------------------------------------------
# Tables


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body.removeprefix("|")
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip() for cell in _CELL_BORDER.split(body)]


def _is_separator(line: str) -> bool:
    return "|" in line and all(_SEPARATOR_CELL.fullmatch(cell) for cell in _cells(line))


def _table(header: str, rows: list[str]) -> tuple[str, str]:
    """A narrow table becomes an aligned monospace grid; a wide one, one line per row."""
    table = [[_inline(cell) for cell in _cells(line)] for line in [header, *rows]]
    columns = max(len(row) for row in table)
    table = [row + [[] for _ in range(columns - len(row))] for row in table]
    texts = [[_plain(cell) for cell in row] for row in table]
    widths = [max(len(row[column]) for row in texts) for column in range(columns)]
    if sum(widths) + 3 * (columns - 1) <= PRE_TABLE_WIDTH:
        grid = [_grid_row(row, widths) for row in texts]
        grid.insert(1, "-+-".join("-" * width for width in widths))
        text = "\n".join(grid)
        return f"<pre>{_escape(text)}</pre>", text
    lines = [_joined(row) for row in table]
    lines[0] = [_Span("b", tuple(lines[0]))]
    rendered = [_render_inline(line) for line in lines]
    return "\n".join(html for html, _ in rendered), "\n".join(plain for _, plain in rendered)


def _grid_row(cells: list[str], widths: list[int]) -> str:
    """Cells padded to their column, without a dangling separator for missing trailing cells."""
    filled = len(cells)
    while filled and not cells[filled - 1]:
        filled -= 1
    padded = [
        cell.ljust(width) for cell, width in zip(cells[:filled], widths[:filled], strict=True)
    ]
    return " | ".join(padded).rstrip()


def _joined(cells: list[list[_Inline]]) -> list[_Inline]:
    nodes: list[_Inline] = []
    for position, cell in enumerate(cells):
        nodes.extend([" | "] if position else [])
        nodes.extend(cell)
    return nodes


# ---------------------------------------------------------------------------------------------
# Inline Markdown: code spans, links, emphasis


@dataclass(frozen=True)
class _Code:
    text: str


@dataclass(frozen=True)
class _Span:
    tag: str
    children: tuple[_Inline, ...]


@dataclass(frozen=True)
class _Link:
    href: str
    children: tuple[_Inline, ...]


_Inline = str | _Code | _Span | _Link


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


def _code_span(line: str, start: int) -> tuple[_Inline, int]:
    """A backtick run opens code closed by a run of the same length, else stays literal."""
    end = _run_end(line, start)
    ticks = end - start
    closing = re.compile(rf"(?<!`)`{{{ticks}}}(?!`)").search(line, end)
    if closing is None:
        return line[start:end], end
    code = line[end : closing.start()]
    if code.startswith(" ") and code.endswith(" ") and code.strip():
        code = code[1:-1]
    return _Code(code), closing.end()


def _link(line: str, start: int) -> tuple[_Inline, int] | None:
    match = _LINK.match(line, start)
    if match is None or not _ALLOWED_SCHEMES.match(match[2]):
        return None
    children = _inline(match[1], links=False) if match[1].strip() else [match[2]]
    return _Link(match[2], tuple(children)), match.end()


def _tokens(line: str, links: bool) -> list[_Inline | _Delimiter]:
    tokens: list[_Inline | _Delimiter] = []
    index = 0
    while index < len(line):
        char = line[index]
        token: _Inline | _Delimiter
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


def _literal(items: list[_Inline | _Delimiter]) -> list[_Inline]:
    return [item.text if isinstance(item, _Delimiter) else item for item in items]


def _wrap(tag: str, children: list[_Inline]) -> _Span:
    if tag == "bi":
        return _Span("b", (_Span("i", tuple(children)),))
    return _Span(tag, tuple(children))


def _inline(line: str, links: bool = True) -> list[_Inline]:
    """Match emphasis closers to the nearest opener of the same run; the rest stays literal.

    Matching only whole runs of equal length is stricter than CommonMark but predictable, and an
    opener left inside a matched pair turns literal, so the result is always a proper tree.
    """
    out: list[_Inline | _Delimiter] = []
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


# ---------------------------------------------------------------------------------------------
# Writing inline nodes as Telegram HTML and as plain text

# Each tag on the path is (tag, href, identity); identity keeps two adjacent links apart.
_Path = tuple[tuple[str, str, int], ...]


def _runs(nodes: tuple[_Inline, ...] | list[_Inline], path: _Path, out: list) -> None:
    """Flatten the tree into text runs, each with the chain of tags around it.

    Telegram forbids code inside bold/italic/strike/links, so code closes the styles around it
    (inside a link it loses its code style instead), and a style already open is not repeated.
    """
    tags = {tag for tag, _, _ in path}
    for node in nodes:
        if isinstance(node, str):
            out.append((path, node))
        elif isinstance(node, _Code):
            out.append((path if "a" in tags else (("code", "", 0),), node.text))
        elif isinstance(node, _Link):
            _runs(node.children, (*path, ("a", node.href, id(node))), out)
        elif node.tag in tags:
            _runs(node.children, path, out)
        else:
            _runs(node.children, (*path, (node.tag, "", 0)), out)


def _open_tag(tag: str, href: str) -> str:
    return f'<a href="{_escape(href, quote=True)}">' if tag == "a" else f"<{tag}>"


def _retag(current: _Path, path: _Path) -> str:
    """Close the tags of current that path does not share, then open the rest of path."""
    shared = 0
    while shared < min(len(path), len(current)) and path[shared] == current[shared]:
        shared += 1
    closing = "".join(f"</{tag}>" for tag, _, _ in reversed(current[shared:]))
    return closing + "".join(_open_tag(tag, href) for tag, href, _ in path[shared:])


def _html(nodes: list[_Inline]) -> str:
    runs: list[tuple[_Path, str]] = []
    _runs(nodes, (), runs)
    html: list[str] = []
    current: _Path = ()
    for path, text in runs:
        if path != current:
            html.append(_retag(current, path))
            current = path
        html.append(_escape(text))
    html.append(_retag(current, ()))
    return "".join(html)


def _plain(nodes: tuple[_Inline, ...] | list[_Inline]) -> str:
    parts = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(node)
        elif isinstance(node, _Code):
            parts.append(node.text)
        elif isinstance(node, _Link):
            label = _plain(node.children)
            parts.append(label if label == node.href else f"{label} ({node.href})")
        else:
            parts.append(_plain(node.children))
    return "".join(parts)


def _render_inline(nodes: list[_Inline]) -> tuple[str, str]:
    return _html(nodes), _plain(nodes)


def _escape(text: str, quote: bool = False) -> str:
    """Telegram knows only &lt; &gt; &amp; &quot; by name, so nothing else is produced."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


# ---------------------------------------------------------------------------------------------
# Splitting Markdown source


def _trim(part: str) -> str:
    """Drop blank lines before and whitespace after a part; first-line indentation stays."""
    return _BLANK_LINES_AT_START.sub("", part, count=1).rstrip()


# A splitter cuts one piece that is too long alone, given a limit in source units.
_Splitter = Callable[[str, int], list[str]]


def _pack(
    items: list[tuple[str, _Splitter]], limit: int, size: Callable[[str], int] = _u16
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
        whole, source = size(piece), _u16(piece)
        trimmed = whole - (source - _u16(piece.rstrip()))
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


def _rendered_size(piece: str) -> int:
    html, plain = _convert(piece)
    return max(_u16(html), _u16(plain))


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


def _split(text: str, limit: int, size: Callable[[str], int] = _u16) -> list[str]:
    """Paragraphs and whole code blocks are the units; ``size`` measures them (see _pack)."""
    items: list[tuple[str, _Splitter]] = []
    segments = _segments(text.split("\n"))
    paragraph_split = partial(_split_text, level=1)
    for position, segment in enumerate(segments):
        newline = "\n" if position < len(segments) - 1 else ""
        if isinstance(segment, _Fenced):
            block = "\n".join(segment.lines) + newline
            items.append((block, partial(_split_fence, segment)))
        else:
            text_run = "\n".join(segment) + newline
            items.extend((piece, paragraph_split) for piece in _pieces(text_run, _BOUNDARIES[0]))
    return _pack(items, limit, size)


def _split_fence(fenced: _Fenced, _block: str, limit: int) -> list[str]:
    """Cut a code block on line boundaries into blocks that each reopen the same fence."""
    closer = fenced.indent + fenced.fence
    budget = limit - _u16(fenced.opener) - _u16(closer) - 2
    if budget < 1:
        return _split_text("\n".join(fenced.lines), limit, level=1)
    chunks = _pack([(line + "\n", _hard_cut) for line in fenced.body], budget)
    return [f"{fenced.opener}\n{chunk}\n{closer}" for chunk in chunks]


def _hard_cut(text: str, limit: int) -> list[str]:
    parts = []
    while _u16(text) > limit:
        cut = _cut_index(text, limit)
        parts.append(text[:cut])
        text = text[cut:]
    parts.append(text)
    return parts


def _cut_index(text: str, limit: int) -> int:
    """The longest prefix within limit, moved back so no emoji or accented letter is torn."""
    index = size = 0
    while size + _u16(text[index]) <= limit:
        size += _u16(text[index])
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
