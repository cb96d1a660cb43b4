"""LLM Markdown becomes Telegram messages that Telegram always accepts and that lose no text."""

import random
import re
from html.parser import HTMLParser

import pytest

from bot.formatting import (
    MIN_LIMIT,
    PRE_TABLE_WIDTH,
    RULE,
    TelegramPart,
    markdown_to_telegram_html,
    plain_text,
    render_for_telegram,
    split_for_telegram,
)

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
    return len(text.encode("utf-16-le")) // 2


# --- inline formatting -------------------------------------------------------------------------


def test_double_asterisks_become_bold():
    assert markdown_to_telegram_html("a **bold** word") == "a <b>bold</b> word"


def test_double_underscores_become_bold():
    assert markdown_to_telegram_html("__bold__") == "<b>bold</b>"


def test_single_asterisks_and_underscores_become_italic():
    assert markdown_to_telegram_html("*one* and _two_") == "<i>one</i> and <i>two</i>"


def test_triple_asterisks_become_bold_italic():
    assert markdown_to_telegram_html("***both***") == "<b><i>both</i></b>"


def test_double_tildes_become_strikethrough():
    assert markdown_to_telegram_html("~~old~~ ~100") == "<s>old</s> ~100"


def test_backticks_become_inline_code():
    assert markdown_to_telegram_html("run `pip install` now") == "run <code>pip install</code> now"


def test_double_backticks_hold_a_backtick_inside_code():
    assert markdown_to_telegram_html("`` a`b ``") == "<code>a`b</code>"


def test_unmatched_backtick_stays_literal():
    assert markdown_to_telegram_html("it`s") == "it`s"


def test_markdown_inside_inline_code_is_not_formatted():
    assert markdown_to_telegram_html("`**x**`") == "<code>**x**</code>"


def test_http_link_becomes_anchor():
    html = markdown_to_telegram_html("see [the docs](https://example.com/a_b?x=1&y=2)")

    assert html == 'see <a href="https://example.com/a_b?x=1&amp;y=2">the docs</a>'


def test_link_with_parentheses_in_address_keeps_them():
    html = markdown_to_telegram_html("[wiki](https://en.wikipedia.org/wiki/Go_(game))")

    assert html == '<a href="https://en.wikipedia.org/wiki/Go_(game)">wiki</a>'


def test_mailto_and_tg_links_are_allowed():
    html = markdown_to_telegram_html("[mail](mailto:a@b.c) [me](tg://user?id=1)")

    assert html == '<a href="mailto:a@b.c">mail</a> <a href="tg://user?id=1">me</a>'


def test_quote_in_link_address_is_escaped():
    html = markdown_to_telegram_html('[x](https://a.b/?q="1")')

    assert html == '<a href="https://a.b/?q=&quot;1&quot;">x</a>'
    assert_valid(html)


def test_link_without_text_shows_its_address():
    html = markdown_to_telegram_html("[](https://a.b)")

    assert html == '<a href="https://a.b">https://a.b</a>'


def test_javascript_link_is_not_linked():
    html = markdown_to_telegram_html("[click](javascript:alert(1))")

    assert html == "[click](javascript:alert(1))"


def test_relative_link_stays_text():
    assert markdown_to_telegram_html("[docs](/docs)") == "[docs](/docs)"


def test_formatting_inside_link_text_is_kept():
    html = markdown_to_telegram_html("[**big** deal](https://a.b)")

    assert html == '<a href="https://a.b"><b>big</b> deal</a>'


def test_code_inside_link_text_becomes_plain_link_text():
    html = markdown_to_telegram_html("[`pip` docs](https://pip.pypa.io)")

    assert html == '<a href="https://pip.pypa.io">pip docs</a>'


def test_bold_link_wraps_the_anchor():
    html = markdown_to_telegram_html("**[site](https://a.b)**")

    assert html == '<b><a href="https://a.b">site</a></b>'


def test_nested_bold_and_italic_are_properly_nested():
    html = markdown_to_telegram_html("**bold _italic_ end**")

    assert html == "<b>bold <i>italic</i> end</b>"
    assert_valid(html)


def test_bold_inside_bold_is_not_repeated():
    assert markdown_to_telegram_html("**a **b** c**") == "<b>a b c</b>"


def test_code_inside_bold_closes_the_bold_around_it():
    html = markdown_to_telegram_html("**run `make` first**")

    assert html == "<b>run </b><code>make</code><b> first</b>"


def test_crossing_markers_give_valid_nesting():
    html = markdown_to_telegram_html("**a *b** c*")

    assert html == "<b>a *b</b> c*"


def test_underscores_inside_a_bare_address_stay_literal():
    html = markdown_to_telegram_html("see https://a.b/_x_/*y* or **https://a.b/c_d**.")

    assert html == "see https://a.b/_x_/*y* or <b>https://a.b/c_d</b>."


def test_emphasis_nested_thousands_deep_still_converts():
    html = markdown_to_telegram_html("**a *b " * 1500 + "c* d** " * 1500)

    assert "<b>a <i>b " in html
    assert_valid(html)


def test_backslash_escaped_asterisks_stay_literal():
    assert markdown_to_telegram_html(r"\*not italic\*") == "*not italic*"


def test_backslash_before_a_letter_is_kept():
    assert markdown_to_telegram_html(r"C:\Users\me") == r"C:\Users\me"


# --- what must stay literal ---------------------------------------------------------------------


def test_snake_case_words_stay_literal():
    assert markdown_to_telegram_html("call snake_case_name now") == "call snake_case_name now"


def test_asterisks_in_arithmetic_stay_literal():
    assert markdown_to_telegram_html("2*3*4 = 24 and 2 * 3") == "2*3*4 = 24 and 2 * 3"


def test_unmatched_double_asterisks_stay_literal():
    assert markdown_to_telegram_html("**price: 100") == "**price: 100"


def test_lone_asterisk_stays_literal():
    assert markdown_to_telegram_html("note *") == "note *"


def test_runs_of_different_length_do_not_pair():
    assert markdown_to_telegram_html("**a* b") == "**a* b"


def test_html_in_text_is_escaped():
    html = markdown_to_telegram_html("<script>alert('x')</script> & more")

    assert html == "&lt;script&gt;alert('x')&lt;/script&gt; &amp; more"


def test_comparisons_in_code_are_escaped():
    html = markdown_to_telegram_html("`a < b && c > d`")

    assert html == "<code>a &lt; b &amp;&amp; c &gt; d</code>"


def test_hashtag_without_space_is_not_a_heading():
    assert markdown_to_telegram_html("#sale today") == "#sale today"


# --- blocks ------------------------------------------------------------------------------------


def test_fenced_code_block_gets_its_language():
    html = markdown_to_telegram_html("```python\nif a < b:\n    print('&')\n```")

    assert html == (
        "<pre><code class=\"language-python\">if a &lt; b:\n    print('&amp;')</code></pre>"
    )


def test_fenced_code_block_without_language_is_pre():
    assert markdown_to_telegram_html("```\nx = 1\n```") == "<pre>x = 1</pre>"


def test_code_block_keeps_markdown_literal():
    html = markdown_to_telegram_html("```\n# not a heading\n**x** [a](https://b.c)\n```")

    assert html == "<pre># not a heading\n**x** [a](https://b.c)</pre>"


def test_unterminated_code_fence_runs_to_the_end():
    html = markdown_to_telegram_html("Try this:\n```bash\necho **hi** <there>")

    assert (
        html == 'Try this:\n<pre><code class="language-bash">echo **hi** &lt;there&gt;</code></pre>'
    )


def test_tilde_fence_is_a_code_block():
    assert markdown_to_telegram_html("~~~\n```\n~~~") == "<pre>```</pre>"


def test_indented_fence_in_a_list_loses_its_indentation():
    html = markdown_to_telegram_html("- step:\n   ```sh\n   ls -la\n   ```")

    assert html == '• step:\n<pre><code class="language-sh">ls -la</code></pre>'


def test_fence_info_that_is_not_a_language_is_kept_as_text():
    html = markdown_to_telegram_html('```python title="x.py"\npass\n```')

    assert html == '<pre>python title="x.py"\npass</pre>'


def test_adjacent_links_stay_separate():
    html = markdown_to_telegram_html("[a](https://x.y)[b](https://x.y)")

    assert html == '<a href="https://x.y">a</a><a href="https://x.y">b</a>'


def test_text_after_a_code_block_is_formatted_again():
    html = markdown_to_telegram_html("```\ncode\n```\n**done**")

    assert html == "<pre>code</pre>\n<b>done</b>"


def test_heading_becomes_a_bold_line():
    assert markdown_to_telegram_html("## Prices ##\ntext") == "<b>Prices</b>\ntext"


def test_bold_heading_is_not_double_bold():
    assert markdown_to_telegram_html("# **Prices** *now*") == "<b>Prices <i>now</i></b>"


def test_list_bullets_become_dots():
    html = markdown_to_telegram_html("- one\n* two\n  + nested *item*")

    assert html == "• one\n• two\n  • nested <i>item</i>"


def test_numbered_list_is_kept_as_text():
    assert markdown_to_telegram_html("1. **First**\n2. Second") == "1. <b>First</b>\n2. Second"


def test_horizontal_rule_becomes_a_line():
    assert markdown_to_telegram_html("a\n\n---\n\n* * *") == f"a\n\n{RULE}\n\n{RULE}"


def test_quote_lines_become_one_blockquote():
    html = markdown_to_telegram_html("> first *line*\n>second\n> > deeper\nafter")

    assert html == "<blockquote>first <i>line</i>\nsecond\ndeeper</blockquote>\nafter"


def test_narrow_table_becomes_an_aligned_grid():
    html = markdown_to_telegram_html(
        "| Service | Price |\n|:--|--:|\n| Cut | **100** |\n| Dye | 2500 |"
    )

    assert html == ("<pre>Service | Price\n--------+------\nCut     | 100\nDye     | 2500</pre>")


def test_table_rows_with_missing_cells_are_padded():
    assert markdown_to_telegram_html("a | b\n--|--\n| 1 |") == "<pre>a | b\n--+--\n1</pre>"


def test_wide_table_becomes_one_line_per_row_with_bold_header():
    wide = "x" * PRE_TABLE_WIDTH
    html = markdown_to_telegram_html(f"| Name | Note |\n|---|---|\n| *Cut* | {wide} |")

    assert html == f"<b>Name | Note</b>\n<i>Cut</i> | {wide}"


def test_pipe_line_without_separator_is_not_a_table():
    assert markdown_to_telegram_html("a | b\nc | d") == "a | b\nc | d"


def test_windows_line_endings_are_understood():
    assert markdown_to_telegram_html("**a**\r\n- b\r") == "<b>a</b>\n• b\n"


def test_empty_text_converts_to_empty_html():
    assert markdown_to_telegram_html("") == ""


# --- plain text -------------------------------------------------------------------------------


def test_plain_text_drops_markers_and_keeps_link_addresses():
    text = plain_text("# Title\n**bold** `code` [docs](https://a.b) [https://a.b](https://a.b)")

    assert text == "Title\nbold code docs (https://a.b) https://a.b"


def test_plain_text_keeps_code_block_content():
    assert plain_text("```js\nlet a = 1 < 2\n```") == "let a = 1 < 2"


def test_plain_text_of_a_quote_is_its_lines():
    assert plain_text("> *a*\n> b") == "a\nb"


# --- randomized: any input gives valid HTML and loses nothing --------------------------------

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
    """Speed is measured in bench/formatting_speed.py, never here: the machine may be busy."""
    rng = random.Random(20240601)

    for _ in range(2000):
        source = random_markdown(rng)
        html, plain = markdown_to_telegram_html(source), plain_text(source)
        parsed = parse(html)

        assert parsed.errors == [], (source, html)
        assert contains_in_order("".join(parsed.text), source), (source, html)
        assert contains_in_order(plain, shown(html)), source


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


# --- splitting -------------------------------------------------------------------------------


def paragraphs_answer(count):
    """Paragraphs of about 1,000 characters each."""
    return "\n\n".join(f"Paragraph {n}. " + " ".join(["word"] * 198) for n in range(count))


def test_long_answer_splits_on_paragraph_boundaries():
    answer = paragraphs_answer(10)
    assert len(answer) > 10_000

    parts = split_for_telegram(answer)

    assert [len(part) <= 4096 for part in parts] == [True, True, True]
    assert all(part.startswith("Paragraph") and part.endswith("word") for part in parts)
    assert "\n\n".join(parts).split() == answer.split()


def test_short_answer_is_one_part():
    assert split_for_telegram("  Hello **there**\n\n") == ["  Hello **there**"]


def test_whitespace_only_answer_gives_no_parts():
    assert split_for_telegram(" \n\n \t\n") == []


def test_long_paragraph_splits_on_line_boundaries():
    lines = [f"- item {n} " + "x" * 90 for n in range(60)]

    parts = split_for_telegram("\n".join(lines))

    assert len(parts) == 2
    assert [line for part in parts for line in part.split("\n")] == lines


def test_long_line_splits_after_sentences():
    sentence = "This sentence is exactly sixty characters long, more or less. "
    line = sentence * 100

    parts = split_for_telegram(line)

    assert all(part.endswith("less.") for part in parts)
    assert " ".join(parts).split() == line.split()


def test_long_sentence_splits_between_words():
    line = "word " * 2000

    parts = split_for_telegram(line)

    assert all(len(part) <= 4096 and part.endswith("word") for part in parts)
    assert sum(part.count("word") for part in parts) == 2000


def test_word_longer_than_the_limit_is_cut_hard():
    word = "a" * 5000

    parts = split_for_telegram(word)

    assert [len(part) for part in parts] == [4096, 904]


def test_code_block_longer_than_the_limit_becomes_two_fenced_blocks():
    lines = [f"print('line {n:04}')  # <&>" for n in range(240)]
    block = "```python\n" + "\n".join(lines) + "\n```"
    assert len(block) > 6000

    parts = split_for_telegram(block)

    assert len(parts) == 2
    assert all(part.startswith("```python\n") and part.endswith("\n```") for part in parts)
    assert [line for part in parts for line in part.split("\n")[1:-1]] == lines
    for part in parts:
        assert_valid(markdown_to_telegram_html(part))


def test_blank_lines_inside_a_code_block_are_not_cut_points():
    intro, outro = "Intro " * 330, "Outro " * 330
    block = "```\n" + "\n\n".join(["x = 1"] * 250) + "\n```"

    parts = split_for_telegram(f"{intro}\n\n{block}\n\n{outro}")

    assert parts == [f"{intro}\n\n{block}", outro.strip()]


def test_code_block_moves_whole_to_the_next_part():
    intro = "Intro " * 600
    block = "```js\n" + "\n\n".join(["let a = 1;"] * 100) + "\n```"

    parts = split_for_telegram(intro + "\n\n" + block)

    assert parts == [intro.strip(), block]


def test_unterminated_long_code_block_is_fenced_in_every_part():
    parts = split_for_telegram("```\n" + "abc\n" * 2000)

    assert len(parts) == 2
    assert all(part.startswith("```\nabc") and part.endswith("abc\n```") for part in parts)


def test_very_long_code_line_is_cut_inside_its_fence():
    parts = split_for_telegram("```\n" + "y" * 5000 + "\n```")

    assert [part.count("y") for part in parts] == [4088, 912]
    assert all(part.startswith("```\n") and part.endswith("\n```") for part in parts)


def test_fence_longer_than_the_limit_is_split_as_text():
    info = "x" * 70
    parts = split_for_telegram(f"```{info}\ncode\n```", limit=MIN_LIMIT)

    assert all(utf16(part) <= MIN_LIMIT for part in parts)
    assert "".join(parts).replace("\n", "") == f"```{info}code```"


def test_emoji_at_the_cut_point_is_not_torn():
    text = "a" * 4095 + "😀" + "b" * 10

    parts = split_for_telegram(text)

    assert parts == ["a" * 4095, "😀" + "b" * 10]


@pytest.mark.parametrize(
    "glyph",
    ["👍🏽", "👨\u200d👩\u200d👧", "🇺🇦", "e\u0301", "1\ufe0f\u20e3", "\ud83d\ude00"],
    ids=["skin-tone", "zwj-family", "flag", "combining-accent", "keycap", "surrogate-pair"],
)
def test_multi_codepoint_characters_are_not_torn(glyph):
    text = "a" * 4095 + glyph + "b"

    parts = split_for_telegram(text)

    assert parts[0] == "a" * 4095
    assert parts[1].startswith(glyph)


def test_flag_after_flag_is_cut_between_the_flags():
    text = "a" * 4092 + "🇺🇦🇵🇱"

    assert split_for_telegram(text) == ["a" * 4092 + "🇺🇦", "🇵🇱"]


def test_run_of_combining_marks_longer_than_the_limit_is_still_cut():
    text = "e" + "\u0301" * 5000

    parts = split_for_telegram(text)

    assert [len(part) for part in parts] == [4096, 905]


def test_limit_counts_utf16_units():
    parts = split_for_telegram("😀" * 3000)

    assert [len(part) for part in parts] == [2048, 952]


def test_limit_below_minimum_is_refused():
    with pytest.raises(ValueError, match="at least"):
        split_for_telegram("text", limit=MIN_LIMIT - 1)


# --- rendering parts -------------------------------------------------------------------------


def test_render_gives_html_and_plain_for_each_part():
    parts = render_for_telegram("Hello **world**")

    assert parts == [TelegramPart(html="Hello <b>world</b>", plain="Hello world")]


def test_render_of_blank_answer_is_empty():
    assert render_for_telegram("  \n\n  ") == []


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


def test_render_of_long_answer_keeps_limit_for_every_part():
    answer = paragraphs_answer(12) + "\n\n```\n" + "<tag> & 😀\n" * 700 + "```"

    parts = render_for_telegram(answer)

    assert all(utf16(part.html) <= 4096 and utf16(part.plain) <= 4096 for part in parts)
    assert all(parse(part.html).errors == [] for part in parts)
