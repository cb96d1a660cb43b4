"""Text as every database we run on can store it.

PostgreSQL refuses NUL (U+0000) in text and in jsonb, and no driver can encode a lone UTF-16
surrogate (U+D800-U+DFFF) as UTF-8. Both reach us as JSON escapes (`\\u0000`, `\\ud83d` without
its pair) from Telegram or from a model, and either makes the whole write fail, so one invisible
character would lose a message. Text from a person or a model therefore passes through these
functions where the services store it: NUL is dropped (it shows as nothing anyway) and a lone
surrogate becomes U+FFFD, the replacement character, as any UTF-8 decoder shows it.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(text: str) -> str:
    """`text` without the characters a database refuses; unchanged when there are none."""
    text = text.replace("\x00", "")
    if _SURROGATE.search(text):
        # Pairs split into two code points are joined again; only lone halves are replaced.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def storable_json(value):
    """A JSON-ready value with `storable_text` applied to every string in it, keys included."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_json(key): storable_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(item) for item in value]
    return value
