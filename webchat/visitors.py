"""Who is at a window: a visitor id signed by the server for one site.

The window keeps the signed id in its own storage (the browser partitions it per embedding
site) and sends it with each request; a third-party cookie would be refused by browsers that
block them, and this one cannot be forged or carried to another site.
"""

from __future__ import annotations

import uuid

from django.core import signing

HEADER = "X-Visitor"


def _salt(site_key: str) -> str:
    return f"webchat.visitor:{site_key}"


def new_visitor(site_key: str) -> str:
    """A signed id for a new visitor of the site."""
    return signing.dumps(uuid.uuid4().hex, salt=_salt(site_key), compress=False)


def visitor_of(token: str, site_key: str) -> str | None:
    """The visitor id in `token`, or None when it is not one this server signed for the site."""
    try:
        visitor = signing.loads(token, salt=_salt(site_key))
    except signing.BadSignature:
        return None
    return visitor if isinstance(visitor, str) and len(visitor) == 32 else None
