"""The VK API over plain httpx: the five methods the channel needs and the Bots Long Poll.

Plain httpx rather than vkbottle: the assistant needs five methods, its own timeouts, retries
and outcomes (as for Telegram), and no second framework's event loop, models and routing
between VK and the use cases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

API_VERSION = "5.199"
#: VK's error codes the channel acts on (https://dev.vk.com/ru/reference/errors).
TOO_MANY_REQUESTS = 6
FLOOD_CONTROL = 9
INTERNAL_ERROR = 10
CANNOT_SEND = frozenset({7, 900, 901, 902})
RETRIED = frozenset({TOO_MANY_REQUESTS, FLOOD_CONTROL, INTERNAL_ERROR})


class VkError(Exception):
    """VK refused a call (`code`, VK's message) or could not be reached (`code` 0)."""

    def __init__(self, code: int, message: str):
        super().__init__(f"VK error {code}: {message}")
        self.code = code
        self.message = message

    @property
    def retried(self) -> bool:
        return self.code in RETRIED or self.code == 0


@dataclass(frozen=True)
class LongPollServer:
    server: str
    key: str
    ts: str


@dataclass(frozen=True)
class Batch:
    """One answer of the long poll: the events and the position after them; `failed` is
    VK's 1 (history lost: go on from `ts`), 2 (key expired) or 3 (key and history lost)."""

    ts: str
    updates: tuple[dict, ...] = ()
    failed: int = 0


class VkApi:
    """One community's calls, with its access key; `base_url` is VK's (a fake in tests)."""

    def __init__(self, token: str, *, base_url: str, timeout: float = 15.0):
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0))

    async def close(self) -> None:
        await self.http.aclose()

    async def call(self, method: str, **params) -> object:
        """`method`'s response; raises `VkError` (code 0 when VK could not be reached)."""
        data = {key: _form(value) for key, value in params.items() if value is not None}
        data.update(access_token=self.token, v=API_VERSION)
        try:
            response = await self.http.post(f"{self.base_url}/method/{method}", data=data)
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise VkError(0, type(error).__name__) from error
        if "error" in body:
            error = body["error"]
            raise VkError(int(error.get("error_code", 0)), str(error.get("error_msg", "")))
        return body.get("response")

    async def long_poll_server(self, group_id: int) -> LongPollServer:
        answer = await self.call("groups.getLongPollServer", group_id=group_id)
        return LongPollServer(str(answer["server"]), str(answer["key"]), str(answer["ts"]))

    async def poll(self, server: LongPollServer, ts: str, wait: int) -> Batch:
        """The events after `ts`, waiting up to `wait` seconds for the first."""
        try:
            response = await self.http.get(
                server.server,
                params={"act": "a_check", "key": server.key, "ts": ts, "wait": wait},
                timeout=wait + 10,
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise VkError(0, type(error).__name__) from error
        if "failed" in body:
            return Batch(str(body.get("ts", ts)), failed=int(body["failed"]))
        return Batch(str(body["ts"]), tuple(body.get("updates") or ()))


def _form(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
