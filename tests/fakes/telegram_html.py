"""The Bot API's HTML parse mode, checked the way Telegram's parser rejects text.

Modelled on tdlib's ``parse_html``: a ``<`` always opens a tag (so ``1 < 2`` is an error, as in
Telegram), only the documented tags are allowed, tags must nest, and an ``&`` that starts no known
entity stays literal. Error wording follows Telegram's ("Unsupported start tag", "Can't find end
tag corresponding to start tag"), offsets are UTF-8 byte offsets like Telegram's.
"""

import html
import re

_ALLOWED = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([^\s>/]*)([^>]*)>")
_ATTR = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _attributes(raw: str) -> dict:
    return {m[1].lower(): m[2] or m[3] or m[4] or "" for m in _ATTR.finditer(raw)}


def _start_tag_error(name: str, attrs: dict, offset: int) -> str | None:
    if name not in _ALLOWED:
        return f'Unsupported start tag "{name}" at byte offset {offset}'
    if name == "span" and attrs.get("class") != "tg-spoiler":
        return 'Tag "span" must have class "tg-spoiler"'
    if name == "tg-emoji" and not attrs.get("emoji-id"):
        return 'Tag "tg-emoji" must have attribute "emoji-id"'
    return None


def parse_error(text: str) -> str | None:
    """Return Telegram's complaint about ``text`` in HTML mode, or None if it would be accepted."""
    stack: list[str] = []
    position = 0
    while (start := text.find("<", position)) != -1:
        offset = _byte_offset(text, start)
        match = _TAG.match(text, start)
        if match is None:
            return f"Unclosed start tag at byte offset {offset}"
        closing, name, raw_attrs = match[1], match[2].lower(), match[3]
        if closing:
            if not stack:
                return f"Unexpected end tag at byte offset {offset}"
            expected = stack.pop()
            if name != expected:
                return (
                    f'Unmatched end tag at byte offset {offset}, expected "</{expected}>", '
                    f'found "</{name}>"'
                )
        else:
            error = _start_tag_error(name, _attributes(raw_attrs), offset)
            if error:
                return error
            stack.append(name)
        position = match.end()
    if stack:
        return f'Can\'t find end tag corresponding to start tag "{stack[-1]}"'
    return None


def visible_text(text: str) -> str:
    """What the user sees: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", text))
