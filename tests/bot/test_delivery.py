"""The Courier: which failures are retried, which may have arrived, and the deadline."""

from types import SimpleNamespace

import httpx
import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery import Courier, Delivery, PartOutcome
from bot.formatting import TelegramPart
from conversations.models import Message

State = Message.Delivery


def caused_by(error, cause):
    error.__cause__ = cause
    return error


class ScriptedBot:
    """Answers each call with the next scripted outcome: an exception, or success."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []
        self.next_id = 100

    async def _call(self, method, chat_id, text, **kwargs):
        self.calls.append((method, chat_id, text, kwargs.get("parse_mode")))
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if isinstance(outcome, Exception):
            raise outcome
        self.next_id += 1
        return SimpleNamespace(message_id=self.next_id)

    async def send_message(self, chat_id, text, **kwargs):
        return await self._call("send", chat_id, text, **kwargs)

    async def edit_message_text(self, text, chat_id, message_id, **kwargs):
        return await self._call("edit", chat_id, text, **kwargs)

    async def delete_message(self, chat_id, message_id):
        return await self._call("delete", chat_id, "")

    async def send_voice(self, chat_id, voice, **kwargs):
        return await self._call("voice", chat_id, voice, **kwargs)


class FakeTime:
    """A clock that moves only when the courier sleeps."""

    def __init__(self):
        self.now = 0.0
        self.slept = []

    def clock(self):
        return self.now

    async def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def courier_for(bot, deadline=10.0):
    time = FakeTime()
    return Courier(bot, 1, deadline_seconds=deadline, clock=time.clock, sleep=time.sleep), time


PART = TelegramPart(html="<b>Ответ</b>", plain="Ответ")


async def test_a_server_error_is_retried_with_growing_pauses():
    bot = ScriptedBot(NetworkError("Internal Server Error"), NetworkError("Bad Gateway"))
    courier, time = courier_for(bot)
    delivery = await courier.send_parts([PART])
    assert delivery.state == State.DELIVERED
    assert delivery.message_ids == [101]
    assert time.slept == [0.5, 1.0]


async def test_retry_after_is_waited_out_exactly():
    bot = ScriptedBot(RetryAfter(3), RetryAfter(2))
    courier, time = courier_for(bot)
    assert (await courier.send_parts([PART])).state == State.DELIVERED
    assert time.slept == [3.0, 2.0]


async def test_a_wait_past_the_deadline_gives_up_at_once():
    bot = ScriptedBot(RetryAfter(30))
    courier, time = courier_for(bot, deadline=10)
    delivery = await courier.send_parts([PART])
    assert delivery.state == State.UNDELIVERED
    assert "deadline" in delivery.error
    assert time.slept == []
    assert len(bot.calls) == 1


async def test_errors_until_the_deadline_leave_the_message_undelivered():
    bot = ScriptedBot(*[NetworkError("Internal Server Error")] * 50)
    courier, time = courier_for(bot, deadline=10)
    delivery = await courier.send_parts([PART])
    assert delivery.state == State.UNDELIVERED
    assert sum(time.slept) <= 10
    assert len(bot.calls) == len(time.slept) + 1


@pytest.mark.parametrize(
    "cause", [httpx.ReadTimeout("slow"), httpx.WriteTimeout("slow"), httpx.ReadError("reset")]
)
async def test_a_send_that_may_have_arrived_is_not_repeated(cause):
    error = TimedOut() if isinstance(cause, httpx.TimeoutException) else NetworkError("read")
    bot = ScriptedBot(caused_by(error, cause))
    courier, _time = courier_for(bot)
    delivery = await courier.send_parts([PART])
    assert delivery.state == State.UNCERTAIN
    assert len(bot.calls) == 1


@pytest.mark.parametrize(
    "error",
    [
        caused_by(TimedOut(), httpx.ConnectTimeout("no route")),
        caused_by(TimedOut(), httpx.PoolTimeout("busy")),
        caused_by(NetworkError("connect"), httpx.ConnectError("refused")),
    ],
)
async def test_a_send_that_never_left_is_repeated(error):
    bot = ScriptedBot(error)
    courier, _time = courier_for(bot)
    assert (await courier.send_parts([PART])).state == State.DELIVERED
    assert len(bot.calls) == 2


async def test_later_parts_still_go_out_after_an_uncertain_one():
    bot = ScriptedBot(caused_by(TimedOut(), httpx.ReadTimeout("slow")))
    courier, _time = courier_for(bot)
    delivery = await courier.send_parts([PART, PART])
    assert [part.state for part in delivery.parts] == [State.UNCERTAIN, State.DELIVERED]
    assert delivery.state == State.UNCERTAIN


async def test_rejected_html_is_sent_as_plain_text():
    bot = ScriptedBot(BadRequest("Can't parse entities: unclosed tag"))
    courier, _time = courier_for(bot)
    assert (await courier.send_parts([PART])).state == State.DELIVERED
    assert [call[2] for call in bot.calls] == ["<b>Ответ</b>", "Ответ"]


async def test_a_part_refused_twice_stops_the_rest():
    refusal = BadRequest("Message is too long")
    bot = ScriptedBot(refusal, refusal)
    courier, _time = courier_for(bot)
    delivery = await courier.send_parts([PART, PART])
    assert [part.state for part in delivery.parts] == [State.UNDELIVERED, State.UNDELIVERED]
    assert len(bot.calls) == 2


async def test_a_blocked_bot_stops_delivery_and_is_raised_on_request():
    bot = ScriptedBot(None, Forbidden("Forbidden: bot was blocked by the user"))
    courier, _time = courier_for(bot)
    delivery = await courier.send_parts([PART, PART, PART])
    assert [part.state for part in delivery.parts] == [
        State.DELIVERED,
        State.UNDELIVERED,
        State.UNDELIVERED,
    ]
    with pytest.raises(Forbidden):
        delivery.raise_if_blocked()


async def test_a_migrated_group_gets_the_message_at_its_new_id():
    bot = ScriptedBot(ChatMigrated(-1009))
    courier, _time = courier_for(bot)
    assert (await courier.send_parts([PART])).state == State.DELIVERED
    assert [call[1] for call in bot.calls] == [1, -1009]


async def test_buttons_go_with_the_last_part_only():
    sent = []

    class RecordingBot(ScriptedBot):
        async def send_message(self, chat_id, text, **kwargs):
            sent.append(kwargs.get("reply_markup"))
            return await super().send_message(chat_id, text, **kwargs)

    courier, _time = courier_for(RecordingBot())
    await courier.send_parts([PART, PART], reply_markup="buttons")
    assert sent == [None, "buttons"]


async def test_an_edit_that_timed_out_is_repeated_safely():
    bot = ScriptedBot(caused_by(TimedOut(), httpx.ReadTimeout("slow")), BadRequest("not modified"))
    courier, _time = courier_for(bot)
    delivery = await courier.replace(7, [PART])
    assert delivery.parts == (PartOutcome(State.DELIVERED, 7),)
    assert [call[0] for call in bot.calls] == ["edit", "edit"]


async def test_an_edit_with_rejected_html_is_repeated_as_plain_text():
    bot = ScriptedBot(BadRequest("Can't parse entities: bad tag"))
    courier, _time = courier_for(bot)
    assert (await courier.replace(7, [PART])).state == State.DELIVERED
    assert [(call[0], call[2]) for call in bot.calls] == [
        ("edit", "<b>Ответ</b>"),
        ("edit", "Ответ"),
    ]


async def test_a_message_that_cannot_be_edited_is_sent_anew_and_the_old_one_removed():
    bot = ScriptedBot(BadRequest("Message can't be edited"))
    courier, _time = courier_for(bot)
    delivery = await courier.replace(7, [PART, PART])
    assert [call[0] for call in bot.calls] == ["edit", "delete", "send", "send"]
    assert delivery.state == State.DELIVERED
    assert len(delivery.message_ids) == 2


async def test_an_edit_refused_in_plain_text_too_becomes_a_new_message():
    bot = ScriptedBot(
        BadRequest("Can't parse entities: bad tag"),
        BadRequest("Message can't be edited"),
        BadRequest("Message to delete not found"),
    )
    courier, _time = courier_for(bot)
    delivery = await courier.replace(7, [PART])
    assert [call[0] for call in bot.calls] == ["edit", "edit", "delete", "send"]
    assert delivery.state == State.DELIVERED


async def test_the_shown_text_is_not_edited_again():
    bot = ScriptedBot()
    courier, _time = courier_for(bot)
    delivery = await courier.replace(7, [PART, PART], shown_html=PART.html)
    assert [call[0] for call in bot.calls] == ["send"]
    assert delivery.message_ids == [7, 101]


async def test_a_blocked_bot_found_while_editing_loses_every_part():
    bot = ScriptedBot(Forbidden("Forbidden: bot was kicked"))
    courier, _time = courier_for(bot)
    delivery = await courier.replace(7, [PART, PART])
    assert [part.state for part in delivery.parts] == [State.UNDELIVERED] * 2
    assert delivery.blocked_by is not None


async def test_an_unexpected_telegram_error_is_not_retried():
    from telegram.error import InvalidToken

    bot = ScriptedBot(InvalidToken("Unauthorized"))
    courier, time = courier_for(bot)
    assert (await courier.send_parts([PART])).state == State.UNDELIVERED
    assert time.slept == []


def test_nothing_to_deliver_counts_as_delivered():
    assert Delivery(()).state == State.DELIVERED


@pytest.mark.parametrize(
    ("outcome", "state"),
    [
        (None, State.DELIVERED),
        (caused_by(TimedOut(), httpx.ReadTimeout("slow")), State.UNCERTAIN),
        (BadRequest("Wrong file type"), State.UNDELIVERED),
        (Forbidden("Forbidden: bot was blocked by the user"), State.UNDELIVERED),
    ],
)
async def test_a_voice_message_is_sent_once_and_its_outcome_recorded(outcome, state):
    bot = ScriptedBot(outcome)
    courier, _time = courier_for(bot)
    delivery = await courier.send_voice(b"OggS")
    assert delivery.state == state
    assert (delivery.blocked_by is not None) == isinstance(outcome, Forbidden)
    assert [call[:3] for call in bot.calls] == [("voice", 1, b"OggS")]


async def test_a_voice_message_is_retried_within_the_deadline():
    bot = ScriptedBot(NetworkError("Bad Gateway"), NetworkError("Bad Gateway"))
    courier, _time = courier_for(bot, deadline=0.6)
    delivery = await courier.send_voice(b"OggS")
    assert delivery.state == State.UNDELIVERED
    assert "deadline exceeded" in delivery.error
    assert len(bot.calls) == 2
