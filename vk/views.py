"""VK's Callback API: VK posts a community's events here (webhook mode).

The server answers VK's confirmation request with the community's code, refuses a post
without the community's secret (compared in constant time), and answers "ok" only once the
event is stored: anything else and VK posts it again. The bot process serving the community
handles it, as a long-polled one.
"""

from __future__ import annotations

import hmac
import json
import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.db import db_call
from vk import selectors, services

logger = logging.getLogger(__name__)

#: A post larger than this is not an event VK sends.
MAX_BYTES = 256 * 1024


@csrf_exempt
@require_POST
async def callback(request: HttpRequest, community_id: int) -> HttpResponse:
    community = await db_call(selectors.community_by_id)(community_id=community_id)
    if community is None or not community.callback_api:
        return HttpResponse("unknown community", status=404, content_type="text/plain")
    if len(request.body) > MAX_BYTES:
        return HttpResponse("too large", status=413, content_type="text/plain")
    try:
        event = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        event = None
    if not isinstance(event, dict) or event.get("group_id") != community.group_id:
        return HttpResponse("not an event of this community", status=400, content_type="text/plain")
    if event.get("type") == "confirmation":
        return HttpResponse(community.confirmation_code, content_type="text/plain")
    secret = str(event.get("secret", ""))
    if not community.callback_secret or not hmac.compare_digest(
        secret.encode(), community.callback_secret.encode()
    ):
        return HttpResponse("wrong secret", status=403, content_type="text/plain")
    try:
        await db_call(services.events_store)(community_id=community.id, events=[event])
    except DatabaseError as error:
        logger.warning("A VK event could not be stored (VK posts it again): %s", error)
        return HttpResponse("try again", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
