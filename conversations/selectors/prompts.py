"""The staff's prompts in effect for a reader, and their versions (read once per change)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Max, Q

from conversations.models import Prompt
from core.config_cache import cached_config


def prompt_texts(*, language: str, bot_id: int | None = None) -> dict[str, str]:
    """Active prompt texts by key in the language, falling back to the site language; of each
    key the bot's own prompt wins over the shared one (in the same language).

    Read once per change (`core.config_cache`): a staff edit in admin applies to the very
    next message.
    """
    return _prompt_texts(language, settings.LANGUAGE_CODE, bot_id)


@cached_config
def _prompt_texts(language: str, site_language: str, bot_id: int | None) -> dict[str, str]:
    return {
        key: text
        for key, (_prompt_id, text) in _prompts_in_effect(language, site_language, bot_id).items()
    }


def prompt_versions(*, language: str, bot_id: int | None = None) -> dict[str, int]:
    """The prompts `prompt_texts` reads, each key with its latest history entry's number: what
    a reply records, so its ratings can be told apart by the prompts' versions."""
    return _prompt_versions(language, settings.LANGUAGE_CODE, bot_id)


@cached_config
def _prompt_versions(language: str, site_language: str, bot_id: int | None) -> dict[str, int]:
    in_effect = _prompts_in_effect(language, site_language, bot_id)
    latest = dict(
        Prompt.history.filter(id__in=[prompt_id for prompt_id, _text in in_effect.values()])
        .values_list("id")
        .annotate(latest=Max("history_id"))
        .order_by()
    )
    return {key: latest.get(prompt_id, 0) for key, (prompt_id, _text) in in_effect.items()}


def _prompts_in_effect(
    language: str, site_language: str, bot_id: int | None
) -> dict[str, tuple[int, str]]:
    """(id, text) of the active prompt of each key: the person's language before the site's,
    and the bot's own before the shared one."""
    rows = (
        Prompt.objects.filter(is_active=True, language__in=[language, site_language])
        .filter(Q(bot__isnull=True) | Q(bot_id=bot_id))
        .values_list("key", "language", "bot_id", "id", "text")
    )
    prompts: dict[str, tuple[int, str]] = {}
    for key, _language, _bot, prompt_id, text in sorted(
        rows, key=lambda row: (row[1] != language, row[2] is None)
    ):
        prompts.setdefault(key, (prompt_id, text))
    return prompts
