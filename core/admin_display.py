"""Cells for change lists that must fit a 1400 px screen beside the admin's two sidebars.

Long text stays on one line, cut by the stylesheet (`core/static/core/admin.css`) to its
column, with the whole text on hover; times take the short format.
"""

from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.text import Truncator

#: A tooltip longer than this is cut: it is for a glance, the change page has the rest.
TOOLTIP_CHARS = 1000


def truncated(text: str):
    """`text` on one line, cut to its column; None (the admin's empty mark) for no text."""
    if not text:
        return None
    return format_html(
        '<span class="truncate" title="{}">{}</span>', Truncator(text).chars(TOOLTIP_CHARS), text
    )


def short_datetime(value):
    """A time as 29.11.2026 22:10 in the project's zone, not 29 ноября 2026 г. 22:10."""
    if value is None:
        return None
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def short_number(value: Decimal) -> str:
    """A price without trailing zeros, "0,15" rather than "0,1500"."""
    return number_format(value.normalize())
