"""Inline Markdown in an answer: emphasis, code spans, links, and what must stay literal."""

import pytest

from bot.formatting import render_for_telegram
from tests.bot.formatting.reading import assert_valid, html_of

# --- formatting -------------------------------------------------------------------------------


def test_double_asterisks_become_bold():
    assert html_of("a **bold** word") == "a <b>bold</b> word"


def test_double_underscores_become_bold():
    assert html_of("__bold__") == "<b>bold</b>"


def test_single_asterisks_and_underscores_become_italic():
    assert html_of("*one* and _two_") == "<i>one</i> and <i>two</i>"


def test_triple_asterisks_become_bold_italic():
    assert html_of("***both***") == "<b><i>both</i></b>"


def test_double_tildes_become_strikethrough():
    assert html_of("~~old~~ ~100") == "<s>old</s> ~100"


def test_backticks_become_inline_code():
    assert html_of("run `pip install` now") == "run <code>pip install</code> now"


def test_double_backticks_hold_a_backtick_inside_code():
    assert html_of("`` a`b ``") == "<code>a`b</code>"


def test_markdown_inside_inline_code_is_not_formatted():
    assert html_of("`**x**`") == "<code>**x**</code>"


def test_nested_bold_and_italic_are_properly_nested():
    html = html_of("**bold _italic_ end**")

    assert html == "<b>bold <i>italic</i> end</b>"
    assert_valid(html)


def test_crossing_markers_give_valid_nesting():
    assert html_of("**a *b** c*") == "<b>a *b</b> c*"


def test_emphasis_nested_thousands_deep_still_converts():
    parts = render_for_telegram("**a *b " * 1500 + "c* d** " * 1500)

    assert any("<b>a <i>b " in part.html for part in parts)
    for part in parts:
        assert_valid(part.html)


def test_backslash_escaped_asterisks_stay_literal():
    assert html_of(r"\*not italic\*") == "*not italic*"


# --- links ------------------------------------------------------------------------------------


def test_http_link_becomes_anchor():
    html = html_of("see [the docs](https://example.com/a_b?x=1&y=2)")

    assert html == 'see <a href="https://example.com/a_b?x=1&amp;y=2">the docs</a>'


def test_link_with_parentheses_in_address_keeps_them():
    html = html_of("[wiki](https://en.wikipedia.org/wiki/Go_(game))")

    assert html == '<a href="https://en.wikipedia.org/wiki/Go_(game)">wiki</a>'


def test_mailto_and_tg_links_are_allowed():
    html = html_of("[mail](mailto:a@b.c) [me](tg://user?id=1)")

    assert html == '<a href="mailto:a@b.c">mail</a> <a href="tg://user?id=1">me</a>'


def test_link_without_text_shows_its_address():
    assert html_of("[](https://a.b)") == '<a href="https://a.b">https://a.b</a>'


def test_formatting_inside_link_text_is_kept():
    assert html_of("[**big** deal](https://a.b)") == '<a href="https://a.b"><b>big</b> deal</a>'


def test_bold_link_wraps_the_anchor():
    assert html_of("**[site](https://a.b)**") == '<b><a href="https://a.b">site</a></b>'


def test_underscores_inside_a_bare_address_stay_literal():
    html = html_of("see https://a.b/_x_/*y* or **https://a.b/c_d**.")

    assert html == "see https://a.b/_x_/*y* or <b>https://a.b/c_d</b>."


# --- what must stay literal -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "call snake_case_name now",
        "2*3*4 = 24 and 2 * 3",
        "**price: 100",
        "note *",
        "**a* b",
        "it`s",
        r"C:\Users\me",
        "[click](javascript:alert(1))",
        "[docs](/docs)",
    ],
    ids=[
        "snake-case-words",
        "asterisks-in-arithmetic",
        "unmatched-double-asterisks",
        "lone-asterisk",
        "runs-of-different-length-do-not-pair",
        "unmatched-backtick",
        "backslash-before-a-letter",
        "javascript-link-is-not-linked",
        "relative-link",
    ],
)
def test_markers_that_form_no_markdown_stay_as_written(text):
    assert html_of(text) == text
