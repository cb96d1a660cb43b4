"""A loopback fake of the VK API for community messages: the methods the channel calls and a
Bots Long Poll server.

Tests push what a person does (`push_message`, `push_press`); the long poll hands events out
after `ts` (waiting up to `wait` seconds, as VK does) and answers `failed` as VK does when
told to (`fail_poll`). `messages.send` checks its parameters as VK does (a `peer_id`, a
`random_id`, text or a keyboard; a keyboard VK would refuse is error 911), dedupes on
`random_id` per peer (VK's idempotency), and fails on demand with VK's errors
(`fail_sends`: flood control 9, a person who forbade messages 901, ...).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from tests.fakes._http import LoopbackServer

TOKEN = "vk1.a.fake-community-key"
GROUP_ID = 222000111
ERRORS = {
    5: "User authorization failed: invalid access_token",
    6: "Too many requests per second",
    9: "Flood control",
    10: "Internal server error",
    100: "One of the parameters specified was missing or invalid",
    901: "Can't send messages for users without permission",
    911: "Keyboard format is invalid",
}


@dataclass
class Sent:
    peer_id: int
    text: str
    keyboard: dict | None
    random_id: int
    message_id: int


@dataclass
class FakeVk(LoopbackServer):
    """`base_url` is what the channel is given as VK's address."""

    sends: list[Sent] = field(default_factory=list)
    answers: list[dict] = field(default_factory=list)
    activities: list[dict] = field(default_factory=list)

    def __post_init__(self):
        super().__init__()
        self._lock = threading.Condition()
        self._events: list[dict] = []
        self._ids = itertools.count(1)
        self._send_failures: list[int] = []
        self._poll_failures: list[int] = []
        self.key = "key-1"
        self.users = {}
        #: Long poll requests seen: a community is listening once one came.
        self.polls = 0
        #: Methods that fail with a VK error code, for as long as they are here.
        self.failing: dict[str, int] = {}

    @property
    def base_url(self) -> str:
        return self.root_url

    def _wake_waiters(self):
        with self._lock:
            self._lock.notify_all()

    # --- what a person does ------------------------------------------------------------------

    def _push(self, kind: str, obj: dict) -> str:
        with self._lock:
            event_id = f"ev{next(self._ids):06d}"
            self._events.append(
                {
                    "group_id": GROUP_ID,
                    "type": kind,
                    "event_id": event_id,
                    "v": "5.199",
                    "object": obj,
                }
            )
            self._lock.notify_all()
        return event_id

    def push_message(
        self, user_id: int, text: str, *, lang_id: int = 3, attachments=(), peer_id=None
    ) -> str:
        message = {
            "id": next(self._ids),
            "date": int(time.time()),
            "peer_id": peer_id or user_id,
            "from_id": user_id,
            "text": text,
            "attachments": list(attachments),
            "conversation_message_id": next(self._ids),
        }
        client_info = {"keyboard": True, "inline_keyboard": True, "lang_id": lang_id}
        return self._push("message_new", {"message": message, "client_info": client_info})

    def push_press(self, user_id: int, payload: dict) -> str:
        return self._push(
            "message_event",
            {
                "user_id": user_id,
                "peer_id": user_id,
                "event_id": f"press{next(self._ids)}",
                "payload": payload,
                "conversation_message_id": next(self._ids),
            },
        )

    def push_again(self, event_id: str) -> None:
        """VK hands out an event it handed out before (a redelivery)."""
        with self._lock:
            event = next(e for e in self._events if e["event_id"] == event_id)
            self._events.append(event)
            self._lock.notify_all()

    def fail_sends(self, *codes: int) -> None:
        """The next `messages.send` calls fail with these VK error codes, in order."""
        with self._lock:
            self._send_failures.extend(codes)

    def fail_poll(self, *failed: int) -> None:
        """The next long poll answers are `{"failed": n}`, in order."""
        with self._lock:
            self._poll_failures.extend(failed)

    def pending_poll_failures(self) -> int:
        with self._lock:
            return len(self._poll_failures)

    def sent_to(self, peer_id: int) -> list[Sent]:
        with self._lock:
            return [sent for sent in self.sends if sent.peer_id == peer_id]

    # --- VK's side ---------------------------------------------------------------------------

    def handle(self, exchange):
        url = urlsplit(exchange.path)
        if url.path == "/long-poll":
            self._long_poll(exchange, {k: v[0] for k, v in parse_qs(url.query).items()})
            return
        params = {k: v[0] for k, v in parse_qs(exchange.read_body().decode()).items()}
        if params.get("access_token") != TOKEN:
            self._error(exchange, 5)
            return
        method = url.path.removeprefix("/method/")
        if method in self.failing:
            self._error(exchange, self.failing[method])
            return
        answer = getattr(self, "m_" + method.replace(".", "_"), None)
        if answer is None:
            self._error(exchange, 3)
            return
        answer(exchange, params)

    def _error(self, exchange, code: int):
        message = ERRORS.get(code, "Unknown method passed")
        exchange.send_json(200, {"error": {"error_code": code, "error_msg": message}})

    def _ok(self, exchange, response):
        exchange.send_json(200, {"response": response})

    def m_groups_getLongPollServer(self, exchange, params):
        if int(params.get("group_id", 0)) != GROUP_ID:
            self._error(exchange, 100)
            return
        with self._lock:
            ts = str(len(self._events))
        self._ok(exchange, {"key": self.key, "server": f"{self.root_url}/long-poll", "ts": ts})

    def m_users_get(self, exchange, params):
        ids = [int(i) for i in params.get("user_ids", "").split(",") if i]
        self._ok(
            exchange,
            [
                {"id": i, **self.users.get(i, {"first_name": "Иван", "last_name": "Петров"})}
                for i in ids
            ],
        )

    def m_messages_setActivity(self, exchange, params):
        with self._lock:
            self.activities.append(params)
        self._ok(exchange, 1)

    def m_messages_sendMessageEventAnswer(self, exchange, params):
        with self._lock:
            self.answers.append(params)
        self._ok(exchange, 1)

    def m_messages_send(self, exchange, params):
        if not params.get("peer_id") or "random_id" not in params:
            self._error(exchange, 100)
            return
        keyboard = json.loads(params["keyboard"]) if params.get("keyboard") else None
        if keyboard is not None and not _valid_keyboard(keyboard):
            self._error(exchange, 911)
            return
        if not params.get("message") and keyboard is None:
            self._error(exchange, 100)
            return
        peer_id, random_id = int(params["peer_id"]), int(params["random_id"])
        with self._lock:
            if self._send_failures:
                self._error(exchange, self._send_failures.pop(0))
                return
            earlier = next(
                (
                    s
                    for s in self.sends
                    if s.peer_id == peer_id and s.random_id == random_id and random_id
                ),
                None,
            )
            if earlier is None:
                earlier = Sent(
                    peer_id, params.get("message", ""), keyboard, random_id, next(self._ids)
                )
                self.sends.append(earlier)
                self._lock.notify_all()
        self._ok(exchange, earlier.message_id)

    def _long_poll(self, exchange, query):
        if query.get("key") != self.key:
            exchange.send_json(200, {"failed": 2})
            return
        ts, wait = int(query.get("ts", 0)), float(query.get("wait", 25))
        deadline = time.monotonic() + wait
        with self._lock:
            self.polls += 1
            if self._poll_failures:
                failed = self._poll_failures.pop(0)
                body = (
                    {"failed": failed, "ts": str(len(self._events))}
                    if failed == 1
                    else {"failed": failed}
                )
                if failed in (2, 3):
                    self.key = f"key-{int(self.key.split('-')[1]) + 1}"
                exchange.send_json(200, body)
                return
            while len(self._events) <= ts and not self.closing.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(min(left, 0.05))
            events = self._events[ts:]
            exchange.send_json(200, {"ts": str(len(self._events)), "updates": events})


def _valid_keyboard(keyboard: dict) -> bool:
    """As VK checks a keyboard: rows of buttons, each an action of a known type with a label
    (callback and text) or a link, at most 10 rows and 5 buttons a row for an inline one."""
    rows = keyboard.get("buttons")
    if not isinstance(rows, list) or len(rows) > 10:
        return False
    for row in rows:
        if not isinstance(row, list) or not 1 <= len(row) <= 5:
            return False
        for button in row:
            action = button.get("action", {})
            kind = action.get("type")
            if kind not in ("callback", "text", "open_link"):
                return False
            if not action.get("label") or len(action["label"]) > 40:
                return False
            if kind == "open_link" and not str(action.get("link", "")).startswith("http"):
                return False
            if kind == "callback" and len(action.get("payload", "")) > 255:
                return False
    return True
