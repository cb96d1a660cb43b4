"""The text of a document staff give: a Markdown, text, HTML, PDF or DOCX file, or a web page.

Whatever the format, the result is Markdown-like text: headings as `#` lines, paragraphs
separated by blank lines, which is what `knowledge.chunking` splits on. The file itself is not
kept, only this text. Every problem is one `ReadingError` with a message for staff.
"""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import docx
import pypdf
from django.utils.translation import gettext as _

from core.data_sources.reading import MAX_BYTES, fetch
from core.data_sources.records import DataSourceError


class ReadingError(Exception):
    """Why a document's text could not be read, in words for staff."""


def read_file(name: str, data: bytes) -> str:
    """The text of an uploaded file, its format told by the name's extension."""
    if len(data) > MAX_BYTES:
        raise ReadingError(
            _("%(name)s: larger than the %(limit)d MB limit.")
            % {"name": name, "limit": MAX_BYTES // (1024 * 1024)}
        )
    reader = _EXTENSIONS.get(PurePosixPath(name.lower()).suffix)
    if reader is None:
        raise ReadingError(
            _("%(name)s: use a Markdown, text, HTML, PDF or DOCX file.") % {"name": name}
        )
    return _read(name, reader, data)


def read_url(url: str) -> str:
    """The text of one web page (http or https; its content type tells the format)."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ReadingError(_("%(url)s: only http(s) addresses can be read.") % {"url": url})
    try:
        fetched = fetch(url)
    except DataSourceError as error:
        raise ReadingError(str(error)) from None
    reader = _CONTENT_TYPES.get(fetched.content_type) or _EXTENSIONS.get(
        PurePosixPath(urlsplit(url).path.lower()).suffix, read_html
    )
    return _read(url, reader, fetched.body or b"")


def _read(source: str, reader, data: bytes) -> str:
    try:
        text = reader(data)
    except UnicodeDecodeError:
        raise ReadingError(_("%(source)s: the text is not UTF-8.") % {"source": source}) from None
    except (pypdf.errors.PyPdfError, zipfile.BadZipFile, ValueError, KeyError, OSError) as error:
        raise ReadingError(
            _("%(source)s: cannot read the file: %(reason)s")
            % {"source": source, "reason": str(error) or type(error).__name__}
        ) from None
    text = _tidy(text)
    if not text:
        raise ReadingError(_("%(source)s: no text found.") % {"source": source})
    return text


def read_text(data: bytes) -> str:
    """Markdown and plain text alike: their blank lines and `#` headings are kept as they are."""
    return data.decode("utf-8-sig")


def read_pdf(data: bytes) -> str:
    """A PDF's text, page by page (a PDF has no headings to tell, only text)."""
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return "\n\n".join(page.extract_text() or "" for page in pages)


def read_docx(data: bytes) -> str:
    """A Word document's paragraphs; those styled "Heading N" (or "Title") become headings."""
    lines = []
    for paragraph in docx.Document(io.BytesIO(data)).paragraphs:
        text = paragraph.text.strip()
        if text:
            lines.append(_heading_mark(paragraph.style.name if paragraph.style else "") + text)
    return "\n\n".join(lines)


def _heading_mark(style: str) -> str:
    if style == "Title":
        return "# "
    level = re.fullmatch(r"Heading (\d)", style)
    return "#" * int(level.group(1)) + " " if level else ""


def read_html(data: bytes) -> str:
    page = _PageText()
    page.feed(data.decode("utf-8-sig", errors="replace"))
    page.close()
    return page.text()


class _PageText(HTMLParser):
    """A page's readable text: headings become `#` lines, blocks become paragraphs, and what is
    not content (scripts, styles, navigation, forms) is dropped."""

    SKIPPED = {"script", "style", "nav", "noscript", "template", "svg", "form", "head"}
    BLOCKS = {"p", "div", "section", "article", "li", "tr", "br", "table", "ul", "ol", "dl"}
    BLOCKS |= {"dd", "dt", "blockquote", "pre", "main", "header", "footer", "aside", "hr"}
    HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
    VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.skipping or tag in self.SKIPPED:
            if tag not in self.VOID:
                self.skipping.append(tag)
            return
        if tag in self.BLOCKS or tag in self.HEADINGS:
            self._end_block()
        if tag in self.HEADINGS:
            self.current.append("#" * self.HEADINGS[tag] + " ")

    def handle_endtag(self, tag):
        if self.skipping:
            if tag in self.skipping:
                del self.skipping[self.skipping.index(tag) :]
            return
        if tag in self.BLOCKS or tag in self.HEADINGS:
            self._end_block()

    def handle_data(self, data):
        if not self.skipping:
            self.current.append(data)

    def _end_block(self):
        block = " ".join("".join(self.current).split())
        if block and block.strip("# "):
            self.blocks.append(block)
        self.current = []

    def text(self) -> str:
        self._end_block()
        return "\n\n".join(self.blocks)


def _tidy(text: str) -> str:
    """Lines without trailing spaces, at most one blank line between paragraphs."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_EXTENSIONS = {
    ".md": read_text,
    ".markdown": read_text,
    ".txt": read_text,
    ".text": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}
_CONTENT_TYPES = {
    "text/html": read_html,
    "application/xhtml+xml": read_html,
    "text/plain": read_text,
    "text/markdown": read_text,
    "text/x-markdown": read_text,
    "application/pdf": read_pdf,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": read_docx,
}
