"""The block structure of Markdown: fenced code, quotes, tables, headings, rules, bullets, lines.

Each block becomes an (HTML, plain text) pair; the lines of text inside them go through the
inline parser. Fenced code is found first, so nothing inside a fence is read as Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.formatting.html import escape, plain_text_of, render_inline
from bot.formatting.inline import Inline, Span, parse_inline

# Wider tables wrap on a phone screen, where a monospace grid is harder to read than text rows.
PRE_TABLE_WIDTH = 40
RULE = "———"

_LANGUAGE = re.compile(r"[\w+#.-]{1,40}")
_FENCE = re.compile(r"([ \t]*)(`{3,}|~{3,})(.*)")
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]+(\S.*?)(?:[ \t]+#+)?[ \t]*")
_RULE_LINE = re.compile(r"[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*")
_BULLET = re.compile(r"([ \t]*)[-*+][ \t]+(.*)")
_QUOTE = re.compile(r"[ \t]{0,3}(?:>[ \t]?)+")
_SEPARATOR_CELL = re.compile(r":?-+:?")
_CELL_BORDER = re.compile(r"(?<!\\)\|")


def render_markdown(text: str) -> tuple[str, str]:
    """Both renderings of ``\\n``-separated Markdown from one parse: HTML and plain text."""
    blocks: list[tuple[str, str]] = []
    for segment in segments(text.split("\n")):
        if isinstance(segment, Fenced):
            blocks.append(_code_block(segment))
        else:
            blocks.extend(_text_blocks(segment))
    return _one_per_line(blocks)


def _one_per_line(blocks: list[tuple[str, str]]) -> tuple[str, str]:
    """(HTML, plain) pairs joined line by line, each rendering with its own kind."""
    return "\n".join(html for html, _ in blocks), "\n".join(plain for _, plain in blocks)


# ---------------------------------------------------------------------------------------------
# Fenced code


@dataclass(frozen=True)
class Fenced:
    """A fenced code block as written: its opening line, body lines and closing line if any."""

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


def segments(lines: list[str]) -> list[Fenced | list[str]]:
    """Group lines into fenced code blocks and runs of ordinary lines between them.

    Fences may be indented (LLMs indent them inside list items); a fence left open runs to the end.
    """
    found: list[Fenced | list[str]] = []
    run: list[str] = []
    index = 0
    while index < len(lines):
        match = _opening_fence(lines[index])
        if match is None:
            run.append(lines[index])
            index += 1
            continue
        if run:
            found.append(run)
            run = []
        end = index + 1
        while end < len(lines) and not _closes(lines[end], match[2]):
            end += 1
        closer = lines[end] if end < len(lines) else None
        body = tuple(lines[index + 1 : end])
        found.append(Fenced(lines[index], match[1], match[2], match[3].strip(), body, closer))
        index = end + 1
    if run:
        found.append(run)
    return found


def _code_block(fenced: Fenced) -> tuple[str, str]:
    width = len(fenced.indent)
    lines = [re.sub(rf"^[ \t]{{0,{width}}}", "", line) for line in fenced.body]
    if _LANGUAGE.fullmatch(fenced.info):
        code = "\n".join(lines)
        language = escape(fenced.info, quote=True)
        html = f'<pre><code class="language-{language}">{escape(code)}</code></pre>'
    else:
        # An info string that is not a language name is kept as text, not dropped silently.
        code = "\n".join([fenced.info, *lines] if fenced.info else lines)
        html = f"<pre>{escape(code)}</pre>"
    return html, code


# ---------------------------------------------------------------------------------------------
# Quotes, headings, rules, bullets and plain lines


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
            blocks.append(render_inline(_line(lines[index])))
        index = end
    return blocks


def _quote(lines: list[str]) -> tuple[str, str]:
    html, plain = _one_per_line(
        [render_inline(_line(_QUOTE.sub("", line, count=1))) for line in lines]
    )
    return f"<blockquote>{html}</blockquote>", plain


def _line(line: str) -> list[Inline]:
    """One line outside code: heading, rule, bullet or ordinary text, as inline nodes."""
    if heading := _HEADING.fullmatch(line):
        return [Span("b", tuple(parse_inline(heading[1])))]
    if _RULE_LINE.fullmatch(line):
        return [RULE]
    if bullet := _BULLET.fullmatch(line):
        return [f"{bullet[1]}• ", *parse_inline(bullet[2])]
    return parse_inline(line)


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
    table = [[parse_inline(cell) for cell in _cells(line)] for line in [header, *rows]]
    columns = max(len(row) for row in table)
    table = [row + [[] for _ in range(columns - len(row))] for row in table]
    texts = [[plain_text_of(cell) for cell in row] for row in table]
    widths = [max(len(row[column]) for row in texts) for column in range(columns)]
    if sum(widths) + 3 * (columns - 1) <= PRE_TABLE_WIDTH:
        grid = [_grid_row(row, widths) for row in texts]
        grid.insert(1, "-+-".join("-" * width for width in widths))
        text = "\n".join(grid)
        return f"<pre>{escape(text)}</pre>", text
    lines = [_joined(row) for row in table]
    lines[0] = [Span("b", tuple(lines[0]))]
    return _one_per_line([render_inline(line) for line in lines])


def _grid_row(cells: list[str], widths: list[int]) -> str:
    """Cells padded to their column, without a dangling separator for missing trailing cells."""
    filled = len(cells)
    while filled and not cells[filled - 1]:
        filled -= 1
    padded = [
        cell.ljust(width) for cell, width in zip(cells[:filled], widths[:filled], strict=True)
    ]
    return " | ".join(padded).rstrip()


def _joined(cells: list[list[Inline]]) -> list[Inline]:
    nodes: list[Inline] = []
    for position, cell in enumerate(cells):
        nodes.extend([" | "] if position else [])
        nodes.extend(cell)
    return nodes
