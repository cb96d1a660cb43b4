"""The VK channel's pieces: keyboards within VK's limits, long texts split, the client's
errors, what each event means."""

import json

import pytest

from assistant.channel import Button, Mailbox, Note
from conversations.services import ContactInfo
from tests.fakes.vk_server import GROUP_ID, TOKEN
from vk.channel import Community, Press, VkChannel, keyboards, split
from vk.client import VkApi, VkError
from vk.events import incoming_of
from vk.selectors import QueuedEvent

COMMUNITY = Community(1, GROUP_ID, 1)


def test_many_buttons_go_into_as_many_keyboards_as_vk_needs():
    buttons = [[Button(f"Service {n}", f"service:{n}")] for n in range(13)]

    boards = keyboards(buttons)

    assert [len(board["buttons"]) for board in boards] == [6, 6, 1]
    assert all(board["inline"] for board in boards)
    assert json.loads(boards[0]["buttons"][0][0]["action"]["payload"]) == {
        "a": "service:0",
        "l": "Service 0",
    }


def test_a_wide_row_is_cut_at_five_and_long_labels_shortened():
    row = [Button("x" * 60, f"a:{n}") for n in range(7)]

    board = keyboards([row])[0]

    assert [len(r) for r in board["buttons"]] == [5, 2]
    assert len(board["buttons"][0][0]["action"]["label"]) == 40


def test_a_link_button_opens_its_address():
    board = keyboards([[Button("Policy", url="https://example.com/p")]])[0]

    assert board["buttons"][0][0]["action"] == {
        "type": "open_link",
        "link": "https://example.com/p",
        "label": "Policy",
    }


def test_a_long_text_is_split_at_vks_limit_near_a_line_end():
    text = ("word " * 700 + "\n") * 3

    parts = split(text)

    assert all(len(part) <= 4096 for part in parts)
    assert " ".join(parts).split() == text.split()
    assert split("") == []


def test_a_text_without_spaces_is_cut_at_the_limit():
    assert [len(part) for part in split("x" * 5000)] == [4096, 904]


async def test_a_long_answer_goes_out_in_parts_with_the_buttons_last(fake_vk):
    api = VkApi(TOKEN, base_url=fake_vk.base_url)
    channel = VkChannel(api, COMMUNITY, 7)

    outcome = await channel.say(Note("y " * 3000, buttons=[[Button("OK", "contact:")]]))
    await api.close()

    assert outcome.state == "delivered"
    assert len(outcome.parts) == 2
    assert [bool(sent.keyboard) for sent in fake_vk.sent_to(7)] == [False, True]


async def test_vk_unreachable_is_error_code_zero():
    api = VkApi(TOKEN, base_url="http://127.0.0.1:9")

    with pytest.raises(VkError) as raised:
        await api.call("users.get", user_ids=1)
    await api.close()

    assert raised.value.code == 0
    assert raised.value.retried


async def test_a_wrong_key_is_vks_error_five(fake_vk):
    api = VkApi("wrong", base_url=fake_vk.base_url)

    with pytest.raises(VkError) as raised:
        await api.call("users.get", user_ids=1)
    await api.close()

    assert raised.value.code == 5
    assert not raised.value.retried


async def test_a_send_vk_keeps_refusing_is_recorded_undelivered(fake_vk, monkeypatch):
    monkeypatch.setattr("vk.channel.RETRY_PAUSES", (0.0,))
    fake_vk.fail_sends(9, 9)
    api = VkApi(TOKEN, base_url=fake_vk.base_url)

    outcome = await VkChannel(api, COMMUNITY, 7).say(Note("Hello"))
    await api.close()

    assert (outcome.state, outcome.error) == ("undelivered", "VK error 9: Flood control")


async def test_a_send_whose_answer_never_came_is_maybe_delivered(monkeypatch):
    monkeypatch.setattr("vk.channel.RETRY_PAUSES", ())
    api = VkApi(TOKEN, base_url="http://127.0.0.1:9")

    outcome = await VkChannel(api, COMMUNITY, 7).say(Note("Hello"))
    await api.close()

    assert outcome.state == "uncertain"


def event(kind: str, obj: dict) -> QueuedEvent:
    return QueuedEvent(1, "e1", 7, kind, {"type": kind, "object": obj})


@pytest.mark.parametrize(
    "message, kind",
    [
        ({"from_id": 7, "text": "", "geo": {"type": "point"}}, "location"),
        ({"from_id": 7, "text": "", "attachments": [{"type": "wall"}]}, "other"),
        ({"from_id": 7, "text": "", "attachments": [{"type": "audio_message"}]}, "voice"),
    ],
)
def test_a_message_without_words_is_named_by_what_it_carried(message, kind):
    incoming, _act, press = incoming_of(
        event("message_new", {"message": message}), COMMUNITY, ("", "")
    )

    assert incoming.content_type == kind
    assert press is None


def test_the_communitys_own_messages_are_not_the_assistants():
    assert (
        incoming_of(event("message_new", {"message": {"from_id": -GROUP_ID}}), COMMUNITY, ("", ""))
        is None
    )


def test_a_message_in_a_chat_of_several_people_is_a_group_message():
    message = {"from_id": 7, "peer_id": 2_000_000_005, "text": "hi"}

    incoming, _act, _press = incoming_of(
        event("message_new", {"message": message}), COMMUNITY, ("", "")
    )

    assert incoming.group_chat_id == "2000000005"


@pytest.mark.parametrize("payload", ["not json", '["a"]', None])
def test_a_press_with_a_payload_that_is_not_ours_is_a_stale_button(payload):
    obj = {"user_id": 7, "peer_id": 7, "event_id": "p1", "payload": payload}

    incoming, _act, press = incoming_of(event("message_event", obj), COMMUNITY, ("", ""))

    assert incoming.text == ""
    assert press.event_id == "p1"


async def test_without_a_staff_chat_staff_follow_vk_leads_in_the_admin(fake_vk):
    api = VkApi(TOKEN, base_url=fake_vk.base_url)
    channel = VkChannel(api, COMMUNITY, 7)

    assert not channel.has_staff_chat
    assert channel.staff_chat == ""
    assert (await channel.tell_staff(card="c", news="n", card_message_id=None)).state == "delivered"
    assert await channel.open_staff_topic(title="t", card="c") is None
    assert (await channel.tell_topic(1, "x")).state == "delivered"
    await channel.drop_staff_topic(1)
    await channel.acknowledge("nothing was pressed")
    await channel.replace_buttons(())
    assert channel.private_address() == (
        f"vk.me/club{GROUP_ID}",
        f"https://vk.me/club{GROUP_ID}",
    )
    assert fake_vk.answers == []
    await api.close()


async def test_typing_and_a_press_answer_vk_refuses_are_only_logged(fake_vk, caplog):
    fake_vk.failing["messages.setActivity"] = 10
    fake_vk.failing["messages.sendMessageEventAnswer"] = 10
    api = VkApi(TOKEN, base_url=fake_vk.base_url)
    channel = VkChannel(api, COMMUNITY, 7, press=Press("p1", 7))

    await channel.show_typing()
    await channel.acknowledge("Too many presses")

    assert "VK did not show typing" in caplog.text
    assert "VK did not take the press's answer" in caplog.text
    await api.close()


async def test_a_person_on_another_channel_is_reached_through_it(fake_vk):
    api = VkApi(TOKEN, base_url=fake_vk.base_url)
    channel = VkChannel(api, COMMUNITY, 7)
    visitor = ContactInfo(
        id=1,
        channel="web",
        external_id="v",
        first_name="",
        last_name="",
        username="",
        language_code="en",
        phone="",
        email="",
        status="new",
        source="",
        is_blocked=False,
        consent_at=None,
    )

    assert isinstance(channel.to_person(visitor), Mailbox)
    await api.close()
