"""The server-rendered SVG charts."""

import dataclasses
from datetime import date, timedelta

from analytics.charts import MAX_MARKED_POINTS, funnel_bars, funnel_lines
from analytics.selectors import FunnelRow
from analytics.selectors.funnels import _stages

COUNTS = [10, 7, 4, 2, 1]


def days(count):
    return [FunnelRow(date(2025, 3, 1) + timedelta(days=n), _stages(COUNTS)) for n in range(count)]


def test_funnel_bars_are_as_long_as_the_share_of_leads_who_started():
    svg = funnel_bars(_stages(COUNTS))

    assert 'width="400.0"' in svg
    assert 'width="40.0"' in svg
    assert "1 (10.0%)" in svg


def test_funnel_bars_of_an_empty_period_have_no_length():
    svg = funnel_bars(_stages([0, 0, 0, 0, 0]))

    assert svg.count('width="0.0"') == 5


def test_chart_labels_are_escaped():
    stages = _stages(COUNTS)
    stages[0] = dataclasses.replace(stages[0], label="<script>alert(1)</script>")

    svg = funnel_bars(stages)

    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_lines_have_one_series_per_stage_with_a_marker_per_period():
    svg = funnel_lines(days(3))

    assert svg.count("<polyline") == 5
    assert svg.count("<circle") == 15


def test_a_single_period_is_drawn_in_the_middle():
    svg = funnel_lines(days(1))

    assert 'points="377.5,' in svg


def test_a_long_period_draws_lines_without_markers():
    svg = funnel_lines(days(MAX_MARKED_POINTS + 1))

    assert svg.count("<polyline") == 5
    assert "<circle" not in svg


def test_date_labels_are_thinned_out_on_a_long_period():
    svg = funnel_lines(days(90))

    assert svg.count('text-anchor="middle"') == 8
