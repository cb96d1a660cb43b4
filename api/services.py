"""Writes of the API's tokens: issuing one, revoking, and counting requests against a rate."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from api.models import SECRET_PREFIX, SHOWN_PREFIX_LENGTH, ApiToken

WINDOW = timedelta(minutes=1)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_issue(*, token: ApiToken) -> str:
    """Save a new token with a fresh secret and return the secret: the one time it is known,
    since only its hash is kept."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token.prefix = secret[:SHOWN_PREFIX_LENGTH]
    token.secret_hash = secret_hash(secret)
    token.save()
    return secret


def tokens_revoke(*, token_ids) -> int:
    """Revoke tokens still valid: from now on they are refused. Returns how many."""
    rows = ApiToken.objects.filter(pk__in=token_ids, revoked_at__isnull=True)
    return rows.update(revoked_at=timezone.now())


def token_admit(*, token_id: int, rate_per_minute: int, now: datetime) -> float | None:
    """Count a request of the token in the current minute: None when it may go on, else the
    seconds until the next minute starts.

    The window lives in the token's row and changes only by conditional UPDATEs, so any
    number of web processes count together: of two requests racing for the last place, one
    gets it; of two starting a new minute, one starts it and the other counts in it.
    """
    minute = now.replace(second=0, microsecond=0)
    tokens = ApiToken.objects.filter(pk=token_id)
    counted = {"window_requests": F("window_requests") + 1, "last_used_at": now}
    in_window = tokens.filter(window_start=minute, window_requests__lt=rate_per_minute)
    if in_window.update(**counted):
        return None
    started = tokens.exclude(window_start=minute).update(
        window_start=minute, window_requests=1, last_used_at=now
    )
    if started or in_window.update(**counted):
        return None
    return (minute + WINDOW - now).total_seconds()
