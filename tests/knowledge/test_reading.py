"""Staff give a file or a web page; the knowledge base keeps its text with its headings."""

import pytest

from knowledge.reading import ReadingError, read_file, read_url
from tests.knowledge.documents import docx_with, pdf_with_text


def test_markdown_and_text_are_kept_as_written():
    text = "# Prices\n\n\n\n## Haircuts  \r\nA haircut costs 2500.\n"
    assert read_file("prices.md", text.encode("utf-8-sig")) == (
        "# Prices\n\n## Haircuts\nA haircut costs 2500."
    )
    assert read_file("notes.TXT", "Привет".encode()) == "Привет"


def test_html_keeps_headings_and_paragraphs_and_drops_scripts_styles_and_navigation():
    page = """<html><head><title>T</title><style>p {color: red}</style></head><body>
        <nav><a href="/">Home</a></p> <a href="/prices">Prices</a></nav>
        <h1>Prices</h1><p>We cut hair&nbsp;well.<br>Every day.</p>
        <script>alert("x")</script>
        <div><h2>Haircuts</h2><ul><li>Short: 2500</li><li>Long: <b>3500</b></li></ul></div>
        <img src="x.png"><form><input name="q"><p>Search</p></form><footer>© Salon</footer>
    </body></html>"""

    text = read_file("page.html", page.encode())

    assert text == (
        "# Prices\n\nWe cut hair well.\n\nEvery day.\n\n## Haircuts\n\n"
        "Short: 2500\n\nLong: 3500\n\n© Salon"
    )


def test_a_pdf_gives_its_text():
    text = read_file("price list.pdf", pdf_with_text("Haircut 2500", "Colouring 4000"))
    assert "Haircut 2500" in text
    assert "Colouring 4000" in text


def test_a_word_document_gives_its_headings_as_headings():
    data = docx_with(
        ("Title", "Price list"),
        ("Heading 1", "Haircuts"),
        ("Normal", "A haircut costs 2500."),
        ("Normal", "   "),
        ("Heading 2", "Short hair"),
        ("Normal", "Quick."),
    )

    assert read_file("prices.docx", data) == (
        "# Price list\n\n# Haircuts\n\nA haircut costs 2500.\n\n## Short hair\n\nQuick."
    )


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("prices.xlsx", b"PK", "use a Markdown, text, HTML, PDF or DOCX file"),
        ("prices.txt", b"\xff\xfe\x00bad", "the text is not UTF-8"),
        ("prices.pdf", b"%PDF-1.4 not really", "cannot read the file"),
        ("prices.docx", b"not a zip", "cannot read the file"),
        ("empty.md", b"\n  \n", "no text found"),
        ("huge.txt", b"a" * (5 * 1024 * 1024 + 1), "larger than the 5 MB limit"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(name, data, problem):
    with pytest.raises(ReadingError, match=problem) as raised:
        read_file(name, data)
    assert str(raised.value).startswith(name)


def test_a_web_page_is_read_by_its_content_type(file_server):
    page = file_server.serve(
        "/about", "<h1>About</h1><p>We are open.</p>", content_type="text/html"
    )
    pdf = file_server.serve("/list", pdf_with_text("Haircut 2500"), content_type="application/pdf")
    plain = file_server.serve(
        "/notes.md", "# Notes\n\nText.", content_type="application/octet-stream"
    )

    assert read_url(page) == "# About\n\nWe are open."
    assert "Haircut 2500" in read_url(pdf)
    assert read_url(plain) == "# Notes\n\nText."


def test_a_web_page_that_cannot_be_read_says_why(file_server):
    missing = file_server.url("/gone")
    huge = file_server.serve("/huge", b"a" * (5 * 1024 * 1024 + 1), send_length=False)

    with pytest.raises(ReadingError, match="HTTP 404"):
        read_url(missing)
    with pytest.raises(ReadingError, match="larger than"):
        read_url(huge)
    with pytest.raises(ReadingError, match="only http"):
        read_url("file:///etc/passwd")
