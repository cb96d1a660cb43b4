"""`render_for_telegram`: parts Telegram accepts, as HTML and as plain text, within the limit."""

import random

import pytest

from bot.formatting import MIN_LIMIT, TelegramPart, render_for_telegram
from tests.bot.formatting.reading import (
    assert_valid,
    contains_in_order,
    html_of,
    parse,
    shown,
    utf16,
    visible,
)


def test_render_gives_html_and_plain_for_each_part():
    parts = render_for_telegram("Hello **world**")

    assert parts == [TelegramPart(html="Hello <b>world</b>", plain="Hello world")]


@pytest.mark.parametrize("answer", ["", "  \n\n  ", " \n\n \t\n"])
def test_render_of_blank_answer_is_empty(answer):
    assert render_for_telegram(answer) == []


def test_windows_line_endings_are_understood():
    assert html_of("**a**\r\n- b\rc") == "<b>a</b>\n• b\nc"


def test_limit_below_minimum_is_refused():
    with pytest.raises(ValueError, match="at least"):
        render_for_telegram("text", limit=MIN_LIMIT - 1)


def test_render_skips_a_part_with_nothing_to_show():
    parts = render_for_telegram("x" * 4090 + "\n\n```python\n \n```")

    assert parts == [TelegramPart("x" * 4090, "x" * 4090)]


def test_render_resplits_text_whose_escaping_outgrows_the_limit():
    answer = "a < b & c > d " * 290
    assert len(answer) <= 4096

    parts = render_for_telegram(answer)

    assert len(parts) > 1
    assert all(utf16(part.html) <= 4096 and utf16(part.plain) <= 4096 for part in parts)
    assert " ".join(part.plain for part in parts).split() == answer.split()


def test_render_resplits_escaped_code_into_valid_blocks():
    answer = "```html\n" + "<br>&nbsp;\n" * 370 + "```"
    assert len(answer) <= 4096

    parts = render_for_telegram(answer)

    assert len(parts) > 1
    for part in parts:
        assert utf16(part.html) <= 4096
        assert part.html.startswith('<pre><code class="language-html">&lt;br&gt;')
        assert_valid(part.html)


def test_render_recuts_a_part_where_escaping_is_denser_than_in_the_rest_of_its_paragraph():
    answer = "\n".join(["plain words here"] * 125 + ["& < > & < >"] * 180)

    parts = render_for_telegram(answer)

    assert all(utf16(part.html) <= 4096 for part in parts)
    assert sum(part.html.count("&amp;") for part in parts) == answer.count("&")


# --- randomized: any input gives valid HTML and loses nothing ---------------------------------

TOKENS = [
    "*", "**", "***", "_", "__", "~~", "~", "`", "``", "```", "```py\n", "~~~\n", "\n```\n",
    "[", "]", "(", ")", "](", "[a](https://x.y)", "(javascript:x)", "<", ">", "&", '"', "\\",
    "#", "# ", "> ", "- ", "* ", "1. ", "|", "|---|", "---", "\n", "\n\n", " ", " ", "a", "B1",
    "snake_case", "2*3", "https://a.b/_c_", "http:// ", "é", "😀", "👍🏽", "\u200d", "tg://u",
    "mailto:m@n.o", ":", ".", "!",
]  # fmt: skip


def random_markdown(rng):
    return "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 40)))


def test_random_markdown_always_gives_valid_html_without_losing_text():
    """Speed is measured in bench/formatting_speed.py, never here: the machine may be busy.

    Each answer ends with a word, so it always has something to show and is never dropped.
    """
    rng = random.Random(20240601)

    for _ in range(2000):
        source = random_markdown(rng) + "\nend"
        [part] = render_for_telegram(source)
        parsed = parse(part.html)

        assert parsed.errors == [], (source, part.html)
        assert contains_in_order("".join(parsed.text), source), (source, part.html)
        assert contains_in_order(part.plain, shown(part.html)), source


def test_random_long_answers_render_into_valid_parts_within_the_limit():
    rng = random.Random(7)

    for _ in range(30):
        source = "".join(random_markdown(rng) for _ in range(60))
        parts = render_for_telegram(source, limit=300)

        for part in parts:
            assert parse(part.html).errors == [], part.html
            assert utf16(part.html) <= 300
            assert utf16(part.plain) <= 300
        assert contains_in_order("".join(visible(part.html) for part in parts), source)
        for part in parts:
            assert contains_in_order(part.plain, shown(part.html))
