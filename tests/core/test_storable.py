"""Text from people and models is made storable: no NUL, no lone surrogate, nothing else lost."""

import pytest

from core.storable import storable_json, storable_text


def test_nul_bytes_are_dropped():
    assert storable_text("a\x00b\x00") == "ab"


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("x\ud800y", "x\ufffdy"),
        ("x\udfff", "x\ufffd"),
        ("\ude00\ud83d", "\ufffd\ufffd"),  # both halves, in the wrong order
        ("\ud83d\ud83d\ude00", "\ufffd😀"),
    ],
)
def test_a_lone_surrogate_becomes_the_replacement_character(text, stored):
    assert storable_text(text) == stored


def test_a_surrogate_pair_split_in_two_is_joined_into_its_character():
    assert storable_text("ok \ud83d\ude00") == "ok 😀"


@pytest.mark.parametrize("text", ["", "Привет, 😀 \t\n", "\ufffd", "a\x01b"])
def test_text_a_database_accepts_is_left_alone(text):
    assert storable_text(text) == text


def test_every_string_in_a_json_value_is_made_storable_keys_included():
    value = {"a\x00": ["b\x00", 1, None, {"c": "\ud800"}], "n": 2.5, "t": ("x\x00",)}
    assert storable_json(value) == {"a": ["b", 1, None, {"c": "\ufffd"}], "n": 2.5, "t": ["x"]}
