"""One answer from the models: retries, Retry-After, fallback, the total deadline, streaming.

Waits are checked by what the pipeline asked to sleep, not by the clock: the machine may be busy.
"""

import asyncio

import pytest

from assistant import replies
from assistant.gateway import ClientPool, ModelSpec
from assistant.replies import generate_reply
from core.backoff import Backoff
from tests.fakes.openai_server import BrokenStream, Fail, Reply, Stall

MESSAGES = [{"role": "user", "content": "How much is an audit?"}]


@pytest.fixture
async def clients(fake_openai):
    """Pooled clients belong to the event loop that made them; each test has its own loop.

    The test's clients are closed inside that loop, so no keep-alive socket outlives the test.
    """
    pool = ClientPool()
    yield pool
    await pool.close()


@pytest.fixture
def reply(clients):
    """One answer from `models`, as the bot asks for it."""

    async def generate(models, on_text=None, deadline_seconds=2.0, max_retries=2):
        return await generate_reply(
            models=models,
            messages=MESSAGES,
            on_text=on_text or Texts(),
            deadline_seconds=deadline_seconds,
            max_retries=max_retries,
            clients=clients,
        )

    return generate


@pytest.fixture(autouse=True)
def short_backoff(monkeypatch):
    monkeypatch.setattr(replies, "RETRY_BACKOFF", Backoff(0.01, 8.0))


class SleepSpy:
    """Stands in for `asyncio` inside `replies`, recording every pause before a retry."""

    def __init__(self):
        self.slept = []

    def __getattr__(self, name):
        return getattr(asyncio, name)

    async def sleep(self, seconds):
        self.slept.append(seconds)
        await asyncio.sleep(seconds)


@pytest.fixture
def pauses(monkeypatch):
    spy = SleepSpy()
    monkeypatch.setattr(replies, "asyncio", spy)
    return spy.slept


class Texts:
    """Collects what `on_text` was given."""

    def __init__(self):
        self.seen = []

    async def __call__(self, text):
        self.seen.append(text)


def spec(fake_openai, model_id="fake-model"):
    return ModelSpec(
        pk=1,
        model_id=model_id,
        display_name="F",
        base_url=fake_openai.base_url,
        api_key_env="",
        timeout_seconds=5,
        connect_timeout_seconds=1,
        temperature=0,
        max_output_tokens=50,
        context_window=1000,
    )


async def test_a_streamed_answer_is_complete_with_model_and_latency(reply, fake_openai):
    fake_openai.queue(Reply(text="An audit costs 5 000 RUB."))
    result = await reply([spec(fake_openai)])
    assert (result.text, result.status) == ("An audit costs 5 000 RUB.", "complete")
    assert result.model_name == "fake-model"
    assert result.latency_ms >= 0
    assert result.error == ""


async def test_token_usage_of_the_answer_is_reported(reply, fake_openai):
    fake_openai.queue(Reply(text="Yes.", usage=(120, 3)))
    result = await reply([spec(fake_openai)])
    assert (result.prompt_tokens, result.completion_tokens) == (120, 3)


async def test_on_text_gets_the_whole_answer_so_far_after_every_chunk(reply, fake_openai):
    fake_openai.queue(Reply(text="Hello there", chunk_size=4))
    texts = Texts()
    await reply([spec(fake_openai)], on_text=texts)
    assert texts.seen == ["Hell", "Hello th", "Hello there"]


async def test_the_request_carries_the_messages_and_the_model_s_limits(reply, fake_openai):
    fake_openai.queue(Reply(text="ok"))
    await reply([spec(fake_openai)])
    body = fake_openai.completion_requests()[0].body
    assert (body["messages"], body["max_tokens"], body["stream"]) == (MESSAGES, 50, True)


async def test_without_models_the_reply_fails_as_not_configured(reply):
    result = await reply([])
    assert (result.status, result.text, result.model_name) == ("failed", "", "")
    assert result.error == "no model is configured"


async def test_a_deadline_already_spent_fails_without_asking_the_model(reply, fake_openai):
    result = await reply([spec(fake_openai)], deadline_seconds=0)
    assert result.status == "failed"
    assert result.error == "deadline exceeded"
    assert fake_openai.completion_requests() == []


async def test_a_server_error_is_retried(reply, fake_openai):
    fake_openai.queue(Fail(status=500), Reply(text="Recovered"))
    result = await reply([spec(fake_openai)])
    assert (result.text, result.status) == ("Recovered", "complete")
    assert len(fake_openai.completion_requests()) == 2


async def test_retries_stop_at_the_limit_and_report_the_last_error(reply, fake_openai):
    fake_openai.queue(Fail(status=503), Fail(status=502), Reply(text="too late"))
    result = await reply([spec(fake_openai)], max_retries=1)
    assert result.status == "failed"
    assert result.error.startswith("HTTP 502: ")
    assert len(fake_openai.completion_requests()) == 2


async def test_a_refused_request_is_not_retried_on_the_same_model(reply, fake_openai):
    fake_openai.queue(Fail(status=401), Reply(text="never asked"))
    result = await reply([spec(fake_openai)])
    assert result.status == "failed"
    assert result.error.startswith("HTTP 401: ")
    assert len(fake_openai.completion_requests()) == 1


async def test_a_refused_request_falls_back_to_the_next_model(reply, fake_openai):
    fake_openai.queue(Fail(status=400), Reply(text="From the spare"))
    result = await reply([spec(fake_openai, "main"), spec(fake_openai, "spare")])
    assert (result.text, result.model_name) == ("From the spare", "spare")
    assert [r.body["model"] for r in fake_openai.completion_requests()] == ["main", "spare"]


async def test_a_failed_reply_is_attributed_to_the_first_model(reply, fake_openai):
    fake_openai.queue(Fail(status=401), Fail(status=401))
    result = await reply([spec(fake_openai, "main"), spec(fake_openai, "spare")])
    assert (result.status, result.model_name) == ("failed", "main")


async def test_a_rate_limit_without_retry_after_is_retried_after_the_backoff(reply, fake_openai):
    fake_openai.queue(Fail(status=429), Reply(text="Now it works"))
    result = await reply([spec(fake_openai)])
    assert result.text == "Now it works"
    assert len(fake_openai.completion_requests()) == 2


async def test_a_retry_after_given_as_a_date_falls_back_to_the_backoff(reply, fake_openai, pauses):
    fake_openai.queue(
        Fail(status=429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"), Reply(text="ok")
    )
    result = await reply([spec(fake_openai)])
    assert result.text == "ok"
    assert pauses == [replies.RETRY_BACKOFF.first]


async def test_a_rate_limit_waits_as_long_as_retry_after_asks(reply, fake_openai, pauses):
    fake_openai.queue(Fail(status=429, retry_after=0.3), Reply(text="ok"))
    await reply([spec(fake_openai)])
    assert pauses == [0.3]
    first, second = fake_openai.completion_requests()
    assert second.at - first.at >= 0.3


async def test_a_retry_after_beyond_the_deadline_gives_up_at_once(reply, fake_openai, pauses):
    fake_openai.queue(Fail(status=429, retry_after=30), Reply(text="never asked"))
    result = await reply([spec(fake_openai)], deadline_seconds=2)
    assert result.status == "failed"
    assert pauses == []
    assert len(fake_openai.completion_requests()) == 1


async def test_a_rate_limited_model_hands_over_to_the_fallback_model(reply, fake_openai):
    fake_openai.queue(Fail(status=429, retry_after=30), Reply(text="From the spare"))
    result = await reply([spec(fake_openai, "main"), spec(fake_openai, "spare")])
    assert result.model_name == "spare"


async def test_an_empty_answer_is_retried(reply, fake_openai):
    fake_openai.queue(Reply(text="  "), Reply(text="Real words"))
    result = await reply([spec(fake_openai)])
    assert result.text == "Real words"


async def test_only_empty_answers_fail_as_empty(reply, fake_openai):
    fake_openai.queue(Reply(text=""))
    result = await reply([spec(fake_openai)], max_retries=0)
    assert (result.status, result.error) == ("failed", "empty answer")


async def test_a_blank_answer_on_every_try_fails_as_empty(reply, fake_openai):
    fake_openai.default = Reply(text=" \n\t ")
    result = await reply([spec(fake_openai)], max_retries=1)
    assert (result.status, result.text, result.error) == ("failed", "", "empty answer")
    assert len(fake_openai.completion_requests()) == 2


async def test_blanks_before_a_broken_stream_are_not_kept_as_a_partial_answer(reply, fake_openai):
    fake_openai.queue(BrokenStream(text_before="   "))
    result = await reply([spec(fake_openai)], max_retries=0)
    assert (result.status, result.text) == ("failed", "")


async def test_a_stream_that_ends_without_a_finish_reason_is_retried(reply, fake_openai):
    fake_openai.queue(
        Reply(text="Our first", finish_reason=None), Reply(text="Our first offer is 5 000 RUB.")
    )
    result = await reply([spec(fake_openai)])
    assert (result.text, result.status) == ("Our first offer is 5 000 RUB.", "complete")
    assert len(fake_openai.completion_requests()) == 2


@pytest.mark.parametrize("finish_reason", [None, "length"])
async def test_an_answer_cut_short_on_every_try_is_partial(reply, fake_openai, finish_reason):
    fake_openai.default = Reply(text="Our first", finish_reason=finish_reason)
    result = await reply([spec(fake_openai)], max_retries=1)
    assert (result.status, result.text) == ("partial", "Our first")
    assert result.error == f"answer cut short (finish reason: {finish_reason or 'none'})"
    assert len(fake_openai.completion_requests()) == 2


async def test_an_answer_stopped_by_the_content_filter_is_not_asked_for_again(reply, fake_openai):
    fake_openai.queue(Reply(text="Our first", finish_reason="content_filter"), Reply(text="no"))
    result = await reply([spec(fake_openai)])
    assert (result.status, result.text) == ("partial", "Our first")
    assert result.error == "answer stopped by the content filter"
    assert len(fake_openai.completion_requests()) == 1


async def test_an_answer_stopped_by_the_content_filter_falls_back_to_the_next_model(
    reply, fake_openai
):
    fake_openai.queue(Reply(text="Our", finish_reason="content_filter"), Reply(text="Spare"))
    result = await reply([spec(fake_openai, "main"), spec(fake_openai, "spare")])
    assert (result.status, result.text, result.model_name) == ("complete", "Spare", "spare")


async def test_a_finish_reason_of_the_server_s_own_ends_a_whole_answer(reply, fake_openai):
    fake_openai.queue(Reply(text="Done.", finish_reason="eos_token"))
    result = await reply([spec(fake_openai)])
    assert (result.status, result.text) == ("complete", "Done.")


async def test_a_broken_stream_is_retried_and_on_text_starts_again(reply, fake_openai):
    fake_openai.queue(BrokenStream(text_before="Broken"), Reply(text="Whole", chunk_size=10))
    texts = Texts()
    result = await reply([spec(fake_openai)], on_text=texts)
    assert result.text == "Whole"
    assert texts.seen[-1] == "Whole"
    assert "Broken" in texts.seen


async def test_when_every_attempt_breaks_the_longest_part_is_kept_as_partial(reply, fake_openai):
    fake_openai.queue(
        BrokenStream(text_before="The longest part"), BrokenStream(text_before="Short")
    )
    result = await reply([spec(fake_openai)], max_retries=1)
    assert (result.status, result.text) == ("partial", "The longest part")
    assert result.error


async def test_a_stream_slower_than_the_deadline_ends_as_partial(reply, fake_openai):
    fake_openai.queue(Reply(text="word " * 40, chunk_size=5, delay_between_chunks=0.2))
    result = await reply([spec(fake_openai)], deadline_seconds=1)
    assert result.status == "partial"
    assert result.text.startswith("word") and len(result.text) < len("word " * 40)
    assert result.error == "deadline exceeded"
    assert result.latency_ms >= 900


async def test_a_model_that_never_answers_fails_by_the_deadline(reply, fake_openai):
    fake_openai.queue(Stall(seconds=5))  # then it would answer: a failure means it was cut off
    result = await reply([spec(fake_openai)], deadline_seconds=1)
    assert (result.status, result.text) == ("failed", "")
