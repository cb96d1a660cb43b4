"""/metrics: the database's numbers and the process's counters, for a scraper with the token."""

import asyncio
import datetime as dt
import socket
import urllib.request

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django import app as django_app
from procrastinate.testing import InMemoryConnector
from prometheus_client import REGISTRY
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from assistant import replies
from assistant.gateway import ClientPool
from assistant.replies import generate_reply
from bot.inbox import inbox_store
from bot.intake import store_updates
from bot.job_queue import defer_handling
from bot.models import InboundUpdate
from bot.ratelimit import ChatRetryAfterLimiter
from conversations.models import Message
from core.backoff import Backoff
from core.metrics import serve_process_metrics
from ops import metrics as ops_metrics
from tests.assistant.test_replies import Texts, spec
from tests.factories import ConversationFactory, MessageFactory
from tests.fakes.openai_server import Fail, Reply
from tests.fakes.telegram_server import TOKEN as BOT_TOKEN
from tests.ops.asgi import asgi_get
from tests.ops.scraping import TOKEN, samples, scrape
from tests.ops.test_probes import PRODUCTION
from tests.running_bot import inbox_settled


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_WINDOW_MINUTES = 15
    return settings


def reply(conversation, model, status, latency_ms, tokens=(None, None), **fields):
    prompt, completion = tokens
    return MessageFactory(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        model_name=model,
        status=status,
        latency_ms=latency_ms,
        prompt_tokens=prompt,
        completion_tokens=completion,
        delivery=Message.Delivery.DELIVERED,
        **fields,
    )


def a_while_ago(**delta):
    return timezone.now() - dt.timedelta(**delta)


@pytest.mark.django_db
def test_metrics_are_off_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", TOKEN, f"Basic {TOKEN}"])
def test_metrics_refuse_anyone_without_the_bearer_token(client, metrics_on, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert b"consult_" not in response.content


@pytest.mark.django_db
def test_a_logged_in_superuser_without_the_token_is_refused_too(admin_client, metrics_on):
    assert admin_client.get("/metrics").status_code == 401


@pytest.mark.django_db
@PRODUCTION
def test_the_scraper_reaches_metrics_on_the_containers_own_address(client, metrics_on):
    response = client.get("/metrics", HTTP_HOST="web:8000", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")


@pytest.mark.django_db(transaction=True)
@PRODUCTION
async def test_the_asgi_server_answers_a_scrape_on_any_host(metrics_on):
    status, body = await asgi_get(
        "/metrics", host="web:8000", headers=[(b"authorization", f"Bearer {TOKEN}".encode())]
    )
    assert status == 200
    assert samples(body.decode())[("consult_inbox_waiting_updates",)] == 0


@pytest.mark.django_db
def test_the_numbers_of_a_scripted_conversation_are_on_the_page(client, metrics_on):
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, text="How much is an audit?")
    reply(conversation, "gpt-x", "complete", 1200, (100, 20))
    reply(conversation, "gpt-x", "complete", 2800, (150, 30))
    reply(conversation, "gpt-x", "failed", 9000, delivery_error="")
    reply(conversation, "local", "partial", 500, (10, 5))
    note = MessageFactory(conversation=conversation, role=Message.Role.ASSISTANT, text="Hi!")
    Message.objects.filter(pk=note.pk).update(delivery=Message.Delivery.UNDELIVERED)
    maybe = reply(conversation, "local", "complete", 700, (10, 5))
    Message.objects.filter(pk=maybe.pk).update(delivery=Message.Delivery.UNCERTAIN)
    long_ago = reply(conversation, "gpt-x", "complete", 60000, (1, 1))
    Message.objects.filter(pk=long_ago.pk).update(created_at=a_while_ago(hours=1))

    page = scrape(client)

    assert page[("consult_metrics_window_seconds",)] == 900
    assert page[("consult_llm_replies", ("model", "gpt-x"), ("status", "complete"))] == 2
    assert page[("consult_llm_replies", ("model", "gpt-x"), ("status", "failed"))] == 1
    assert page[("consult_llm_replies", ("model", "local"), ("status", "complete"))] == 1
    assert page[("consult_llm_replies", ("model", "local"), ("status", "partial"))] == 1
    gpt = (("model", "gpt-x"), ("status", "complete"))
    assert page[("consult_llm_reply_latency_average_seconds", *gpt)] == 2.0
    assert page[("consult_llm_reply_latency_max_seconds", *gpt)] == 2.8
    assert page[("consult_llm_reply_tokens", ("kind", "prompt"), *gpt)] == 250
    assert page[("consult_llm_reply_tokens", ("kind", "completion"), *gpt)] == 50
    assert page[("consult_messages_not_delivered", ("delivery", "undelivered"))] == 1
    assert page[("consult_messages_not_delivered", ("delivery", "uncertain"))] == 1


@pytest.mark.django_db
def test_the_inbox_numbers_are_on_the_page(client, metrics_on):
    stored = inbox_store(
        bot_id=1,
        payloads=[{"update_id": n, "message": {"chat": {"id": n}}} for n in range(1, 6)],
    )
    done, failed, old_done, old_waiting, _waiting = (update.id for update in stored)
    InboundUpdate.objects.filter(pk__in=[done, old_done]).update(state=InboundUpdate.State.DONE)
    InboundUpdate.objects.filter(pk=failed).update(state=InboundUpdate.State.FAILED)
    InboundUpdate.objects.filter(pk__in=[old_done, old_waiting]).update(
        received_at=a_while_ago(minutes=20)
    )

    page = scrape(client)

    assert page[("consult_inbox_received_updates", ("state", "done"))] == 1
    assert page[("consult_inbox_received_updates", ("state", "failed"))] == 1
    assert page[("consult_inbox_received_updates", ("state", "queued"))] == 1
    assert page[("consult_inbox_waiting_updates",)] == 2
    assert 20 * 60 <= page[("consult_inbox_oldest_waiting_seconds",)] < 21 * 60


@pytest.mark.django_db
def test_telegrams_429s_are_counted_in_the_process(client, metrics_on, fake_telegram):
    labels = {"method": "sendMessage"}
    before = REGISTRY.get_sample_value("consult_telegram_retry_after_total", labels) or 0

    async def send_into_a_429():
        limiter = ChatRetryAfterLimiter(max_retries=0)
        async with ExtBot(BOT_TOKEN, base_url=fake_telegram.api_url, rate_limiter=limiter) as bot:
            with pytest.raises(RetryAfter):
                await bot.send_message(1, "текст")

    fake_telegram.fail_next("sendMessage", error_code=429, retry_after=1)
    asyncio.run(send_into_a_429())

    assert scrape(client)[("consult_telegram_retry_after_total", ("method", "sendMessage"))] == (
        before + 1
    )


def counted(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0


@pytest.mark.django_db
def test_llm_errors_answers_and_tokens_are_counted_per_model(
    client, metrics_on, fake_openai, monkeypatch
):
    monkeypatch.setattr(replies, "RETRY_BACKOFF", Backoff(0.01, 8.0))
    model = "metrics-model"
    error = {"model": model, "error": "InternalServerError"}
    errors_before = counted("consult_llm_errors_total", **error)
    answers_before = counted("consult_llm_answer_seconds_count", model=model)
    tokens_before = counted("consult_llm_tokens_total", model=model, kind="completion")

    async def answer_after_a_server_error():
        clients = ClientPool()
        try:
            return await generate_reply(
                models=[spec(fake_openai, model_id=model)],
                messages=[{"role": "user", "content": "Hello"}],
                on_text=Texts(),
                deadline_seconds=5,
                max_retries=1,
                clients=clients,
            )
        finally:
            await clients.close()

    fake_openai.queue(Fail(status=500), Reply(text="Hello!", usage=(12, 3)))
    assert asyncio.run(answer_after_a_server_error()).status == "complete"

    page = scrape(client)
    assert page[("consult_llm_errors_total", *sorted(error.items()))] == errors_before + 1
    assert page[("consult_llm_answer_seconds_count", ("model", model))] == answers_before + 1
    completion = ("consult_llm_tokens_total", ("kind", "completion"), ("model", model))
    assert page[completion] == tokens_before + 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_long_running_process_serves_its_counters_on_its_own_port():
    port = free_port()
    server, thread = serve_process_metrics(host="127.0.0.1", port=port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            page = response.read().decode()
    finally:
        server.shutdown()
        thread.join()
    assert "# TYPE consult_llm_errors_total counter" in page
    assert "# TYPE consult_llm_answer_seconds histogram" in page
    assert "# TYPE consult_telegram_retry_after_total counter" in page
    assert "consult_inbox_waiting_updates" not in page  # the database's numbers: the web's


def test_without_a_port_no_metrics_are_served():
    assert serve_process_metrics(host="127.0.0.1", port=0) is None


@pytest.mark.django_db
def test_a_bot_process_refuses_to_start_when_its_metrics_port_is_taken(
    settings, prompts, llm_model
):
    settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings.METRICS_HOST, settings.METRICS_PORT = taken.getsockname()
        with pytest.raises(CommandError) as error:
            call_command("runworker")
    assert error.value.returncode == 2
    assert f"Cannot serve metrics on 127.0.0.1:{settings.METRICS_PORT} (METRICS_PORT)" in str(
        error.value
    )


@pytest.mark.django_db
def test_with_a_job_queue_its_jobs_are_on_the_page(client, metrics_on, monkeypatch):
    """procrastinate's in-memory connector stands in for PostgreSQL's tables."""
    monkeypatch.setattr(ops_metrics, "uses_job_queue", lambda: True)
    with django_app.replace_connector(InMemoryConnector()):
        inbox_store(
            bot_id=1,
            payloads=[{"update_id": 1, "message": {"chat": {"id": 1}}}],
            on_stored=defer_handling,
        )
        page = scrape(client)
    assert page[("consult_job_queue_jobs", ("status", "todo"))] == 1
    assert page[("consult_job_queue_jobs", ("status", "doing"))] == 0


@pytest.mark.django_db
def test_without_a_job_queue_there_is_no_job_gauge(client, metrics_on, monkeypatch):
    monkeypatch.setattr(ops_metrics, "uses_job_queue", lambda: False)
    assert not [key for key in scrape(client) if key[0] == "consult_job_queue_jobs"]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="procrastinate's queue is PostgreSQL's"
)
@pytest.mark.django_db
def test_on_postgresql_the_jobs_waiting_for_a_worker_are_on_the_page(client, metrics_on):
    store_updates(
        bot_id=1, payloads=[{"update_id": n, "message": {"chat": {"id": n}}} for n in (1, 2, 3)]
    )

    page = scrape(client)

    assert page[("consult_job_queue_jobs", ("status", "todo"))] == 3
    assert page[("consult_job_queue_jobs", ("status", "doing"))] == 0


async def test_a_conversation_with_the_running_bot_shows_on_the_page(
    running_bot, fake_telegram, metrics_on
):
    fake_telegram.push_message(7001, "How much is an audit?")
    await fake_telegram.wait_for_async(lambda: fake_telegram.sent_messages(7001), 10, "the answer")
    await inbox_settled()

    status, body = await asgi_get(
        "/metrics", host="testserver", headers=[(b"authorization", f"Bearer {TOKEN}".encode())]
    )

    page = samples(body.decode())
    assert status == 200
    assert page[("consult_llm_replies", ("model", "fake-model"), ("status", "complete"))] == 1
    assert page[("consult_inbox_received_updates", ("state", "done"))] == 1
    assert page[("consult_inbox_waiting_updates",)] == 0
    assert page[("consult_messages_not_delivered", ("delivery", "undelivered"))] == 0
    on_postgresql = connection.vendor == "postgresql"
    assert (("consult_job_queue_jobs", ("status", "todo")) in page) == on_postgresql
