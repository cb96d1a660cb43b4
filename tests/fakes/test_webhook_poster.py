"""The webhook poster posts as Telegram does: each update until it is answered 200, one
chat's updates in order, with the secret header."""

import json
import threading

from tests.fakes._http import LoopbackServer
from tests.fakes.webhook_poster import SECRET_HEADER, WebhookPoster

SECRET = "poster-secret"


class Webhook(LoopbackServer):
    """Answers the first `refusals` posts 503, then 200; records what it took."""

    def __init__(self, refusals: int):
        super().__init__()
        self.refusals = refusals
        self.taken: list[tuple[int, int]] = []  # (chat, update id), in the order answered 200
        self.secrets: set[str] = set()
        self._lock = threading.Lock()

    def handle(self, exchange):
        update = json.loads(exchange.read_body())
        with self._lock:
            self.secrets.add(exchange.headers.get(SECRET_HEADER))
            refused = self.refusals > 0
            self.refusals -= refused
            if not refused:
                self.taken.append((update["message"]["chat"]["id"], update["update_id"]))
        exchange.send_json(503 if refused else 200, {})


def test_each_update_is_posted_until_taken_and_a_chat_in_order(fake_telegram):
    pushed = {
        chat: [fake_telegram.push_message(chat, f"m{n}") for n in range(3)] for chat in (1, 2)
    }
    with Webhook(refusals=3) as webhook:
        poster = WebhookPoster(
            fake_telegram, url=f"{webhook.root_url}/hook/", secret=SECRET, connections=2
        )
        for n in range(3):
            for chat, updates in pushed.items():
                poster.post(chat, updates[n])
        poster.close()

    assert poster.refused == {"503": 3}
    for chat, updates in pushed.items():
        assert [update for taken_chat, update in webhook.taken if taken_chat == chat] == updates
    assert set(poster.stored_at) == {update for updates in pushed.values() for update in updates}
    assert webhook.secrets == {SECRET}
    assert fake_telegram.pending_update_count() == 0
