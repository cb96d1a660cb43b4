"""Readiness beyond a reachable database: the inbox is being worked off."""

from __future__ import annotations

import dataclasses

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from bot.inbox import inbox_oldest_waiting


@dataclasses.dataclass
class InboxLag(HealthCheck):
    """Ready while the oldest update waiting in the inbox is younger than `READY_MAX_QUEUE_AGE`.

    An inbox nobody works off (no bot or worker running, or all of them stuck) means people
    wait for answers, however well the web process itself is doing.
    """

    async def run(self) -> None:
        try:
            oldest = await sync_to_async(inbox_oldest_waiting)()
        except DatabaseError as error:
            raise ServiceUnavailable("the inbox cannot be read") from error
        if oldest is None:
            return
        age = (timezone.now() - oldest).total_seconds()
        if age > settings.READY_MAX_QUEUE_AGE:
            raise ServiceUnavailable(f"the oldest waiting update came {age:.0f} s ago")
