"""A document is split into passages under their headings, small enough to quote."""

import itertools

from assistant.context import estimate_tokens
from knowledge.chunking import (
    OVERLAP_TOKENS,
    PASSAGE_TOKENS,
    content_hash,
    language_of,
    split_text,
)

PRICE_LIST = """# Prices

Our prices include VAT.

## Haircuts

A short haircut costs 2500.
It takes an hour.

A long one costs 3500.

### Children

Children under 10: 1500.

## Окрашивание

Окрашивание волос стоит от 4000 рублей.
"""


def test_each_passage_keeps_the_path_of_its_headings_and_its_language():
    pieces = split_text(PRICE_LIST)

    assert [(piece.heading, piece.text, piece.language) for piece in pieces] == [
        ("Prices", "Our prices include VAT.", "en"),
        (
            "Prices › Haircuts",
            "A short haircut costs 2500. It takes an hour.\n\nA long one costs 3500.",
            "en",
        ),
        ("Prices › Haircuts › Children", "Children under 10: 1500.", "en"),
        ("Prices › Окрашивание", "Окрашивание волос стоит от 4000 рублей.", "ru"),
    ]


def test_the_documents_language_wins_over_the_letters():
    assert {piece.language for piece in split_text(PRICE_LIST, language="ru")} == {"ru"}


def test_letters_tell_the_language():
    assert language_of("Стрижка — 2500 ₽, Wi-Fi") == "ru"
    assert language_of("Haircut and styling: 2500 ₽, без записи") == "en"
    assert language_of("2500") == "en"


def test_a_long_section_is_cut_into_passages_that_overlap():
    sentences = [
        f"Sentence number {number} tells one more fact about the salon." for number in range(80)
    ]
    text = "# Facts\n\n" + " ".join(sentences[:40]) + "\n\n" + " ".join(sentences[40:])

    pieces = split_text(text)

    assert len(pieces) > 2
    assert all(piece.heading == "Facts" for piece in pieces)
    assert all(estimate_tokens(piece.text) <= PASSAGE_TOKENS + OVERLAP_TOKENS for piece in pieces)
    for before, after in itertools.pairwise(pieces):
        assert (
            after.text.split("\n\n")[0] in before.text
        )  # the next passage repeats the end of this one
    joined = " ".join(piece.text for piece in pieces)
    assert all(sentence in joined for sentence in sentences)


def test_an_endless_sentence_is_cut_by_words():
    text = " ".join(["word"] * 2000)

    pieces = split_text(text)

    assert len(pieces) > 1
    assert sum(piece.text.split().count("word") for piece in pieces) >= 2000
    assert pieces[0].heading == ""


def test_the_hash_covers_heading_and_text():
    assert content_hash("Prices", "2500") != content_hash("Price", "s2500")
    assert split_text("# A\n\nB")[0].content_hash == content_hash("A", "B")


def test_short_paragraphs_at_a_passages_end_are_repeated_whole_at_the_next_ones_start():
    long = "word " * 250  # about 250 tokens
    text = f"{long}\n\nShort one.\n\nShort two.\n\n{long}"

    pieces = split_text(text)

    assert [piece.text.split("\n\n")[-1] for piece in pieces][:1] == ["Short two."]
    assert pieces[1].text.startswith("Short one.\n\nShort two.\n\nword")
