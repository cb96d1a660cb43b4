"""The fakes' side of `bot_throughput.py` and `scale_out.py`: push the load, wait for the
replies, count them.

Both fakes (`tests/fakes`) run here, by default in a process of their own (`RemoteHost`), so
their HTTP threads do not share the bots' GIL. Every timestamp is the fakes' `time.monotonic()`.

A run waits for every final reply, not for a fixed time: it ends when all have come, when the
bot has made no call (to Telegram other than polling, or to the LLM) for `QUIET_SECONDS`, or
at the cap. A reply missing when the bot went quiet is *lost*: the bot is done and never sent
it. A reply missing at the cap is *in flight*: the bot was still working, so it is reported
apart and left out of the throughput (replies delivered / time until the last of them).

Updates are taken by the bot's long polling, or, for a bot behind a webhook, posted to it from
here as Telegram would (`tests/fakes/webhook_poster.py`).
"""

import bisect
import multiprocessing
import re
import time
import traceback
from collections import Counter

TAG = re.compile(r"\bq(\d+)n(\d+)\b")
SETTLE_SECONDS = 0.5  # after the last expected reply, wait this long for late duplicates
QUIET_SECONDS = 15.0  # no call from the bot for this long: it has finished with the load
POLL_SECONDS = 0.05
#: Calls by which a person sees that the bot took the message: a draft, "typing", a message.
FEEDBACK_METHODS = {"sendmessagedraft", "sendchataction", "sendmessage"}


def tag(chat: int, number: int) -> str:
    """A unique mark per message, carried into the LLM request and (for both bots) the reply."""
    return f"q{chat}n{number}"


def instant_reply(body: dict):
    """The fake LLM: the whole answer in one chunk, naming the message it answers."""
    from tests.fakes.openai_server import Reply

    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    found = TAG.search(users[-1]["content"]) if users else None
    return Reply(text=f"ok {found[0] if found else '-'}", chunk_size=50)


class FakesHost:
    """Owns both fakes, pushes the load and turns what the fakes recorded into numbers."""

    def __init__(self):
        self.telegram = None
        self.llm = None

    def start(self) -> dict:
        from tests.fakes.openai_server import FakeOpenAI
        from tests.fakes.telegram_server import FakeTelegram

        self.telegram = FakeTelegram().start()
        self.llm = FakeOpenAI(default=instant_reply).start()
        return {"telegram": self.telegram.base_url, "llm": self.llm.base_url}

    def stop(self) -> None:
        for fake in (self.telegram, self.llm):
            if fake is not None:
                fake.stop()
        self.telegram = self.llm = None

    def run(
        self,
        *,
        chats: list[int],
        per_chat: int,
        rate: float | None,
        cap: float,
        webhook: dict | None = None,
    ) -> dict:
        """Push `per_chat` messages to each chat (round-robin), then wait for every final reply.

        With `webhook` ({"url": ..., "secret": ...}) each update is posted there as it is
        pushed; otherwise the bot polls for it. The wait ends when all replies came, the bot
        went quiet, or `cap` seconds after the last push.
        """
        from tests.fakes.webhook_poster import WebhookPoster

        order = [(chat, number) for number in range(per_chat) for chat in chats]
        update_tags, pushed_at = {}, {}
        poster = WebhookPoster(self.telegram, **webhook) if webhook else None
        started = time.monotonic()
        for index, (chat, number) in enumerate(order):
            if rate:
                time.sleep(max(started + index / rate - time.monotonic(), 0))
            text = f"How much is a consultation? {tag(chat, number)}"
            update_id = self.telegram.push_message(chat, text)
            pushed_at[update_id] = time.monotonic()
            update_tags[update_id] = tag(chat, number)
            if poster:
                poster.post(chat, update_id)
        pushed = time.monotonic()
        at_cap = self._wait(set(update_tags.values()), deadline=pushed + cap)
        time.sleep(SETTLE_SECONDS)
        webhook_results = webhook_outcome(poster, pushed_at) if poster else {}
        results = self._results(chats, per_chat, update_tags, started, pushed, at_cap)
        return {**results, **self._feedback(update_tags, pushed_at), **webhook_results}

    def _wait(self, expected: set[str], *, deadline: float) -> bool:
        """Wait for a final reply to every tag in `expected`; whether the cap ended the wait."""
        replied: set[str] = set()
        telegram_seen = llm_seen = 0
        last_activity = time.monotonic()
        while True:
            calls, requests = self.telegram.calls, self.llm.requests
            for call in calls[telegram_seen:]:
                method = call.method.lower()
                if method != "getupdates":
                    last_activity = max(last_activity, call.at)
                found = TAG.search(str(call.params.get("text", "")))
                if method == "sendmessage" and found:
                    replied.add(found[0])
            for request in requests[llm_seen:]:
                last_activity = max(last_activity, request.at)
            telegram_seen, llm_seen = len(calls), len(requests)
            now = time.monotonic()
            if expected <= replied or now - last_activity >= QUIET_SECONDS:
                return False
            if now >= deadline:
                return True
            time.sleep(POLL_SECONDS)

    def _results(self, chats, per_chat, update_tags, started, pushed, at_cap) -> dict:
        replies = {chat: self.telegram.sent_messages(chat) for chat in chats}
        tags_by_chat, reply_at = {}, {}
        for chat, messages in replies.items():
            found = [TAG.search(message.visible_text) for message in messages]
            tags_by_chat[chat] = [match[0] if match else None for match in found]
            for match, message in zip(found, messages, strict=True):
                if match and match[0] in update_tags.values():
                    reply_at.setdefault(match[0], message.at)  # a duplicate is not a reply
        return {
            **check_delivery(tags_by_chat, per_chat, still_working=at_cap),
            "count": len(update_tags),
            "delivered": len(reply_at),
            "push_seconds": pushed - started,
            "seconds": (max(reply_at.values()) if reply_at else pushed) - started,
            **self._latencies(update_tags, reply_at),
        }

    def _latencies(self, update_tags: dict[int, str], reply_at: dict[str, float]) -> dict:
        delivered = {}
        for update, at in self.telegram.delivered_at.items():
            if update in update_tags:
                delivered[update_tags[update]] = at
        requests = {t: r for t, r in self._llm_requests().items() if t in delivered}
        return {
            "llm_requests": len(requests),
            "update_to_llm": [requests[t].at - at for t, at in delivered.items() if t in requests],
            "token_to_draft": self._token_to_draft(requests),
            "update_to_reply": [reply_at[t] - at for t, at in delivered.items() if t in reply_at],
        }

    def _feedback(self, update_tags: dict[int, str], pushed_at: dict[int, float]) -> dict:
        """How soon the person saw a sign of the bot: the chat's first draft, "typing" or
        message after the update was taken (and after it was sent), and how soon its LLM
        request left after it was sent. Exact when a chat has one message in the run."""
        shown: dict[int, list[float]] = {}
        for call in self.telegram.calls:
            if call.method.lower() in FEEDBACK_METHODS:
                shown.setdefault(call.params.get("chat_id"), []).append(call.at)
        requests = self._llm_requests()
        taken_at = self.telegram.delivered_at
        taken, sent, asked = [], [], []
        for update_id, tag_text in update_tags.items():
            times = shown.get(int(TAG.search(tag_text)[1]), [])
            if update_id in taken_at:
                later = bisect.bisect_left(times, taken_at[update_id])
                if later < len(times):
                    taken.append(times[later] - taken_at[update_id])
            later = bisect.bisect_left(times, pushed_at[update_id])
            if later < len(times):
                sent.append(times[later] - pushed_at[update_id])
            if tag_text in requests:
                asked.append(requests[tag_text].at - pushed_at[update_id])
        return {"taken_to_feedback": taken, "sent_to_feedback": sent, "sent_to_llm": asked}

    def _llm_requests(self) -> dict:
        """The first LLM request naming each message's tag (a retry is not a new message)."""
        requests = {}
        for request in self.llm.completion_requests():
            found = TAG.search(request.body["messages"][-1]["content"])
            if found:
                requests.setdefault(found[0], request)
        return requests

    def _token_to_draft(self, requests: dict) -> list[float]:
        """First text out of the LLM -> the chat's next visible text (draft or final message).

        An answer complete within the streamer's first-preview delay is sent as the final
        message without a draft; that message is then what the person sees first.
        """
        shown, gaps = {}, []
        for tag_text, request in requests.items():
            chat = int(TAG.search(tag_text)[1])
            if chat not in shown:
                drafts = [draft.at for draft in self.telegram.drafts(chat)]
                messages = [message.at for message in self.telegram.sent_messages(chat)]
                shown[chat] = sorted(drafts + messages)
            if request.first_chunk_at is None:
                continue
            later = [at for at in shown[chat] if at >= request.first_chunk_at]
            if later:
                gaps.append(later[0] - request.first_chunk_at)
        return gaps


def webhook_outcome(poster, pushed_at: dict[int, float]) -> dict:
    """Once the poster is done: its posts not answered 200, by status or error, and the time
    from each update being sent to the webhook answering 200 (it was stored)."""
    poster.close()
    stored = [at - pushed_at[update] for update, at in poster.stored_at.items()]
    return {"webhook_refused": dict(poster.refused), "sent_to_stored": stored}


def check_delivery(tags_by_chat: dict[int, list], per_chat: int, *, still_working: bool) -> dict:
    """Replies counted against what was pushed; a missing one is lost unless `still_working`."""
    missing = duplicated = unexpected = reordered = 0
    for chat, got in tags_by_chat.items():
        expected = [tag(chat, number) for number in range(per_chat)]
        counts = Counter(got)
        missing += sum(1 for item in expected if counts[item] == 0)
        duplicated += sum(counts[item] - 1 for item in expected if counts[item] > 1)
        unexpected += sum(n for item, n in counts.items() if item not in expected)
        reordered += got != expected and sorted(got, key=str) == sorted(expected)
    return {
        "lost": 0 if still_working else missing,
        "in_flight": missing if still_working else 0,
        "duplicated": duplicated,
        "unexpected": unexpected,
        "reordered": reordered,
    }


def serve_host(connection) -> None:
    """The fakes' process: run `FakesHost` methods sent over the pipe until told to close."""
    host = FakesHost()
    while True:
        method, kwargs = connection.recv()
        if method == "close":
            host.stop()
            connection.send((True, None))
            return
        try:
            connection.send((True, getattr(host, method)(**kwargs)))
        except Exception:  # reported to the driver, which stops the benchmark
            connection.send((False, traceback.format_exc()))


class RemoteHost:
    """A `FakesHost` in a spawned process: its threads get their own interpreter and GIL."""

    def __init__(self):
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=serve_host, args=(child,), daemon=True)
        self._process.start()

    def call(self, method: str, **kwargs):
        self._connection.send((method, kwargs))
        ok, value = self._connection.recv()
        if not ok:
            raise RuntimeError(f"the fakes' process failed:\n{value}")
        return value

    def close(self) -> None:
        self.call("close")
        self._process.join(timeout=10)


class LocalHost:
    """A `FakesHost` in this process, to see how much sharing the GIL distorts the numbers."""

    def __init__(self):
        self._host = FakesHost()

    def call(self, method: str, **kwargs):
        return getattr(self._host, method)(**kwargs)

    def close(self) -> None:
        self._host.stop()
