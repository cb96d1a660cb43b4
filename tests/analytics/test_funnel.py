"""The funnel of leads created in a period, checked against `funnel_leads` (known answers)."""

from datetime import date
from decimal import Decimal

from analytics.selectors import WEEK, funnel
from tests.analytics.conftest import PERIOD
from tests.analytics.seed import UTC, lead
from tests.analytics.seed import moscow as at


def counts(stages):
    return [stage.count for stage in stages]


def test_funnel_counts_each_stage_of_the_period_cohort(funnel_leads):
    result = funnel(**PERIOD)

    assert counts(result.total) == [10, 7, 4, 2, 1]


def test_conversion_from_the_previous_stage(funnel_leads):
    result = funnel(**PERIOD)

    assert [stage.from_previous for stage in result.total] == [
        None,
        Decimal("70.0"),
        Decimal("57.1"),
        Decimal("50.0"),
        Decimal("50.0"),
    ]


def test_conversion_from_the_start(funnel_leads):
    result = funnel(**PERIOD)

    assert [stage.from_start for stage in result.total] == [
        None,
        Decimal("70.0"),
        Decimal("40.0"),
        Decimal("20.0"),
        Decimal("10.0"),
    ]


def test_a_lead_that_skipped_a_stage_is_not_counted_at_later_ones(funnel_leads):
    # Lead 8 left a phone without writing a question; lead 5 is "in work" without a contact.
    result = funnel(**PERIOD, source="")

    assert counts(result.total) == [4, 3, 0, 0, 0]


def test_every_day_of_the_period_has_a_row(funnel_leads):
    result = funnel(**PERIOD)

    assert [row.key for row in result.by_period] == [date(2025, 3, d) for d in range(1, 11)]


def test_leads_are_counted_on_the_day_they_came(funnel_leads):
    by_day = {row.key: row.counts for row in funnel(**PERIOD).by_period}

    assert by_day[date(2025, 3, 3)] == [5, 5, 4, 2, 1]
    assert by_day[date(2025, 3, 5)] == [5, 2, 0, 0, 0]
    assert by_day[date(2025, 3, 4)] == [0, 0, 0, 0, 0]


def test_weeks_start_on_monday_and_cover_the_whole_period(funnel_leads):
    result = funnel(**PERIOD, granularity=WEEK)

    assert [(row.key, row.counts) for row in result.by_period] == [
        (date(2025, 2, 24), [0, 0, 0, 0, 0]),
        (date(2025, 3, 3), [10, 7, 4, 2, 1]),
        (date(2025, 3, 10), [0, 0, 0, 0, 0]),
    ]


def test_funnel_by_source_lists_the_biggest_source_first(funnel_leads):
    result = funnel(**PERIOD)

    assert [(row.key, row.counts) for row in result.by_source] == [
        ("ads", [5, 4, 4, 2, 1]),
        ("(direct)", [4, 3, 0, 0, 0]),
        ("vk", [1, 0, 0, 0, 0]),
    ]


def test_source_filter_keeps_only_that_source(funnel_leads):
    result = funnel(**PERIOD, source="vk")

    assert counts(result.total) == [1, 0, 0, 0, 0]
    assert [row.key for row in result.by_source] == ["vk"]


def test_an_empty_period_has_no_rates(db):
    result = funnel(**PERIOD)

    assert counts(result.total) == [0, 0, 0, 0, 0]
    assert {stage.from_previous for stage in result.total} == {None}
    assert result.by_source == []


def test_a_lead_created_at_2330_utc_counts_on_the_next_moscow_day(db):
    lead(at("2025-03-04", "20:30").astimezone(UTC))  # 23:30 the day before in UTC
    lead(at("2025-03-05", "02:30").astimezone(UTC))  # 23:30 UTC on the 4th

    by_day = {row.key: row.counts[0] for row in funnel(**PERIOD).by_period}

    assert by_day[date(2025, 3, 4)] == 1
    assert by_day[date(2025, 3, 5)] == 1


def test_period_bounds_follow_the_project_time_zone(db):
    lead(at("2025-03-01", "00:30"))  # 2025-02-28 21:30 UTC: inside
    lead(at("2025-03-11", "00:30"))  # 2025-03-10 21:30 UTC: outside

    result = funnel(**PERIOD)

    assert result.by_period[0].counts[0] == 1
    assert result.total[0].count == 1


def test_another_project_time_zone_moves_the_day(db, settings):
    settings.TIME_ZONE = "UTC"
    lead(at("2025-03-05", "02:30"))  # 23:30 UTC on the 4th

    by_day = {row.key: row.counts[0] for row in funnel(**PERIOD).by_period}

    assert by_day[date(2025, 3, 4)] == 1
