"""A VK conversation as a channel of the assistant: community messages with inline keyboards.

VK has no drafts or message streaming worth the calls: the sign of life is "typing…"
(`messages.setActivity`) and the answer goes out whole, split at VK's 4,096 characters. Every
send carries a `random_id`, which VK uses to drop a repeat, so a send whose answer was lost is
sent again safely. Staff hear of VK leads in the bot's Telegram staff chat, as of its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass

from assistant.channel import (
    UNREACHABLE,
    BorrowedStaffChat,
    Button,
    Channel,
    Keyboard,
    Note,
    Outcome,
    reach,
)
from conversations.models import Contact, Message
from conversations.services import ContactInfo
from vk.client import CANNOT_SEND, VkApi, VkError

logger = logging.getLogger(__name__)

MAX_TEXT = 4096
#: What VK takes in one inline keyboard.
MAX_BUTTONS, MAX_ROWS, MAX_ROW, MAX_LABEL = 10, 6, 5, 40
#: Pauses before sending again after flood control or a lost answer.
RETRY_PAUSES = (0.5, 1.0, 2.0, 4.0)


@dataclass(frozen=True)
class Community:
    """What the channel needs of a community it serves."""

    id: int
    group_id: int
    bot_id: int


@dataclass(frozen=True)
class Press:
    """The button press being answered (its spinner stops with `acknowledge`)."""

    event_id: str
    user_id: int


def external_id(group_id: int, user_id: int) -> str:
    """A VK lead's id: one person writing to two communities is two leads."""
    return f"{group_id}:{user_id}"


def user_of(person: ContactInfo) -> tuple[int, int]:
    group_id, _colon, user_id = person.external_id.partition(":")
    return int(group_id), int(user_id)


def keyboards(buttons: Keyboard) -> list[dict]:
    """VK inline keyboards holding `buttons` in order: as many as VK's limits need."""
    rows = [list(row[i : i + MAX_ROW]) for row in buttons for i in range(0, len(row), MAX_ROW)]
    boards, current, count = [], [], 0
    for row in rows:
        if current and (len(current) == MAX_ROWS or count + len(row) > MAX_BUTTONS):
            boards.append(current)
            current, count = [], 0
        current.append(row)
        count += len(row)
    if current:
        boards.append(current)
    return [
        {"inline": True, "buttons": [[_button(b) for b in row] for row in board]}
        for board in boards
    ]


def _button(button: Button) -> dict:
    label = str(button.label)
    label = label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
    if button.url:
        return {"action": {"type": "open_link", "link": button.url, "label": label}}
    payload = json.dumps({"a": button.action, "l": label}, ensure_ascii=False)
    return {"action": {"type": "callback", "label": label, "payload": payload}}


def split(text: str) -> list[str]:
    """VK's parts of a long text, cut at a line or space near the limit where there is one."""
    parts = []
    while len(text) > MAX_TEXT:
        cut = max(text.rfind("\n", 0, MAX_TEXT), text.rfind(" ", 0, MAX_TEXT))
        cut = cut if cut > MAX_TEXT // 2 else MAX_TEXT
        parts.append(text[:cut])
        text = text[cut:].lstrip()
    return [*parts, text] if text else parts


class VkAnswer:
    """ "typing…" while the model writes; the answer whole when it is done."""

    def __init__(self, channel: VkChannel):
        self.channel = channel
        self.typing: asyncio.Task | None = None

    def start_thinking(self) -> None:
        self.typing = asyncio.ensure_future(self.channel.show_typing())

    async def update(self, text: str) -> None:
        """VK shows nothing until the answer is sent."""

    async def stop(self) -> bool:
        return False

    async def finish(self, text: str, buttons: Keyboard = ()) -> Outcome:
        if self.typing is not None:
            await self.typing
        return await self.channel.say(Note(text, buttons=buttons))


class VkChannel(BorrowedStaffChat):
    """One VK conversation (`peer_id`) of a community; `staff` is the bot's Telegram staff
    chat (None: staff follow VK leads in the admin)."""

    name = Contact.Channel.VK
    #: Answers stay text here: sending voice to VK (an upload server first) is not built.
    plays_voice = False

    def __init__(
        self,
        api: VkApi,
        community: Community,
        peer_id: int,
        *,
        press: Press | None = None,
        staff: Channel | None = None,
    ):
        self.api = api
        self.community = community
        self.peer_id = peer_id
        self.press = press
        self.staff = staff

    async def show_typing(self) -> None:
        try:
            await self.api.call(
                "messages.setActivity",
                peer_id=self.peer_id,
                type="typing",
                group_id=self.community.group_id,
            )
        except VkError as error:
            logger.info("VK did not show typing: %s", error)

    async def acknowledge(self, note: str = "") -> None:
        if self.press is None:
            return
        shown = {"type": "show_snackbar", "text": note[:90]} if note else None
        try:
            await self.api.call(
                "messages.sendMessageEventAnswer",
                event_id=self.press.event_id,
                user_id=self.press.user_id,
                peer_id=self.peer_id,
                event_data=shown,
            )
        except VkError as error:
            logger.info("VK did not take the press's answer: %s", error)

    async def say(self, note: Note) -> Outcome:
        parts = split(note.text) or ["…"]
        boards = keyboards(note.buttons)
        sends = [(part, None) for part in parts[:-1]]
        sends.append((parts[-1], boards[0] if boards else None))
        sends += [("…", board) for board in boards[1:]]
        records = []
        for text, board in sends:
            try:
                records.append({"message_id": await self._send(text, board)})
            except VkError as error:
                if error.code in CANNOT_SEND:
                    return UNREACHABLE
                state = (
                    Message.Delivery.UNCERTAIN if error.code == 0 else Message.Delivery.UNDELIVERED
                )
                return Outcome(state, parts=tuple(records), error=str(error))
        return Outcome(Message.Delivery.DELIVERED, parts=tuple(records))

    async def _send(self, text: str, keyboard: dict | None) -> int:
        """One message; sent again with the same `random_id` after flood control or a lost
        answer (VK drops the repeat of one it has)."""
        random_id = secrets.randbelow(2**31 - 1) + 1
        pauses = iter(RETRY_PAUSES)
        while True:
            try:
                return int(
                    await self.api.call(
                        "messages.send",
                        peer_id=self.peer_id,
                        random_id=random_id,
                        message=text,
                        keyboard=keyboard,
                        dont_parse_links=1,
                    )
                )
            except VkError as error:
                pause = next(pauses, None)
                if not error.retried or pause is None:
                    raise
                logger.warning("VK refused a send (%s); again in %.1f s", error, pause)
                await asyncio.sleep(pause)

    async def replace_buttons(self, buttons: Keyboard) -> None:
        """VK changes a message's keyboard only with its text, which a press does not carry:
        the buttons stay (a second press changes nothing)."""

    def answer_stream(self) -> VkAnswer:
        return VkAnswer(self)

    def private_address(self) -> tuple[str, str]:
        address = f"vk.me/club{self.community.group_id}"
        return address, f"https://{address}"

    def to_person(self, person: ContactInfo) -> Channel:
        if person.channel != Contact.Channel.VK:
            return reach(person)
        _group_id, user_id = user_of(person)
        return VkChannel(self.api, self.community, user_id, staff=self.staff)
