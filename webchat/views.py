"""The web chat's HTTP side: the loader script a site embeds, the chat window (a frame only
the site's allowed origins may show), and the window's requests.

A message, a press or the contact form answers with a stream of JSON lines while the use case
runs (`WebChannel`); under an ASGI server they arrive as they are written. The use case runs
to its end even if the window goes away: what it says is stored and fetched later.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from assistant import usecases
from assistant.runtime import Runtime
from assistant.usecases.exchange import supported_language
from bot.staff_side import StaffSides
from bots.selectors import bot_info
from conversations.models import Contact, Message
from core.db import db_call
from webchat import selectors, services
from webchat.channel import WebChannel
from webchat.selectors import SiteInfo
from webchat.visitors import HEADER, new_visitor, visitor_of

logger = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent / "assets"
ASSET_TYPES = {
    "widget.js": "text/javascript; charset=utf-8",
    "chat.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
}
#: Use cases still running for a window that stopped reading (kept so they finish).
RUNNING: set[asyncio.Task] = set()


@dataclass
class LoopServices:
    """What the use cases need, made once per event loop (the clients are bound to it): the
    LLM clients and flood limits, and the bots' staff chats."""

    runtime: Runtime
    staff_sides: StaffSides

    async def close(self) -> None:
        await self.runtime.close()
        await self.staff_sides.close()


_services: dict[asyncio.AbstractEventLoop, LoopServices] = {}


class Refused(Exception):
    """A window's request that is not taken: its status and the sentence the window shows."""

    def __init__(self, status: int, error: str, retry_after: float = 0):
        super().__init__(error)
        self.status, self.error, self.retry_after = status, error, retry_after

    def response(self) -> JsonResponse:
        response = JsonResponse({"error": self.error}, status=self.status)
        if self.retry_after:
            response["Retry-After"] = str(max(1, round(self.retry_after)))
        return response


def loop_services() -> LoopServices:
    """This event loop's services (`make run`'s development server runs each request in a
    loop of its own: those of loops that are gone are forgotten)."""
    loop = asyncio.get_running_loop()
    if loop not in _services:
        for stale in [known for known in _services if known.is_closed()]:
            del _services[stale]
        _services[loop] = LoopServices(Runtime.from_settings(), StaffSides())
    return _services[loop]


@cache
def _asset(name: str) -> tuple[bytes, str]:
    body = (ASSETS / name).read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:16]


@require_GET
def asset(request: HttpRequest, name: str) -> HttpResponse:
    """The loader, the window's script and its stylesheet: served here, no CDN, no build."""
    if name not in ASSET_TYPES:
        raise Http404
    body, etag = _asset(name)
    if request.headers.get("If-None-Match") == f'"{etag}"':
        return HttpResponse(status=304)
    response = HttpResponse(body, content_type=ASSET_TYPES[name])
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _site(key: str) -> SiteInfo:
    site = selectors.site_by_key(key=key)
    if site is None:
        raise Http404
    return site


def _language(site: SiteInfo, requested: str) -> str:
    return supported_language(requested, bot_info(bot_id=site.bot_id))


@require_GET
def site_config(request: HttpRequest, key: str) -> JsonResponse:
    """What the loader needs to draw the button, for the site's allowed origins only (CORS)."""
    site = _site(key)
    origin = request.headers.get("Origin", "")
    if not site.is_active or not site.allows(origin):
        return JsonResponse({"error": "This site may not show the chat."}, status=403)
    language = _language(site, request.GET.get("lang", ""))
    with translation.override(language):
        response = JsonResponse(
            {
                "title": site.window_title(),
                "colour": site.accent_colour,
                "open_label": _("Chat with us"),
                "close_label": _("Close the chat"),
                "language": language,
            }
        )
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


@xframe_options_exempt
@require_GET
def window(request: HttpRequest, key: str) -> HttpResponse:
    """The chat window, shown in a frame by the allowed origins only (CSP frame-ancestors)."""
    site = _site(key)
    language = _language(site, request.GET.get("lang", ""))
    with translation.override(language):
        response = render(
            request,
            "webchat/window.html",
            {
                "site": site,
                "language": language,
                "settings": {
                    "key": site.key,
                    "base": request.path,
                    "open": site.is_active,
                    "greeting": selectors.greeting(site, language),
                    "max_chars": site.max_message_chars,
                    "language": language,
                    "privacy_url": settings.PRIVACY_POLICY_URL,
                    "texts": _window_texts(),
                },
            },
        )
    ancestors = " ".join(site.origins) if site.is_active else "'none'"
    response["Content-Security-Policy"] = (
        f"default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors {ancestors}"
    )
    response["Cache-Control"] = "no-store"
    return response


def _window_texts() -> dict:
    """What the window's script says itself, in the window's language."""
    return {
        "thinking": _("Thinking…"),
        "services": _("Services and prices"),
        "contact": _("Leave a contact"),
        "operator": _("Talk to a person"),
        "failed": _("The message did not go through. Please check your connection and try again."),
        "operator_label": _("Operator"),
    }


def _same_origin(request: HttpRequest) -> bool:
    """Requests come from the window, which this server serves: another site's page may not
    post into a visitor's conversation."""
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.get_host()}"


async def _open_site(request: HttpRequest, key: str) -> SiteInfo:
    if not _same_origin(request):
        raise Refused(403, "Requests come from the chat window only.")
    site = await db_call(selectors.site_by_key)(key=key)
    if site is None:
        raise Refused(404, _("This chat does not exist."))
    if not site.is_active:
        raise Refused(403, _("This chat is closed."))
    return site


def _visitor(request: HttpRequest, site: SiteInfo) -> str:
    visitor = visitor_of(request.headers.get(HEADER, ""), site.key)
    if visitor is None:
        raise Refused(401, _("Please reload the page."))
    return visitor


@csrf_exempt
@require_POST
async def visitor(request: HttpRequest, key: str) -> JsonResponse:
    """A new visitor's signed id, which the window keeps."""
    try:
        site = await _open_site(request, key)
    except Refused as refused:
        return refused.response()
    return JsonResponse({"visitor": new_visitor(site.key)})


@require_GET
async def messages(request: HttpRequest, key: str) -> JsonResponse:
    """The visitor's messages after `after` (the latest page when 0); fetched ones that were
    kept for the window count as delivered."""
    try:
        site = await _open_site(request, key)
        visitor = _visitor(request, site)
        after = int(request.GET.get("after") or 0)
    except Refused as refused:
        return refused.response()
    except ValueError:
        return JsonResponse({"error": "after: a message id"}, status=400)
    shown = await db_call(_messages_for)(site, visitor, after)
    return JsonResponse({"messages": shown})


def _messages_for(site: SiteInfo, visitor: str, after: int) -> list[dict]:
    contact_id = selectors.visitor_contact_id(site, visitor)
    if contact_id is None:
        return []
    shown = selectors.visitor_messages(contact_id=contact_id, after_id=after)
    services.messages_fetched(message_ids=[message["id"] for message in shown])
    return shown


def _json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except RequestDataTooBig as error:
        raise Refused(413, "The request is too large.") from error
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise Refused(400, "The body must be a JSON object.")
    return body


def _text(body: dict, name: str) -> str:
    value = body.get(name, "")
    return value if isinstance(value, str) else ""


def _address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


async def _admit(request: HttpRequest, site: SiteInfo, visitor: str) -> None:
    wait = await db_call(services.sending_count)(
        site=site, visitor=visitor, address=_address(request), now=timezone.now()
    )
    if wait:
        raise Refused(429, _("You are writing too fast. Please wait a moment and try again."), wait)


def _incoming(site: SiteInfo, visitor: str, body: dict, text: str, kind: str):
    message_id = _text(body, "id")[:40]
    return usecases.Incoming(
        channel=Contact.Channel.WEB,
        external_id=visitor,
        text=text,
        content_type=kind,
        language_code=_text(body, "language"),
        bot_id=site.bot_id,
        event_key=usecases.event_key("web", site.id, visitor, message_id) if message_id else None,
    )


def _stream(site: SiteInfo, incoming, act) -> StreamingHttpResponse:
    """Run `act` for `incoming`, streaming what the window is told as JSON lines."""
    channel = WebChannel()
    language = translation.get_language()

    async def run() -> None:
        try:
            here = loop_services()
            bot = await db_call(bot_info)(bot_id=site.bot_id)
            channel.staff = await here.staff_sides.channel(bot)
            await usecases.handle(incoming, channel, here.runtime, act)
        except Exception:
            logger.exception("A web chat message could not be handled")
            with translation.override(language):
                apology = _("Sorry, something went wrong. Please try again.")
            channel.put({"kind": "error", "text": apology})
        finally:
            channel.end()

    async def lines():
        task = asyncio.ensure_future(run())
        RUNNING.add(task)
        task.add_done_callback(RUNNING.discard)
        try:
            async for event in channel.events():
                yield json.dumps(event, ensure_ascii=False) + "\n"
        finally:
            channel.gone()

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response


async def _take(request: HttpRequest, key: str, read) -> HttpResponse:
    """The common path of the window's writes: the site, the visitor, the body, the limits;
    `read(site, body)` gives the text to store, its kind and the use case."""
    try:
        site = await _open_site(request, key)
        visitor = _visitor(request, site)
        body = _json_body(request)
        text, kind, act = read(site, body)
        await _admit(request, site, visitor)
    except Refused as refused:
        return refused.response()
    return _stream(site, _incoming(site, visitor, body, text, kind), act)


def _message(site: SiteInfo, body: dict):
    text = _text(body, "text").strip()
    if not text:
        raise Refused(400, _("Please write your message first."))
    if len(text) > site.max_message_chars:
        raise Refused(
            413,
            _("This message is too long: up to %(count)d characters, please.")
            % {"count": site.max_message_chars},
        )
    if text.startswith("/"):
        return text, Message.ContentType.COMMAND, usecases.command_act(text)
    return text, Message.ContentType.TEXT, usecases.answer_text


def _press(site: SiteInfo, body: dict):
    action, label = _text(body, "action")[:64], _text(body, "label").strip()[:200]
    return label or action, Message.ContentType.CALLBACK, usecases.press_act(action)


def _contact(site: SiteInfo, body: dict):
    if body.get("consent") is not True:
        raise Refused(400, _("Please agree to the processing of your personal data first."))
    phone, email = _text(body, "phone").strip()[:40], _text(body, "email").strip()[:254]

    async def act(exchange):
        await usecases.contact_form(exchange, phone, email)

    return ", ".join(part for part in (phone, email) if part), Message.ContentType.CONTACT, act


@csrf_exempt
@require_POST
async def send(request: HttpRequest, key: str) -> HttpResponse:
    return await _take(request, key, _message)


@csrf_exempt
@require_POST
async def press(request: HttpRequest, key: str) -> HttpResponse:
    return await _take(request, key, _press)


@csrf_exempt
@require_POST
async def contact(request: HttpRequest, key: str) -> HttpResponse:
    return await _take(request, key, _contact)
