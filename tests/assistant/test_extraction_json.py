"""JSON answers of models without tool calls: one object is accepted as they tend to send it."""

import pytest

from assistant.extraction import InvalidOutput, parse_proposal

KEYS = {"name", "budget"}
OBJECT = '{"values": {"name": "Anna"}, "declined": ["budget"]}'


def values_of(raw):
    proposal = parse_proposal(raw, KEYS)
    return proposal.values, proposal.declined


@pytest.mark.parametrize(
    "raw",
    [
        OBJECT,
        f"```json\n{OBJECT}\n```",
        f"```JSON\n{OBJECT}\n```",
        f"```\n{OBJECT}\n```",
        f"```json {OBJECT} ```",
        f"Here is the card:\n```json\n{OBJECT}\n```\nLet me know if you need more.",
        f"{OBJECT}\n\nI found the name; the person refused to give a budget.",
        f"{OBJECT} (budget declined)",
        f"{OBJECT}\nNote: {{budget}} was refused.",
    ],
    ids=[
        "bare",
        "fenced",
        "fence-in-capitals",
        "fence-without-language",
        "fence-on-one-line",
        "fence-between-prose",
        "followed-by-prose",
        "followed-by-a-remark",
        "followed-by-prose-with-braces",
    ],
)
def test_one_object_is_read_bare_fenced_or_followed_by_text(raw):
    assert values_of(raw) == ({"name": "Anna"}, ("budget",))


def test_a_fence_inside_a_leading_objects_value_is_part_of_the_value():
    raw = '{"values": {"name": "```Anna```"}}\nDone.'

    assert values_of(raw) == ({"name": "```Anna```"}, ())


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (f"{OBJECT}\n{OBJECT}", "more than one JSON object"),
        (f"{OBJECT}\nor maybe {OBJECT}", "more than one JSON object"),
        (f"```json\n{OBJECT}\n{OBJECT}\n```", "the code block holds more than one JSON object"),
        (f"```json\n{OBJECT}\n```\n```json\n{OBJECT}\n```", "more than one code block"),
        ('["name", "Anna"]', "not a JSON object"),
        ('```json\n["name", "Anna"]\n```', "not a JSON object"),
        ("The person is called Anna.", "not JSON"),
        (f"The card: {OBJECT}", "not JSON"),
        ("```json\nname: Anna\n```", "not JSON"),
        ('```json\n{"values": {"name": "Ann', "not JSON"),
        ("", "not JSON"),
    ],
    ids=[
        "two-objects",
        "second-object-in-the-prose",
        "two-objects-in-a-fence",
        "two-fences",
        "array",
        "fenced-array",
        "prose-only",
        "prose-before-the-object",
        "fence-with-garbage",
        "unclosed-fence",
        "empty",
    ],
)
def test_anything_else_is_refused_with_the_reason(raw, reason):
    with pytest.raises(InvalidOutput, match=f"^{reason}"):
        parse_proposal(raw, KEYS)
