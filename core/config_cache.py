"""What staff configure, read from the database once per change instead of on every message.

Prompts, the catalog, the model registry and scenarios are read for every message but change a
few times a day. A cached read keeps its result in the process under the token of the one
`ConfigVersion` row; saving or deleting any watched model writes a new token in the same
transaction (signals), so every process - the admin's edit happens in the web process, the
bot's workers read elsewhere - reads the change with the next message after the commit.

The token is read once per database hop (`core.db.db_call` marks each hop), else on every
call. Without the row (a flushed test database) nothing is cached. A queryset `.update()` or
`bulk_create` sends no signal: call `config_changed()` after one.
"""

from __future__ import annotations

import copy
import functools
import threading
import uuid
from contextvars import ContextVar

from django.db import connections
from django.db.models.signals import post_delete, post_save

from core.models import ConfigVersion

#: The current database hop (see `core.db`), so the token is read once per hop.
current_hop: ContextVar[object | None] = ContextVar("current_hop", default=None)

_lock = threading.Lock()
_seen = {"token": None}
_values: dict[tuple, object] = {}
_checked: ContextVar[tuple[object, str | None] | None] = ContextVar("checked", default=None)


def config_changed(using: str = "default", **_signal_arguments) -> None:
    """Mark every process's cached configuration as stale (in the caller's transaction).

    Also after `migrate` (`migrated`): data migrations change rows without signals while the
    old version of the bot may still be running (a rolling deploy).
    """
    versions = ConfigVersion.objects.using(using)
    versions.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


def migrated(using: str = "default", **_signal_arguments) -> None:
    """After `migrate`: a change, unless it took the version's table away (a rollback)."""
    if ConfigVersion._meta.db_table in connections[using].introspection.table_names():
        config_changed(using=using)


def watch(*models) -> None:
    """Saving or deleting any of `models` changes the configuration token."""
    for model in models:
        uid = f"config_cache:{model._meta.label}"
        post_save.connect(config_changed, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(config_changed, sender=model, dispatch_uid=uid, weak=False)


def _token() -> str | None:
    hop = current_hop.get()
    checked = _checked.get()
    if hop is not None and checked is not None and checked[0] is hop:
        return checked[1]
    token = ConfigVersion.objects.filter(pk=1).values_list("token", flat=True).first()
    if hop is not None:
        _checked.set((hop, token))
    return token


def cached_config(function):
    """Cache `function`'s result per arguments until the configuration changes.

    Results are handed out as shallow copies, so a caller changing one cannot change the
    cache; what they hold should be immutable (frozen dataclasses, strings).
    """

    @functools.wraps(function)
    def read(*args, **kwargs):
        token = _token()
        if token is None:
            return function(*args, **kwargs)
        key = (function.__qualname__, args, tuple(sorted(kwargs.items())))
        with _lock:
            if token != _seen["token"]:
                _values.clear()
                _seen["token"] = token
            if key in _values:
                return copy.copy(_values[key])
        value = function(*args, **kwargs)
        with _lock:
            if _seen["token"] == token:
                _values[key] = value
        return copy.copy(value)

    return read
