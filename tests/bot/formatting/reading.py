"""How the formatting tests read what `render_for_telegram` gives.

Telegram's HTML rules as its parse mode applies them, the text a reader sees, and lengths in the
UTF-16 units Telegram counts.
"""

import re
from html.parser import HTMLParser

from bot.formatting import render_for_telegram

INLINE_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler"}
TELEGRAM_TAGS = INLINE_TAGS | {"a", "code", "pre", "blockquote"}
ESCAPED_TEXT = re.compile(r"[^<>&]*(?:&(?:lt|gt|amp|quot);[^<>&]*)*")


class TelegramHtml(HTMLParser):
    """Reads HTML the way Telegram's parse mode does and records every rule it would reject.

    The text it collects includes link targets (after the link) and code languages (before the
    code), so a test can check that nothing the model wrote went missing.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.text = []
        self.shown = []
        self.errors = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag not in TELEGRAM_TAGS:
            self.errors.append(f"unsupported tag <{tag}>")
        if any(parent in {"code", "a"} and tag == parent for parent in self.stack):
            self.errors.append(f"<{tag}> inside <{tag}>")
        if tag in {"pre", "blockquote"} and self.stack:
            self.errors.append(f"block <{tag}> inside {self.stack}")
        if "code" in self.stack or (self.stack and self.stack[-1] == "pre" and tag != "code"):
            self.errors.append(f"<{tag}> inside code")
        self.check_attributes(tag, attributes)
        if tag == "code" and "class" in attributes:
            self.text.append(attributes["class"].removeprefix("language-") + " ")
        self.stack.append((tag, attributes.get("href")) if tag == "a" else tag)

    def check_attributes(self, tag, attributes):
        allowed = {"a": {"href"}, "code": {"class"}}.get(tag, set())
        if set(attributes) - allowed:
            self.errors.append(f"attributes {attributes} on <{tag}>")
        if tag == "code" and attributes and (not self.stack or self.stack[-1] != "pre"):
            self.errors.append("code language outside pre")
        if tag == "a" and not attributes.get("href"):
            self.errors.append("link without href")

    def handle_endtag(self, tag):
        top = self.stack.pop() if self.stack else None
        if isinstance(top, tuple):
            top, href = top
            self.text.append(f" {href}")
        if top != tag:
            self.errors.append(f"</{tag}> closes {top}")

    def handle_data(self, data):
        self.text.append(data)
        self.shown.append(data)


def parse(html):
    parser = TelegramHtml()
    parser.feed(html)
    parser.close()
    outside_tags = re.sub(r"<[^<>]*>", "", html)
    if not ESCAPED_TEXT.fullmatch(outside_tags):
        parser.errors.append("unescaped text")
    for value in re.findall(r'="([^"]*)"', html):
        if not ESCAPED_TEXT.fullmatch(value):
            parser.errors.append(f"unescaped attribute {value!r}")
    if parser.stack:
        parser.errors.append(f"unclosed {parser.stack}")
    return parser


def assert_valid(html):
    assert parse(html).errors == []


def visible(html):
    return "".join(parse(html).text)


def shown(html):
    return "".join(parse(html).shown)


def contains_in_order(text, source):
    """Every letter and digit of source appears in text, in the same order."""
    letters = iter(char for char in text if char.isalnum())
    return all(char in letters for char in source if char.isalnum())


def utf16(text):
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def only_part(markdown):
    """The one part of an answer short enough for one message."""
    parts = render_for_telegram(markdown)
    assert len(parts) == 1, parts
    return parts[0]


def html_of(markdown):
    return only_part(markdown).html


def plain_of(markdown):
    return only_part(markdown).plain
