"""What the admin's lists of big tables share: counts that do not scan, phone search.

A list page counts its rows on every load; on a table of a million messages `COUNT(*)` is most
of the page's time, so unfiltered big tables are counted from the planner's statistics.
"""

import re

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property

#: A search term made only of what people type in a phone number: "+7 (999) 123-45-67".
_PHONE_LIKE = re.compile(r"^[\d\s()+\-.]+$")
_MIN_PHONE_DIGITS = 5


def phone_search_digits(term: str) -> str:
    """The digits to look for in stored E.164 phones, or "" when the term is not a phone.

    A Russian number typed with the trunk prefix (8 999 ...) is stored as +7 999 ...
    """
    term = term.strip()
    if not _PHONE_LIKE.match(term):
        return ""
    digits = re.sub(r"\D", "", term)
    if len(digits) < _MIN_PHONE_DIGITS:
        return ""
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits


def table_row_estimate(model) -> int | None:
    """The planner's row count for a table (from ANALYZE statistics), or None if unknown."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table]
            )
            row = cursor.fetchone()
            return row[0] if row and row[0] >= 0 else None
        # SQLite, the only other supported database, keeps ANALYZE results in sqlite_stat1.
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return None
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
        row = cursor.fetchone()
        return int(row[0].split()[0]) if row else None


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered big table from planner statistics instead of COUNT(*).

    Filtered lists are counted exactly: a filter is what makes the count worth its cost.
    """

    #: Below this many rows an exact count is cheap and nicer to read.
    estimate_above = 50_000

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where:
            estimate = table_row_estimate(self.object_list.model)
            if estimate is not None and estimate > self.estimate_above:
                return estimate
        return self.exact_count()

    def exact_count(self):
        return super().count


class CappedCountPaginator(EstimatedCountPaginator):
    """Stops counting a filtered list at a cap, so a text search over a million rows is quick.

    Past the cap staff narrow the search rather than page deeper.
    """

    count_cap = 10_000

    def exact_count(self):
        return self.object_list[: self.count_cap].count()


class FastListMixin:
    """Changelist settings every big table here shares."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
