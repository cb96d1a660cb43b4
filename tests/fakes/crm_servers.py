"""Loopback fakes of what CRM delivery talks to: a webhook receiver and Bitrix24's REST API.

Each checks every request against the documented format and answers a malformed one as the
real service would (Bitrix24: `{"error", "error_description"}` with status 400), records what it
accepted, and can be down on demand: answering 503, cutting the connection before answering,
or taking the request and then cutting the connection (the sender cannot know it arrived).

Where they differ from the real services: Bitrix24 ignores fields it does not know, the fake
refuses them (so a misspelt field fails a test instead of vanishing); it keeps only the lead
methods the integration uses.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.fakes._http import LoopbackServer

#: How a fake is down: answers 503, cuts the connection, takes the request and then cuts,
#: a proxy in front of it answers 200 with a page of its own, or it never answers (until the
#: fake stops).
DOWN_MODES = ("503", "cut", "swallow", "page", "hang")


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class _DownableServer(LoopbackServer):
    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()
        self.requests: list[Request] = []
        self.down: str | None = None

    def handle(self, exchange):
        request = Request(exchange.path, dict(exchange.headers), exchange.read_body())
        with self.lock:
            self.requests.append(request)
            down = self.down
        if down == "503":
            self.busy(exchange)
        elif down == "cut":
            exchange.abort()
        elif down == "hang":
            self.closing.wait()
            exchange.abort()
        elif down == "page":
            page = b"<html><body>Maintenance</body></html>"
            exchange.send_response(200)
            exchange.send_header("Content-Type", "text/html")
            exchange.send_header("Content-Length", str(len(page)))
            exchange.end_headers()
            exchange.wfile.write(page)
        else:
            status, answer = self.answer(request)
            if down == "swallow":
                exchange.abort()
            else:
                exchange.send_json(status, answer)

    def busy(self, exchange):
        exchange.send_json(503, {"error": "unavailable"})

    def answer(self, request: Request) -> tuple[int, object]:
        raise NotImplementedError


# --- The generic webhook -------------------------------------------------------------------

#: The documented schema: the fake checks bodies against it, so the document stays true.
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "crm_webhook.schema.json").read_text()
)
EVENT = SCHEMA["properties"]["event"]
LEAD = SCHEMA["properties"]["lead"]
CARD_ENTRY = LEAD["properties"]["card"]["items"]


class FakeWebhookReceiver(_DownableServer):
    """A receiver as the README tells one to write: it checks the signature over the raw body
    (401 when wrong), the schema (400), and keeps each event once by its idempotency key."""

    #: The secret `tests.factories.IntegrationFactory` stores by default.
    secret = "webhook-secret-123"

    def __init__(self):
        super().__init__()
        self.accepted: list[dict] = []
        #: When each accepted event arrived (`time.time()`, for the benchmark's delays).
        self.arrived_at: list[float] = []
        self._seen: set[str] = set()

    @property
    def url(self) -> str:
        return f"{self.root_url}/hooks/leads"

    def answer(self, request: Request) -> tuple[int, object]:
        expected = hmac.new(self.secret.encode(), request.body, hashlib.sha256).hexdigest()
        given = request.headers.get("X-Signature-SHA256", "")
        if not hmac.compare_digest(expected, given):
            return 401, {"error": "bad signature"}
        document = request.json()
        problem = schema_problem(document, request.headers)
        if problem:
            return 400, {"error": problem}
        key = request.headers["X-Idempotency-Key"]
        with self.lock:
            if key in self._seen:
                return 200, {"duplicate": True}
            self._seen.add(key)
            self.accepted.append(document)
            self.arrived_at.append(time.time())
        return 200, {"ok": True}

    def kinds(self) -> list[str]:
        return [document["event"]["kind"] for document in self.accepted]


def schema_problem(document, headers) -> str:
    """What is wrong with a webhook body by docs/crm_webhook.schema.json ('' when nothing): its
    keys, constants and enumerations (the fake's own reading of the schema)."""
    if set(document) != set(SCHEMA["required"]):
        return "top-level keys"
    if any(document[name] != SCHEMA["properties"][name]["const"] for name in ("schema", "version")):
        return "schema or version"
    event, lead = document["event"], document["lead"]
    if set(event) != set(EVENT["required"]) or event["id"] != headers.get("X-Idempotency-Key"):
        return "event keys or id"
    if event["kind"] not in EVENT["properties"]["kind"]["enum"]:
        return "event kind"
    if (
        set(lead) != set(LEAD["required"])
        or lead["status"] not in LEAD["properties"]["status"]["enum"]
    ):
        return "lead keys or status"
    if any(set(entry) != set(CARD_ENTRY["required"]) for entry in lead["card"]):
        return "card entry"
    return ""


# --- Bitrix24 --------------------------------------------------------------------------------

#: The lead's fields the integration may send (crm.lead.fields), besides UF_CRM_* ones.
BITRIX_LEAD_FIELDS = {
    "TITLE": str,
    "NAME": str,
    "LAST_NAME": str,
    "SECOND_NAME": str,
    "SOURCE_ID": str,
    "SOURCE_DESCRIPTION": str,
    "COMMENTS": str,
    "OPPORTUNITY": (int, float, str),
    "CURRENCY_ID": str,
    "PHONE": list,
    "EMAIL": list,
}
MULTI_FIELD_TYPES = {
    "PHONE": {"WORK", "MOBILE", "FAX", "HOME", "PAGER", "MAILING", "OTHER"},
    "EMAIL": {"WORK", "HOME", "MAILING", "OTHER"},
}
USER_FIELD = re.compile(r"^UF_CRM_[A-Z0-9_]+$")
METHOD_PATH = re.compile(r"^/rest/(\d+)/([A-Za-z0-9]+)/(crm\.lead\.(?:add|update))\.json$")


def bitrix_error(status: int, code: str, description: str) -> tuple[int, dict]:
    return status, {"error": code, "error_description": description}


class FakeBitrix24(_DownableServer):
    """A portal's REST API through an incoming webhook of user 1 with code `code`."""

    def __init__(self, code: str = "a1b2c3d4e5f6"):
        super().__init__()
        self.code = code
        self.leads: dict[int, dict] = {}
        self._ids = itertools.count(101)

    @property
    def url(self) -> str:
        return f"{self.root_url}/rest/1/"

    def busy(self, exchange):
        exchange.send_json(503, {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many"})

    def answer(self, request: Request) -> tuple[int, object]:
        match = METHOD_PATH.match(request.path)
        if match is None:
            return bitrix_error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
        if match.group(2) != self.code:
            return bitrix_error(401, "INVALID_CREDENTIALS", "Invalid request credentials")
        try:
            body = request.json()
        except ValueError:
            return bitrix_error(400, "INVALID_REQUEST", "The body is not JSON")
        problem = self._fields_problem(body.get("fields"))
        if problem:
            return bitrix_error(400, "INVALID_ARG_VALUE", problem)
        if match.group(3) == "crm.lead.add":
            return self._add(body)
        return self._update(body)

    def _add(self, body) -> tuple[int, dict]:
        if set(body) - {"fields", "params"} or body.get("params", {}) != {
            "REGISTER_SONET_EVENT": "Y"
        }:
            return bitrix_error(400, "INVALID_ARG_VALUE", "Unexpected parameters")
        with self.lock:
            lead_id = next(self._ids)
            self.leads[lead_id] = self._merged({}, body["fields"])
        return 200, {"result": lead_id, "time": {"start": 0, "finish": 0}}

    def _update(self, body) -> tuple[int, dict]:
        if set(body) != {"id", "fields"} or not isinstance(body["id"], int):
            return bitrix_error(400, "INVALID_ARG_VALUE", "ID is not defined or invalid.")
        with self.lock:
            if body["id"] not in self.leads:
                return bitrix_error(400, "", "Not found")
            self.leads[body["id"]] = self._merged(self.leads[body["id"]], body["fields"])
        return 200, {"result": True, "time": {"start": 0, "finish": 0}}

    @staticmethod
    def _merged(lead: dict, fields: dict) -> dict:
        """Multi-fields (phones, e-mails) without an ID are added, as Bitrix24 does."""
        merged = {**lead, **fields}
        for name in MULTI_FIELD_TYPES:
            if name in fields:
                merged[name] = [*lead.get(name, []), *fields[name]]
        return merged

    @staticmethod
    def _fields_problem(fields) -> str:
        if not isinstance(fields, dict) or not fields:
            return "fields must be a non-empty object"
        for name, value in fields.items():
            kind = BITRIX_LEAD_FIELDS.get(name)
            if kind is None and not USER_FIELD.match(name):
                return f"unknown field {name}"
            if kind is not None and not isinstance(value, kind):
                return f"{name} has the wrong type"
            if name in MULTI_FIELD_TYPES:
                for item in value:
                    if set(item) != {"VALUE", "VALUE_TYPE"} or not item["VALUE"]:
                        return f"{name} items are {{VALUE, VALUE_TYPE}}"
                    if item["VALUE_TYPE"] not in MULTI_FIELD_TYPES[name]:
                        return f"{name} VALUE_TYPE {item['VALUE_TYPE']} is unknown"
        return ""
