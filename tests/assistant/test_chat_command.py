"""`manage.py chat`: the same assistant in the terminal."""

import io

import pytest
from django.core.management import call_command

from conversations.models import AnswerRating, Contact, Message
from tests.factories import LLMModelFactory, LLMProviderFactory, ServiceFactory
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
    assert "Thank you! We saved a@b.ru and will contact you soon." in output
    assert "Let's start over." in output
    assert Contact.objects.get(external_id="tester").email == "a@b.ru"


def test_a_broken_stream_is_reprinted_with_the_note(chat_model, fake_openai):
    fake_openai.queue(BrokenStream(text_before="Начало"))
    output = run_chat("Вопрос\n", "--language", "en")
    assert "Начало" in output
    assert "cut off" in output
    assert Message.objects.get(role="assistant").status == "partial"


def test_the_terminal_chat_keeps_the_flood_limit(chat_model, settings):
    settings.ASSISTANT_RATE_LIMIT_CALLS = 1
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


def test_buttons_are_listed_and_pressed_by_number(chat_model):
    ServiceFactory(title="Audit", price=1500)
    output = run_chat("/services\n#1\n#7\n/teleport\n", "--language", "en")
    assert "Our services:\n  [#1] Audit" in output
    assert "**Audit**" in output
    assert "[#1] I'm interested" in output
    assert "This button is no longer active." in output
    assert "I don't know this command. See /help." in output
    presses = Message.objects.filter(content_type="callback").values_list("text", flat=True)
    assert list(presses) == ["Audit", "#7"]


def test_a_press_over_the_limit_is_noted_and_does_nothing(chat_model, monkeypatch):
    monkeypatch.setattr("assistant.runtime.BUTTON_PRESSES_PER_MINUTE", 1)
    output = run_chat("/start\n#1\n#1\n", "--language", "en")
    assert "(You are pressing buttons too fast. Please wait a moment.)" in output
    assert output.count("Our services") + output.count("being updated") == 1


async def test_a_link_button_shows_where_it_leads():
    from django.core.management.base import OutputWrapper

    from assistant.channel import Button, Note
    from assistant.terminal import TerminalChannel

    output = io.StringIO()
    channel = TerminalChannel(OutputWrapper(output))
    await channel.say(Note("Write to me", buttons=[[Button("Open", url="https://t.me/bot")]]))
    assert output.getvalue() == "Write to me\n  [#1] Open: https://t.me/bot\n"
    assert channel.private_address() == ("", "")


def test_an_answer_is_rated_in_the_terminal_and_what_was_wrong_is_kept(chat_model, fake_openai):
    fake_openai.queue(Reply(text="It costs 3000."))
    output = run_chat("How much?\n#2\nToo expensive\n", "--language", "en")

    assert "  [#1] 👍" in output and "  [#2] 👎" in output
    assert "What was wrong?" in output
    assert "  [#1] 👎 Thank you for the rating" in output
    assert "Thank you! This helps us answer better." in output
    rating = AnswerRating.objects.get()
    assert (rating.value, rating.comment, rating.model_name) == (
        "down",
        "Too expensive",
        "fake-model",
    )


def test_the_terminal_chat_is_text_only_even_for_a_person_who_wants_voice(chat_model, settings):
    settings.LANGUAGE_CODE = "en"
    speaker = LLMModelFactory(provider=chat_model.provider, capabilities=["speech"])
    output = run_chat("/voice on\nHello\n", "--language", "en")
    assert "Here answers are text only." in output
    assert speaker.model_id not in str(Message.objects.values_list("model_name", flat=True))
    assert not Message.objects.filter(content_type="voice").exists()
