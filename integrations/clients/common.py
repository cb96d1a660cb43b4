"""What the kinds of integration share: reading an HTTP status, the mapped card fields, and
the texts a CRM shows staff (in the site's language)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from integrations.selectors import DeliveryJob
from integrations.services import Result

#: Statuses that say "not now": the request timed out there, too early, too many, or the
#: server failed. Any other 4xx says the request itself is refused.
_TRY_AGAIN = frozenset({408, 425, 429})


def result_of_status(code: int) -> Result:
    if 200 <= code < 300:
        return Result.DELIVERED
    if code in _TRY_AGAIN or code >= 500:
        return Result.RETRY
    return Result.REJECTED


def mapped_fields(job: DeliveryJob) -> dict[str, object]:
    """The lead-card fields the integration's mapping names, under the CRM's names. A value
    that is a number or text goes as it is, anything else as it is shown; a field the person
    declined to give, or not known yet, is left out."""
    card = {entry["key"]: entry for entry in job.event.lead["card"]}
    fields = {}
    for card_key, crm_field in job.target.mapping:
        entry = card.get(card_key)
        if entry is None or entry["declined"]:
            continue
        value = entry["value"]
        plain = isinstance(value, str | int | float) and not isinstance(value, bool)
        fields[crm_field] = value if plain else entry["display"]
    return fields


def lead_title(lead: dict) -> str:
    """The name of the lead (or deal) in the CRM."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Lead from Telegram: %(name)s") % {"name": lead["name"]}


def card_summary(lead: dict) -> str:
    """The lead card, one `label: value` per line."""
    return "\n".join(f"{entry['label']}: {entry['display']}" for entry in lead["card"])
