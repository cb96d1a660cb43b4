"""Telegram's side of a webhook: updates the fake Bot API holds, posted to the bot's webhook.

The fake Telegram (`telegram_server`) does not post updates itself; `WebhookPoster` takes each
one out of its queue (`FakeTelegram.hand_out`) and posts it as Telegram does. Used by the
process tests (`tests/processes`) and the benchmarks (`bench/scale_out.py`).

Not emulated: Telegram's growing pause between attempts and its `Retry-After` handling (a post
not answered 200 is simply tried again after `RETRY_SECONDS`), https, and dropping an update
after 24 hours (here: after `GIVE_UP_SECONDS`).
"""

import http.client
import json
import queue
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

#: Telegram's default number of simultaneous webhook connections (setWebhook max_connections).
CONNECTIONS = 40
#: A post not answered 200 is tried again after this pause, for this long at most.
RETRY_SECONDS = 0.1
GIVE_UP_SECONDS = 60.0
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookPoster:
    """Posts updates to a webhook as Telegram does: up to `connections` requests at once,
    one chat's updates one after another (a chat always uses the same connection) over
    kept-alive connections, each posted again after a pause until the webhook answers 200.

    An update is handed out of the fake's queue when it is first posted, so the fake's
    `delivered_at` is when the webhook was first asked to take it. `refused` counts the posts
    not answered 200 by status code or error name; `stored_at` is when each update was
    answered 200 (`time.monotonic()`).
    """

    def __init__(self, telegram, *, url: str, secret: str, connections: int = CONNECTIONS):
        self.telegram = telegram
        self.address = urlsplit(url)
        self.headers = {"Content-Type": "application/json", SECRET_HEADER: secret}
        self.refused: Counter = Counter()
        self.stored_at: dict[int, float] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._queues = [queue.Queue() for _ in range(connections)]
        self._threads = [
            threading.Thread(target=self._post_each, args=(updates,), daemon=True)
            for updates in self._queues
        ]
        for thread in self._threads:
            thread.start()

    def post(self, chat: int, update_id: int) -> None:
        self._queues[chat % len(self._queues)].put(update_id)

    def close(self) -> None:
        """Post what is queued (each until it is answered 200 or given up), then stop."""
        self._join()

    def stop(self) -> None:
        """Stop posting now; what is queued or being posted again is left (a test's end)."""
        self._stopping.set()
        self._join()

    def _join(self) -> None:
        for updates in self._queues:
            updates.put(None)
        for thread in self._threads:
            thread.join()

    def _post_each(self, updates: queue.Queue) -> None:
        connection = http.client.HTTPConnection(self.address.hostname, self.address.port)
        while (update_id := updates.get()) is not None and not self._stopping.is_set():
            body = json.dumps(self.telegram.hand_out(update_id)).encode()
            give_up = time.monotonic() + GIVE_UP_SECONDS
            while (outcome := self._post(connection, body)) != 200:
                with self._lock:
                    self.refused[str(outcome)] += 1
                connection.close()  # reconnects on the next request
                if time.monotonic() > give_up or self._stopping.wait(RETRY_SECONDS):
                    break
            else:
                self.stored_at[update_id] = time.monotonic()
        connection.close()

    def _post(self, connection: http.client.HTTPConnection, body: bytes) -> int | str:
        """The webhook's status code, or the error's name. A kept-alive connection the server
        closed while it was idle is opened again at once, as HTTP clients do."""
        for attempt in range(2):
            try:
                connection.request("POST", self.address.path, body=body, headers=self.headers)
                response = connection.getresponse()
                response.read()
                return response.status
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                connection.close()
                if attempt:
                    return type(error).__name__
            except (OSError, http.client.HTTPException) as error:
                return type(error).__name__
