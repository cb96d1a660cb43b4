"""The load of the process tests: text messages over many chats, and what each chat expects.

Telegram's side is the fake Bot API: the bot takes the updates by long polling, or, given a
`WebhookPoster`, each is posted to the bot's webhook as Telegram does.
"""

from __future__ import annotations

from collections import Counter

from bots.tokens import telegram_id_of
from conversations.models import Message
from tests.fakes.telegram_server import TOKEN
from tests.fakes.webhook_poster import WebhookPoster
from tests.processes.conftest import inbox_waiting, wait_until

CHATS = 100
FIRST_CHAT = 70000


class Load:
    """Text messages spread over `CHATS` chats; what each update was and each chat expects.
    With a `poster` each update is posted to the webhook as it is pushed."""

    def __init__(self, fake_telegram, poster: WebhookPoster | None = None):
        self.fake = fake_telegram
        self.poster = poster
        self.texts: dict[int, str] = {}
        self.chats: dict[int, list[str]] = {}

    def push(self, count: int) -> list[int]:
        pushed = []
        for _ in range(count):
            number = len(self.texts)
            chat = FIRST_CHAT + number % CHATS
            text = f"question {number} from {chat}"
            update_id = self.fake.push_message(chat, text, language_code="en")
            self.texts[update_id] = text
            self.chats.setdefault(chat, []).append(text)
            pushed.append(update_id)
            if self.poster:
                self.poster.post(chat, update_id)
        return pushed

    def replies(self) -> dict[int, list[str]]:
        return {
            chat: [m.visible_text for m in self.fake.sent_messages(chat)] for chat in self.chats
        }

    def wait_for_replies(self, count: int) -> None:
        """Wait until `count` replies were sent in all (handling is under way)."""

        def replies_sent():
            return sum(len(texts) for texts in self.replies().values()) >= count

        wait_until(replies_sent, 120, f"{count} replies")

    def settled(self) -> bool:
        """All answered at least once, Telegram holds nothing, no job is left to run."""
        return not self.unsettled()

    def unsettled(self) -> str:
        """What is not done yet, in words ("" once settled): shown when a wait runs out."""
        replies = self.replies()
        unanswered = sum(
            len({f"re: {text}" for text in self.chats[chat]} - set(texts))
            for chat, texts in replies.items()
        )
        not_posted = len(self.texts) - len(self.poster.stored_at) if self.poster else 0
        parts = {
            "messages unanswered": unanswered,
            "updates not taken by the webhook": not_posted,
            "updates Telegram holds": self.fake.pending_update_count(),
            "waiting": inbox_waiting(),
        }
        return ", ".join(f"{what}: {count}" for what, count in parts.items() if count)

    def wait_settled(self) -> None:
        wait_until(
            self.settled, 120 + len(self.texts) * 0.5, "every update answered", self.unsettled
        )

    def assert_each_stored_once(self) -> None:
        keys = Counter(
            Message.objects.filter(role="user").values_list("event_key", flat=True).iterator()
        )
        bot_id = telegram_id_of(TOKEN)
        assert set(keys) == {f"telegram:{bot_id}:{update_id}" for update_id in self.texts}
        assert max(keys.values()) == 1

    def assert_answered_in_order(self) -> Counter:
        """Each chat got each answer in the order of its messages; the answers sent again."""
        repeated = Counter()
        for chat, texts in self.replies().items():
            assert list(dict.fromkeys(texts)) == [f"re: {text}" for text in self.chats[chat]]
            repeated.update({text: times - 1 for text, times in Counter(texts).items()})
        return +repeated
