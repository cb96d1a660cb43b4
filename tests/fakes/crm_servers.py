"""Loopback fakes of what CRM delivery talks to: a webhook receiver, Bitrix24's REST API and
amoCRM's API v4.

Each checks every request against the documented format and answers a malformed one as the
real service would (Bitrix24: `{"error", "error_description"}` with status 400; amoCRM:
problem+json with `validation-errors`), records what it accepted, and can be down on demand
(`down`, one of `DOWN_MODES`): answering 503 (Bitrix24: QUERY_LIMIT_EXCEEDED; amoCRM: 429),
cutting the connection before answering, taking the request and then cutting the connection
(the sender cannot know it arrived), answering 200 with a proxy's page or JSON, or not
answering.

Where they differ from the real services: Bitrix24 ignores fields it does not know, the fakes
refuse them (so a misspelt field fails a test instead of vanishing); they keep only the
methods the integrations use.
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
#: a proxy in front of it answers 200 with a page of its own or with JSON of its own, or it
#: never answers (until the fake stops).
DOWN_MODES = ("503", "cut", "swallow", "page", "odd", "hang")


@dataclass(frozen=True)
class Request:
    method: str
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
        request = Request(
            exchange.command, exchange.path, dict(exchange.headers), exchange.read_body()
        )
        with self.lock:
            self.requests.append(request)
            down = self.down
        if down == "503":
            self.busy(exchange)
        elif down == "cut":
            exchange.abort()
        elif down == "odd":
            exchange.send_json(200, {"status": "ok"})
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


# --- amoCRM ----------------------------------------------------------------------------------

AMO_PATHS = {
    ("POST", re.compile(r"^/api/v4/leads/complex$")): "complex",
    ("PATCH", re.compile(r"^/api/v4/leads/(\d+)$")): "lead",
    ("PATCH", re.compile(r"^/api/v4/contacts/(\d+)$")): "contact",
    ("POST", re.compile(r"^/api/v4/leads/(\d+)/notes$")): "notes",
}
AMO_ENUM_CODES = {"WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER", "PRIV"}


def amo_problem(status: int, title: str, detail: str, errors=None) -> tuple[int, dict]:
    """amoCRM's error: application/problem+json."""
    problem = {"title": title, "type": f"https://httpstatus.es/{status}", "status": status}
    problem["detail"] = detail
    if errors is not None:
        problem["validation-errors"] = errors
    return status, problem


class FakeAmoCrm(_DownableServer):
    """An account's API v4 for the long-lived token `token`: deals with one contact, notes."""

    token = "amo-long-lived-token-1"

    def __init__(self):
        super().__init__()
        self.leads: dict[int, dict] = {}
        self.contacts: dict[int, dict] = {}
        self.notes: dict[int, list[str]] = {}
        #: Routes ("complex", "lead", "contact", "notes") that answer 500 while listed.
        self.failing: set[str] = set()
        self._ids = itertools.count(5001)

    @property
    def url(self) -> str:
        return self.root_url

    def busy(self, exchange):
        status, problem = amo_problem(429, "Too Many Requests", "Rate limit exceeded")
        exchange.send_json(status, problem)

    def answer(self, request: Request) -> tuple[int, object]:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return amo_problem(401, "Unauthorized", "Invalid token")
        for (method, pattern), route in AMO_PATHS.items():
            match = pattern.match(request.path)
            if match and method == request.method:
                if route in self.failing:
                    return amo_problem(500, "Internal Server Error", "Try again later")
                try:
                    body = request.json()
                except ValueError:
                    return amo_problem(400, "Bad Request", "Request body is not JSON")
                with self.lock:
                    return getattr(self, f"_{route}")(body, *map(int, match.groups()))
        return amo_problem(404, "Not Found", "Method not found")

    def _complex(self, body, *ids):
        if not isinstance(body, list) or len(body) != 1:
            return amo_problem(400, "Bad Request", "An array of leads", [])
        deal = body[0]
        contacts = deal.get("_embedded", {}).get("contacts", [])
        problem = self._deal_problem(deal, extra={"_embedded"}) or (
            len(contacts) > 1 and "at most one contact"
        )
        problem = problem or (contacts and self._contact_problem(contacts[0]))
        if problem:
            return amo_problem(400, "Bad Request", "Request validation failed", [problem])
        lead_id, contact_id = next(self._ids), next(self._ids)
        self.leads[lead_id] = {k: v for k, v in deal.items() if k != "_embedded"}
        if contacts:
            self.contacts[contact_id] = contacts[0]
        answer = {"id": lead_id, "contact_id": contact_id if contacts else None}
        return 200, [{**answer, "company_id": None, "request_id": ["0"], "merged": False}]

    def _lead(self, body, lead_id):
        problem = self._deal_problem(body)
        if problem:
            return amo_problem(400, "Bad Request", "Request validation failed", [problem])
        if lead_id not in self.leads:
            return amo_problem(404, "Not Found", "Lead not found")
        self.leads[lead_id] = {**self.leads[lead_id], **body}
        return 200, {"id": lead_id, "updated_at": 0}

    def _contact(self, body, contact_id):
        problem = self._contact_problem(body)
        if problem:
            return amo_problem(400, "Bad Request", "Request validation failed", [problem])
        if contact_id not in self.contacts:
            return amo_problem(404, "Not Found", "Contact not found")
        self.contacts[contact_id] = {**self.contacts[contact_id], **body}
        return 200, {"id": contact_id, "updated_at": 0}

    def _notes(self, body, lead_id):
        if lead_id not in self.leads:
            return amo_problem(404, "Not Found", "Lead not found")
        valid = isinstance(body, list) and all(
            note.get("note_type") == "common"
            and isinstance(note.get("params", {}).get("text"), str)
            for note in body
        )
        if not valid:
            return amo_problem(400, "Bad Request", "Request validation failed", ["notes"])
        self.notes.setdefault(lead_id, []).extend(note["params"]["text"] for note in body)
        return 200, {"_embedded": {"notes": [{"id": next(self._ids), "entity_id": lead_id}]}}

    @staticmethod
    def _deal_problem(deal, extra=frozenset()) -> str:
        if not isinstance(deal, dict) or set(deal) - {"name", "custom_fields_values", *extra}:
            return "deal keys"
        for field in deal.get("custom_fields_values", []):
            if set(field) != {"field_id", "values"} or not isinstance(field["field_id"], int):
                return "custom field"
            if any(set(value) != {"value"} for value in field["values"]):
                return "custom field value"
        return ""

    @staticmethod
    def _contact_problem(contact) -> str:
        allowed = {"first_name", "last_name", "custom_fields_values"}
        if not isinstance(contact, dict) or set(contact) - allowed:
            return "contact keys"
        for field in contact.get("custom_fields_values", []):
            if field.get("field_code") not in {"PHONE", "EMAIL"} or set(field) != {
                "field_code",
                "values",
            }:
                return "contact field"
            for value in field["values"]:
                if set(value) != {"value", "enum_code"} or value["enum_code"] not in AMO_ENUM_CODES:
                    return "contact field value"
        return ""
