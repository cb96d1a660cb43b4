"""Questions are the same when they share most word stems, whatever the word forms."""

import pytest

from knowledge.likeness import likeness, same_question, stems


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Сколько стоит стрижка?", "сколько стоит стрижку"),
        ("Сколько стоит стрижка?", "Стрижка, сколько стоит?!"),
        ("Где ёлка?", "где елки"),
        ("How much do haircuts cost?", "how much do haircut costs"),
    ],
)
def test_word_forms_and_punctuation_do_not_make_another_question(first, second):
    assert same_question(stems(first), stems(second))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Сколько стоит стрижка?", "Сколько стоит окрашивание?"),
        ("Do you work on Sundays?", "Do you work on Saturdays?"),
        ("?!", "?!"),
    ],
)
def test_different_questions_are_not_the_same(first, second):
    assert not same_question(stems(first), stems(second))


def test_likeness_is_the_share_of_stems_in_common():
    assert likeness(stems("red green blue"), stems("red green black")) == 0.5
