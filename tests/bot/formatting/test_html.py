"""Writing an answer as Telegram HTML and plain text: escaping, tags Telegram allows together."""

from tests.bot.formatting.reading import assert_valid, html_of, plain_of


def test_html_in_text_is_escaped():
    html = html_of("<script>alert('x')</script> & more")

    assert html == "&lt;script&gt;alert('x')&lt;/script&gt; &amp; more"


def test_comparisons_in_code_are_escaped():
    assert html_of("`a < b && c > d`") == "<code>a &lt; b &amp;&amp; c &gt; d</code>"


def test_quote_in_link_address_is_escaped():
    html = html_of('[x](https://a.b/?q="1")')

    assert html == '<a href="https://a.b/?q=&quot;1&quot;">x</a>'
    assert_valid(html)


def test_bold_inside_bold_is_not_repeated():
    assert html_of("**a **b** c**") == "<b>a b c</b>"


def test_code_inside_bold_closes_the_bold_around_it():
    assert html_of("**run `make` first**") == "<b>run </b><code>make</code><b> first</b>"


def test_code_inside_link_text_becomes_plain_link_text():
    html = html_of("[`pip` docs](https://pip.pypa.io)")

    assert html == '<a href="https://pip.pypa.io">pip docs</a>'


def test_adjacent_links_stay_separate():
    html = html_of("[a](https://x.y)[b](https://x.y)")

    assert html == '<a href="https://x.y">a</a><a href="https://x.y">b</a>'


def test_plain_text_drops_markers_and_keeps_link_addresses():
    text = plain_of("# Title\n**bold** `code` [docs](https://a.b) [https://a.b](https://a.b)")

    assert text == "Title\nbold code docs (https://a.b) https://a.b"
