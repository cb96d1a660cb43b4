"""Reads of the API's tokens: the token a secret names, and what it may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from api.models import ApiToken
from api.services import secret_hash
from bots.selectors import visible_bot_ids
from conversations.services import desk_author_name


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    scopes: frozenset[str]
    #: The bots whose leads and prompts it reaches (None: every bot), and rows of no bot.
    bot_ids: frozenset[int] | None
    rate_per_minute: int
    #: The staff user who issued it: what it sends is theirs.
    user_id: int
    author_name: str

    def visible(self, path: str = "bot") -> Q:
        """The rows it may see of those that reach a bot by `path`, as its issuer in admin."""
        if self.bot_ids is None:
            return Q()
        return Q(**{f"{path}__in": self.bot_ids}) | Q(**{f"{path}__isnull": True})


def token_for_secret(*, secret: str) -> TokenInfo | None:
    """The valid token with this secret: not revoked, not expired, its issuer still active
    staff. None for anything else, without saying which."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("created_by")
        .filter(secret_hash=secret_hash(secret), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(created_by__is_active=True, created_by__is_staff=True)
        .first()
    )
    if token is None:
        return None
    issuer = token.created_by
    return TokenInfo(
        id=token.pk,
        name=token.name,
        scopes=frozenset(token.scopes),
        bot_ids=_reach(token, visible_bot_ids(issuer)),
        rate_per_minute=token.rate_per_minute,
        user_id=issuer.pk,
        author_name=desk_author_name(issuer),
    )


def _reach(token: ApiToken, issuer_bots: frozenset[int] | None) -> frozenset[int] | None:
    """The bots chosen for the token, within its issuer's (who may since have lost some)."""
    chosen = frozenset(token.bots.values_list("pk", flat=True))
    if not chosen:
        return issuer_bots
    return chosen if issuer_bots is None else chosen & issuer_bots
