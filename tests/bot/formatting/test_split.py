"""A long answer is cut into parts within Telegram's limit, on the most natural boundary."""

import pytest

from bot.formatting import TELEGRAM_LIMIT, TelegramPart, render_for_telegram
from tests.bot.formatting.reading import assert_valid, parse, utf16


def paragraphs_answer(count):
    """Paragraphs of about 1,000 characters each."""
    return "\n\n".join(f"Paragraph {n}. " + " ".join(["word"] * 198) for n in range(count))


def plain_parts(markdown, limit=TELEGRAM_LIMIT):
    return [part.plain for part in render_for_telegram(markdown, limit=limit)]


def same_parts(texts):
    """The parts of an answer without Markdown: its HTML and plain text are the same."""
    return [TelegramPart(text, text) for text in texts]


# --- text -------------------------------------------------------------------------------------


def test_long_answer_splits_on_paragraph_boundaries():
    answer = paragraphs_answer(10)
    assert len(answer) > 10_000

    parts = plain_parts(answer)

    assert [len(part) <= 4096 for part in parts] == [True, True, True]
    assert all(part.startswith("Paragraph") and part.endswith("word") for part in parts)
    assert "\n\n".join(parts).split() == answer.split()


def test_short_answer_is_one_part_without_surrounding_blank_space():
    parts = render_for_telegram("\n\n  Hello **there**\n\n")

    assert parts == [TelegramPart(html="  Hello <b>there</b>", plain="  Hello there")]


def test_long_paragraph_splits_on_line_boundaries():
    lines = [f"- item {n} " + "x" * 90 for n in range(60)]

    parts = render_for_telegram("\n".join(lines))

    assert len(parts) == 2
    shown_lines = [line for part in parts for line in part.html.split("\n")]
    assert shown_lines == [line.replace("- ", "• ", 1) for line in lines]


def test_long_line_splits_after_sentences():
    sentence = "This sentence is exactly sixty characters long, more or less. "
    line = sentence * 100

    parts = plain_parts(line)

    assert all(part.endswith("less.") for part in parts)
    assert " ".join(parts).split() == line.split()


def test_long_sentence_splits_between_words():
    line = "word " * 2000

    parts = plain_parts(line)

    assert all(len(part) <= 4096 and part.endswith("word") for part in parts)
    assert sum(part.count("word") for part in parts) == 2000


def test_word_longer_than_the_limit_is_cut_hard():
    assert render_for_telegram("a" * 5000) == same_parts(["a" * 4096, "a" * 904])


def test_limit_counts_utf16_units():
    assert [len(part) for part in plain_parts("😀" * 3000)] == [2048, 952]


def test_long_answer_keeps_the_limit_in_every_part():
    answer = paragraphs_answer(12) + "\n\n```\n" + "<tag> & 😀\n" * 700 + "```"

    parts = render_for_telegram(answer)

    assert all(utf16(part.html) <= 4096 and utf16(part.plain) <= 4096 for part in parts)
    assert all(parse(part.html).errors == [] for part in parts)


# --- code blocks ------------------------------------------------------------------------------


def test_code_block_longer_than_the_limit_becomes_several_code_blocks():
    lines = [f"print('line {n:04}')  # <&>" for n in range(240)]
    block = "```python\n" + "\n".join(lines) + "\n```"
    assert len(block) > 6000

    parts = render_for_telegram(block)

    assert len(parts) > 1
    for part in parts:
        assert part.html.startswith('<pre><code class="language-python">print(')
        assert part.html.endswith("</code></pre>")
        assert utf16(part.html) <= 4096
        assert_valid(part.html)
    assert [line for part in parts for line in part.plain.split("\n")] == lines


def test_blank_lines_inside_a_code_block_are_not_cut_points():
    intro, outro = "Intro " * 330, "Outro " * 330
    code = "\n\n".join(["x = 1"] * 250)

    parts = render_for_telegram(f"{intro}\n\n```\n{code}\n```\n\n{outro}")

    assert parts == [
        TelegramPart(f"{intro}\n\n<pre>{code}</pre>", f"{intro}\n\n{code}"),
        TelegramPart(outro.strip(), outro.strip()),
    ]


def test_code_block_moves_whole_to_the_next_part():
    intro = "Intro " * 600
    code = "\n\n".join(["let a = 1;"] * 100)

    parts = render_for_telegram(f"{intro}\n\n```js\n{code}\n```")

    assert parts == [
        TelegramPart(intro.strip(), intro.strip()),
        TelegramPart(f'<pre><code class="language-js">{code}</code></pre>', code),
    ]


def test_unterminated_long_code_block_is_a_code_block_in_every_part():
    parts = render_for_telegram("```\n" + "abc\n" * 2000)

    assert len(parts) > 1
    assert all(
        part.html.startswith("<pre>abc") and part.html.endswith("abc</pre>") for part in parts
    )
    assert sum(part.plain.count("abc") for part in parts) == 2000


def test_very_long_code_line_is_cut_inside_its_code_block():
    parts = render_for_telegram("```\n" + "y" * 5000 + "\n```")

    assert len(parts) == 2
    assert all(part.html == f"<pre>{part.plain}</pre>" for part in parts)
    assert "".join(part.plain for part in parts) == "y" * 5000


def test_fence_longer_than_the_limit_is_split_as_text():
    info = "x" * 70

    parts = render_for_telegram(f"```{info}\ncode\n```", limit=64)

    assert all(utf16(part.html) <= 64 and utf16(part.plain) <= 64 for part in parts)
    assert "".join(part.plain for part in parts).replace("\n", "") == f"{info}code"


# --- characters made of several code points ---------------------------------------------------


def test_emoji_at_the_cut_point_is_not_torn():
    parts = render_for_telegram("a" * 4095 + "😀" + "b" * 10)

    assert parts == same_parts(["a" * 4095, "😀" + "b" * 10])


@pytest.mark.parametrize(
    "glyph",
    ["👍🏽", "👨\u200d👩\u200d👧", "🇺🇦", "e\u0301", "1\ufe0f\u20e3", "\ud83d\ude00"],
    ids=["skin-tone", "zwj-family", "flag", "combining-accent", "keycap", "surrogate-pair"],
)
def test_multi_codepoint_characters_are_not_torn(glyph):
    parts = plain_parts("a" * 4095 + glyph + "b")

    assert parts[0] == "a" * 4095
    assert parts[1].startswith(glyph)


def test_flag_after_flag_is_cut_between_the_flags():
    """The limit falls inside the second flag, so only pairing flag letters finds the cut."""
    assert plain_parts("a" * 4090 + "🇺🇦🇵🇱") == ["a" * 4090 + "🇺🇦", "🇵🇱"]


def test_run_of_combining_marks_longer_than_the_limit_is_still_cut():
    parts = plain_parts("e" + "\u0301" * 5000)

    assert [len(part) for part in parts] == [4096, 905]
