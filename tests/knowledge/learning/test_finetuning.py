"""Approved conversations leave as OpenAI fine-tuning examples: JSONL, the bot's system prompt
first, the person and the answers taking turns, a 👎 answer replaced by its correction."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conversations.models import Conversation, Message
from knowledge.finetuning import approved_conversations, finetuning_lines
from knowledge.models import Proposal
from knowledge.proposals import proposal_approve, proposal_reject
from tests.factories import BotFactory, ContactFactory, PromptFactory, UserFactory
from tests.knowledge.learning.talk import (
    answer,
    ask,
    comment,
    exchange,
    operator_notes,
    operator_says,
    rate,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot():
    bot = BotFactory(name="Salon")
    PromptFactory(bot=bot, language="ru", text="Ты консультант салона «Лотос».")
    return bot


@pytest.fixture
def person(bot):
    return ContactFactory(bot=bot, language_code="ru")


def examples(**filters) -> list[list[dict]]:
    lines = list(finetuning_lines(approved_conversations(**filters)))
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    return [json.loads(line)["messages"] for line in lines]


def test_a_conversation_rated_up_is_an_example_with_the_bots_system_prompt_first(person):
    rate(exchange(person, "Сколько стоит стрижка?", "1500 рублей.")[1], "up")
    exchange(person, "А окрашивание?", "От 3000 рублей.")
    ask(person, "А маникюр?")

    [line] = finetuning_lines(approved_conversations())

    assert "«Лотос»" in line  # not escaped: the file stays readable
    assert examples() == [
        [
            {"role": "system", "content": "Ты консультант салона «Лотос»."},
            {"role": "user", "content": "Сколько стоит стрижка?"},
            {"role": "assistant", "content": "1500 рублей."},
            {"role": "user", "content": "А окрашивание?"},
            {"role": "assistant", "content": "От 3000 рублей."},
        ]
    ]


def test_a_conversation_with_a_thumbs_down_and_nothing_approved_is_left_out(person):
    rate(exchange(person, "Сколько стоит стрижка?", "1500 рублей.")[1], "up")
    rate(exchange(person, "А окрашивание?", "Бесплатно.")[1], "down")

    assert examples() == []


def test_an_approved_correction_replaces_the_thumbs_down_answer(person):
    _question, reply = exchange(person, "Вы работаете в воскресенье?", "Да, каждый день.")
    rate(reply, "down")
    comment(reply, "Вы же закрыты!")
    operator_says(person, "Простите, в воскресенье мы закрыты.")
    operator_notes(person, UserFactory(), "Исправить FAQ")
    proposal = Proposal.objects.get()
    proposal_approve(
        proposal_id=proposal.pk,
        user_id=UserFactory().pk,
        answer="В воскресенье мы закрыты, в субботу работаем до 16.",
    )
    exchange(person, "Спасибо!", "Пожалуйста!")

    [example] = examples()

    assert example[1:] == [
        {"role": "user", "content": "Вы работаете в воскресенье?"},
        {"role": "assistant", "content": "В воскресенье мы закрыты, в субботу работаем до 16."},
        {"role": "user", "content": "Спасибо!"},
        {"role": "assistant", "content": "Пожалуйста!"},
    ]


def test_operators_speak_as_the_assistant_and_a_thumbs_down_answer_without_correction_goes(
    person,
):
    ask(person, "/start", content_type=Message.ContentType.COMMAND)
    greeting = Message.objects.create(
        conversation=Conversation.objects.get(),
        contact=person,
        role=Message.Role.ASSISTANT,
        text="Здравствуйте!",
    )
    question = ask(person, "Можно оплатить картой?")
    rate(answer(question, "Только наличными."), "down")
    ask(person, "Алло?")
    operator_says(person, "Да, любой картой.")
    Proposal.objects.filter(question_message=question).update(answer="")
    proposal_approve(
        proposal_id=Proposal.objects.get(question="Алло?").pk,
        user_id=UserFactory().pk,
        question="Можно оплатить картой?",
    )
    secret = ask(person, "Мой телефон +79991234567")
    Message.objects.filter(pk=secret.pk).update(redacted=True)
    Message.objects.create(
        conversation=greeting.conversation,
        contact=person,
        role=Message.Role.ASSISTANT,
        text="Обрыв",
        status=Message.Status.FAILED,
    )

    [example] = examples()

    assert example[1:] == [
        {"role": "user", "content": "Можно оплатить картой?\n\nАлло?"},
        {"role": "assistant", "content": "Да, любой картой."},
    ]


def test_a_rejected_correction_is_no_correction(person):
    _question, reply = exchange(person, "Есть парковка?", "Нет.")
    rate(reply, "down")
    operator_says(person, "Есть, во дворе.")
    proposal_reject(proposal_id=Proposal.objects.get().pk, user_id=UserFactory().pk)
    ask(person, "Можно с собакой?")
    operator_says(person, "Можно.")
    approve(Proposal.objects.get(status=Proposal.Status.OPEN))

    [example] = examples()

    assert [turn["content"] for turn in example[1:]] == [
        "Есть парковка?",
        "Есть, во дворе.",
        "Можно с собакой?",
        "Можно.",
    ]


def test_a_conversation_whose_question_was_merged_into_an_approved_one_is_an_example(bot):
    anna, boris = (ContactFactory(bot=bot, language_code="ru") for _ in range(2))
    for person in (anna, boris):
        ask(person, "Сколько стоит стрижка?")
        operator_says(person, f"1500 рублей, {person.first_name}.")

    approve(Proposal.objects.get(status=Proposal.Status.OPEN))

    assert len(examples()) == 2
    assert len(examples(bot_id=BotFactory().pk)) == 0


def approve(proposal):
    proposal_approve(proposal_id=proposal.pk, user_id=UserFactory().pk)


def test_a_conversation_without_a_question_and_its_answer_gives_no_example(bot):
    person = ContactFactory(bot=bot, language_code="en")
    question, reply = exchange(person, "Hello?", "Hi!")
    rate(reply, "up")
    Message.objects.filter(pk=question.pk).update(redacted=True, text="")

    assert examples() == []


def test_without_a_system_prompt_the_example_starts_with_the_person(db):
    rate(exchange(ContactFactory(language_code="en"), "Hello?", "Hi!")[1], "up")

    assert examples() == [
        [{"role": "user", "content": "Hello?"}, {"role": "assistant", "content": "Hi!"}]
    ]


def test_the_command_writes_a_bots_conversations_since_a_day(tmp_path, bot, person, capsys):
    rate(exchange(person, "Сколько стоит стрижка?", "1500 рублей.")[1], "up")
    old = ContactFactory(bot=bot, language_code="ru")
    rate(exchange(old, "Старый вопрос", "Старый ответ")[1], "up")
    Conversation.objects.filter(contact=old).update(started_at=timezone.now() - timedelta(days=30))
    rate(exchange(ContactFactory(bot=BotFactory()), "Чужой бот", "Ответ")[1], "up")
    output = tmp_path / "train.jsonl"
    since = (timezone.localdate() - timedelta(days=1)).isoformat()

    call_command("export_finetuning", "--bot", str(bot.pk), "--since", since, "-o", str(output))

    lines = output.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["messages"][1]["content"] for line in lines] == [
        "Сколько стоит стрижка?"
    ]
    assert "Conversations exported: 1." in capsys.readouterr().err


def test_the_command_writes_to_its_output_by_default(person, capsys):
    rate(exchange(person, "Сколько стоит стрижка?", "1500 рублей.")[1], "up")

    call_command("export_finetuning")

    out = capsys.readouterr().out
    assert json.loads(out)["messages"][0]["role"] == "system"


def test_the_command_refuses_a_day_it_cannot_read(db):
    with pytest.raises(CommandError, match="--since must be a date like 2025-03-01"):
        call_command("export_finetuning", "--since", "yesterday")
