"""What people think of the assistant: 👍/👎 under each answer and the satisfaction survey.

An answer of the model in a private chat carries 👍 and 👎. A press is kept with the answer
(its model and prompt versions copied, see `conversations.services.feedback`) and the
buttons turn into a thank-you, so the answer cannot be rated twice; pressed again, nothing
changes. A 👎 asks once what was wrong, with a Skip button: the person's next text message is
kept as the comment and thanked for, not answered by the model.

When a conversation ends (the lead card is confirmed, or the person has been silent for
`CONVERSATION_IDLE_HOURS`: a bot process looks, `bot.operator_desk`) the person is asked once
how satisfied they are, 1 to 5, or Skip. Never in a group, nor while operators have the lead.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from assistant.channel import Button, Channel, Keyboard, Note
from assistant.usecases.buttons import RATE, SURVEY, action, number
from assistant.usecases.exchange import Exchange
from assistant.usecases.operators import record_unprompted
from conversations import services as conversation_services
from conversations.models import AnswerRating, ConversationSurvey, Message
from conversations.selectors import SurveyTarget
from core.db import db_call

SKIP = "skip"
SCORES = range(1, 6)


def rating_buttons(exchange: Exchange, reply_id: int, status: str) -> Keyboard:
    """👍 👎 under an answer of the model; none in a group, or under an apology for none."""
    if exchange.turn.in_group or status == Message.Status.FAILED:
        return ()
    return [
        [
            Button(label, action(RATE, f"{reply_id}:{value}"))
            for value, label in AnswerRating.Value.choices
        ]
    ]


def _thanked(reply_id: int, value: str) -> Keyboard:
    """What the rating buttons become: the rating given, thanked for (pressed again, it
    changes nothing)."""
    label = f"{AnswerRating.Value(value).label} " + _("Thank you for the rating")
    return [[Button(label, action(RATE, f"{reply_id}:{value}"))]]


async def rate_pressed(exchange: Exchange, value: str) -> None:
    """👍 or 👎 on an answer (the first press stands), or Skip under "what was wrong?"."""
    reply, _sep, choice = value.partition(":")
    if choice == SKIP:
        await db_call(conversation_services.rating_skip_comment)(
            contact_id=exchange.contact.id, message_id=number(reply)
        )
        await exchange.channel.replace_buttons(())
        return
    rating = await db_call(conversation_services.rating_record)(
        message_id=number(reply), contact_id=exchange.contact.id, value=choice
    )
    if rating is None:
        await exchange.say(_("This button is no longer active."))
        return
    if not rating.new:
        return
    await exchange.channel.replace_buttons(_thanked(number(reply), rating.value))
    if rating.value == AnswerRating.Value.DOWN:
        await exchange.say(
            _("Sorry the answer did not help. What was wrong? (optional, just write it)"),
            buttons=[[Button(_("Skip"), action(RATE, f"{number(reply)}:{SKIP}"))]],
        )


async def take_comment(exchange: Exchange) -> bool:
    """The person's text is what was wrong with an answer they rated 👎, when that was asked:
    kept and thanked for (True), else it is a message like any other (False)."""
    if exchange.turn.in_group:
        return False
    taken = await db_call(conversation_services.rating_take_comment)(
        contact_id=exchange.contact.id, message_id=exchange.turn.message_id, text=exchange.turn.text
    )
    if taken:
        await exchange.say(_("Thank you! This helps us answer better."))
    return taken


def _question() -> str:
    return _("How satisfied are you with this conversation? 1 is very poor, 5 is excellent.")


def _survey_buttons(survey_id: int) -> Keyboard:
    scores = [Button(str(score), action(SURVEY, f"{survey_id}:{score}")) for score in SCORES]
    return [scores, [Button(_("Skip"), action(SURVEY, f"{survey_id}:{SKIP}"))]]


async def survey_after_confirmation(exchange: Exchange) -> None:
    """The person confirmed their lead card: the conversation reached its end."""
    if exchange.turn.in_group or exchange.turn.handoff is not None:
        return
    survey_id = await db_call(conversation_services.survey_start)(
        conversation_id=exchange.turn.conversation_id,
        contact_id=exchange.contact.id,
        trigger=ConversationSurvey.Trigger.CONFIRMED,
    )
    if survey_id is not None:
        await exchange.say(_question(), buttons=_survey_buttons(survey_id))


async def survey_idle(channel: Channel, target: SurveyTarget) -> None:
    """A conversation went quiet: its person is asked, unless someone asked already."""
    contact = target.contact
    survey_id = await db_call(conversation_services.survey_start)(
        conversation_id=target.conversation_id,
        contact_id=contact.id,
        trigger=ConversationSurvey.Trigger.IDLE,
    )
    if survey_id is None:
        return
    with translation.override(contact.language_code):
        question, buttons = _question(), _survey_buttons(survey_id)
    message_id = await db_call(conversation_services.message_record_reply)(
        contact_id=contact.id,
        conversation_id=target.conversation_id,
        text=question,
        role=Message.Role.SYSTEM,
    )
    outcome = await channel.to_person(contact).say(Note(question, buttons=buttons))
    await db_call(record_unprompted)(contact.id, message_id, outcome)


async def survey_pressed(exchange: Exchange, value: str) -> None:
    """A score or Skip: the first answer counts, and the buttons give way to a thank-you."""
    survey, _sep, choice = value.partition(":")
    score = None if choice == SKIP else number(choice)
    answered = await db_call(conversation_services.survey_answer)(
        survey_id=number(survey), contact_id=exchange.contact.id, score=score
    )
    if not answered:
        return
    if score is None:
        await exchange.channel.replace_buttons(())
        return
    label = _("%(score)s of 5 · Thank you!") % {"score": score}
    await exchange.channel.replace_buttons([[Button(label, action(SURVEY, value))]])
