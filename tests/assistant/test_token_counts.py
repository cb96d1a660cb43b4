"""Token counts of an LLM call: the provider's when it sends them, else an offline estimate."""

from assistant.context import TokenCounts, estimate_tokens, token_counts

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Привет"}]


def test_the_providers_counts_are_kept_as_they_are():
    assert token_counts(120, 3, messages=MESSAGES, answer="Hi") == TokenCounts(120, 3)


def test_missing_counts_are_estimated_from_the_request_and_the_answer():
    counts = token_counts(None, None, messages=MESSAGES, answer="Hi")

    prompt = estimate_tokens("Be brief.") + estimate_tokens("Привет")
    assert counts == TokenCounts(prompt, estimate_tokens("Hi"), estimated=True)


def test_a_tool_definition_counts_towards_the_prompt():
    tool = {"type": "function", "function": {"name": "record"}}

    counts = token_counts(None, None, messages=[], answer="", tools=[tool])

    assert counts.prompt == estimate_tokens('{"type": "function", "function": {"name": "record"}}')


def test_only_the_missing_count_is_estimated():
    counts = token_counts(120, None, messages=MESSAGES, answer="Hello")

    assert counts == TokenCounts(120, estimate_tokens("Hello"), estimated=True)


def test_a_missing_prompt_count_is_estimated_alone_too():
    counts = token_counts(None, 3, messages=MESSAGES, answer="Hello")

    prompt = estimate_tokens("Be brief.") + estimate_tokens("Привет")
    assert counts == TokenCounts(prompt, 3, estimated=True)
