"""Inline nodes written as Telegram HTML and as plain text, and the escaping Telegram accepts.

Both forms come from the same nodes, so the plain fallback says what the HTML says.
"""

from __future__ import annotations

from bot.formatting.inline import Code, Inline, Link

# Each tag on the path is (tag, href, identity); identity keeps two adjacent links apart.
_Path = tuple[tuple[str, str, int], ...]


def escape(text: str, quote: bool = False) -> str:
    """Telegram knows only &lt; &gt; &amp; &quot; by name, so nothing else is produced."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def render_inline(nodes: list[Inline]) -> tuple[str, str]:
    """The HTML and the plain text of one line's nodes."""
    return _html(nodes), plain_text_of(nodes)


def plain_text_of(nodes: tuple[Inline, ...] | list[Inline]) -> str:
    """The nodes without markup; a link keeps its address in brackets after its text."""
    parts = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(node)
        elif isinstance(node, Code):
            parts.append(node.text)
        elif isinstance(node, Link):
            label = plain_text_of(node.children)
            parts.append(label if label == node.href else f"{label} ({node.href})")
        else:
            parts.append(plain_text_of(node.children))
    return "".join(parts)


def _runs(nodes: tuple[Inline, ...] | list[Inline], path: _Path, out: list) -> None:
    """Flatten the tree into text runs, each with the chain of tags around it.

    Telegram forbids code inside bold/italic/strike/links, so code closes the styles around it
    (inside a link it loses its code style instead), and a style already open is not repeated.
    """
    tags = {tag for tag, _, _ in path}
    for node in nodes:
        if isinstance(node, str):
            out.append((path, node))
        elif isinstance(node, Code):
            out.append((path if "a" in tags else (("code", "", 0),), node.text))
        elif isinstance(node, Link):
            _runs(node.children, (*path, ("a", node.href, id(node))), out)
        elif node.tag in tags:
            _runs(node.children, path, out)
        else:
            _runs(node.children, (*path, (node.tag, "", 0)), out)


def _open_tag(tag: str, href: str) -> str:
    return f'<a href="{escape(href, quote=True)}">' if tag == "a" else f"<{tag}>"


def _retag(current: _Path, path: _Path) -> str:
    """Close the tags of current that path does not share, then open the rest of path."""
    shared = 0
    while shared < min(len(path), len(current)) and path[shared] == current[shared]:
        shared += 1
    closing = "".join(f"</{tag}>" for tag, _, _ in reversed(current[shared:]))
    return closing + "".join(_open_tag(tag, href) for tag, href, _ in path[shared:])


def _html(nodes: list[Inline]) -> str:
    runs: list[tuple[_Path, str]] = []
    _runs(nodes, (), runs)
    html: list[str] = []
    current: _Path = ()
    for path, text in runs:
        if path != current:
            html.append(_retag(current, path))
            current = path
        html.append(escape(text))
    html.append(_retag(current, ()))
    return "".join(html)
