"""`manage.py chat`: the same assistant in the terminal."""

import io

import pytest
from django.core.management import call_command

from conversations.models import Contact, Message
from tests.factories import LLMModelFactory, LLMProviderFactory
from tests.fakes.openai_server import BrokenStream, Reply


@pytest.fixture
def chat_model(transactional_db, fake_openai, settings):
    settings.LLM_MAX_RETRIES = 0
    provider = LLMProviderFactory(base_url=fake_openai.base_url)
    return LLMModelFactory(provider=provider, model_id="fake-model", is_default=True)


def run_chat(text, *args):
    output = io.StringIO()
    call_command("chat", "--user", "tester", *args, stdin=io.StringIO(text), stdout=output)
    return output.getvalue()


def test_the_terminal_chat_explains_how_to_leave(chat_model):
    assert "/exit" in run_chat("")


def test_the_terminal_chat_prints_the_streamed_answer_and_stores_both_sides(
    chat_model, fake_openai
):
    fake_openai.queue(Reply(text="Здравствуйте! Чем помочь?", chunk_size=3))
    output = run_chat("Привет\n/exit\nне дойдёт\n")
    assert "Здравствуйте! Чем помочь?" in output
    contact = Contact.objects.get(channel="terminal", external_id="tester")
    texts = list(contact.messages.order_by("id").values_list("role", "text"))
    assert texts == [("user", "Привет"), ("assistant", "Здравствуйте! Чем помочь?")]


def test_new_starts_over_and_typed_contacts_are_saved(chat_model):
    output = run_chat("\nмой email a@b.ru, есть вопрос\n/new\n", "--language", "en")
    assert "(saved: a@b.ru)" in output
    assert "(new conversation)" in output
    assert Contact.objects.get(external_id="tester").email == "a@b.ru"


def test_a_broken_stream_is_reprinted_with_the_note(chat_model, fake_openai):
    fake_openai.queue(BrokenStream(text_before="Начало"))
    output = run_chat("Вопрос\n", "--language", "en")
    assert "Начало" in output
    assert "cut off" in output
    assert Message.objects.get(role="assistant").status == "partial"


def test_the_terminal_chat_keeps_the_flood_limit(chat_model, settings):
    from assistant.dialog import reset_limiter

    settings.ASSISTANT_RATE_LIMIT_CALLS = 1
    reset_limiter()
    output = run_chat("раз\nдва\nтри\n", "--language", "en")
    assert output.count("faster than I can answer") == 1
    assert Message.objects.filter(role="assistant").count() == 1


def test_the_terminal_chat_refuses_to_start_without_a_model_that_can_answer(transactional_db):
    from django.core.management import CommandError

    with pytest.raises(CommandError) as error:
        run_chat("Привет\n")
    assert error.value.returncode == 2
    assert not Message.objects.exists()


def test_the_terminal_chat_may_start_anyway_and_apologises(transactional_db, settings):
    settings.LLM_MAX_RETRIES = 0
    output = run_chat("Привет\n", "--language", "en", "--allow-missing-key")
    assert "Sorry, I cannot answer right now" in output
