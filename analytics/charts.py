"""Charts as inline SVG drawn on the server: no JavaScript library, nothing from a CDN.

Every label goes through `format_html`, so a source or model name cannot inject markup.
Text uses `currentColor` so the charts follow the admin's light and dark themes.
"""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from analytics.selectors import FunnelRow, Ratings, Scores, Stage
from analytics.stages import STAGES

COLORS = ("#9aa5b1", "#4c78a8", "#f58518", "#54a24b", "#b279a2")
WIDTH = 720
#: Above this many periods the points lose their markers; the lines stay readable.
MAX_MARKED_POINTS = 62
MAX_DATE_LABELS = 8
#: The plot area of the line charts.
LEFT, RIGHT, TOP, BOTTOM = 50, WIDTH - 15, 10, 210


def _join(parts) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _svg(height: int, title: str, parts) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="{}" class="analytics-chart"><title>{}</title>{}</svg>',
        WIDTH,
        height,
        WIDTH,
        height,
        title,
        title,
        _join(parts),
    )


def _text(x: float, y: float, text: str, anchor: str = "start") -> SafeString:
    return format_html(
        '<text x="{}" y="{}" text-anchor="{}" fill="currentColor" font-size="12">{}</text>',
        f"{x:.1f}",
        f"{y:.1f}",
        anchor,
        text,
    )


def funnel_bars(stages: list[Stage]) -> SafeString:
    """One horizontal bar per stage, its length relative to the leads who started."""
    bars = []
    for stage in stages:
        value = str(stage.count)
        if stage.from_start is not None:
            value = f"{stage.count} ({stage.from_start}%)"
        bars.append((stage.label, stage.count, value))
    return _bars(bars, max(stages[0].count, 1), _("Funnel"))


def score_bars(scores: Scores) -> SafeString:
    """How many gave each satisfaction score, 1 to 5, as bars."""
    bars = [(str(score), count, str(count)) for score, count in enumerate(scores.counts, 1)]
    return _bars(bars, max([1, *scores.counts]), _("Satisfaction scores"))


def _bars(bars: list[tuple[str, int, str]], longest: int, title: str) -> SafeString:
    """Horizontal bars of (label, count, value shown), `longest` filling the width."""
    label_width, bar_width, row_height = 170, 400, 34
    parts = []
    for index, (label, count, value) in enumerate(bars):
        top = index * row_height + 6
        length = bar_width * count / longest
        parts += [
            _text(label_width - 8, top + 16, label, anchor="end"),
            format_html(
                '<rect x="{}" y="{}" width="{}" height="22" fill="{}"><title>{}: {}</title></rect>',
                label_width,
                top,
                f"{length:.1f}",
                COLORS[index % len(COLORS)],
                label,
                value,
            ),
            _text(label_width + length + 6, top + 16, value),
        ]
    return _svg(len(bars) * row_height + 12, title, parts)


def _date_labels(keys: list, x_of) -> list[SafeString]:
    every = -(-len(keys) // MAX_DATE_LABELS)
    return [
        _text(x_of(index), 232, date_format(key, "SHORT_DATE_FORMAT"), anchor="middle")
        for index, key in enumerate(keys)
        if index % every == 0
    ]


def _grid(ticks, y_of, shown=str) -> list[SafeString]:
    """Horizontal lines at `ticks`, labelled on the left."""
    parts = []
    for tick in ticks:
        parts += [
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ccc" stroke-width="1"/>',
                LEFT,
                RIGHT,
                f"{y_of(tick):.1f}",
                f"{y_of(tick):.1f}",
            ),
            _text(LEFT - 6, y_of(tick) + 4, shown(tick), anchor="end"),
        ]
    return parts


def _x_of(count: int):
    """Where the n-th of `count` periods goes along the x axis."""

    def x_of(index: int) -> float:
        if count == 1:
            return (LEFT + RIGHT) / 2
        return LEFT + (RIGHT - LEFT) * index / (count - 1)

    return x_of


def _y_of(highest: float):
    return lambda value: BOTTOM - (BOTTOM - TOP) * value / highest


def _legend() -> list[SafeString]:
    parts = []
    for index, (_key, label) in enumerate(STAGES):
        left = 50 + index * 130
        parts += [
            format_html(
                '<rect x="{}" y="246" width="12" height="12" fill="{}"/>', left, COLORS[index]
            ),
            _text(left + 16, 257, str(label)),
        ]
    return parts


def funnel_lines(rows: list[FunnelRow]) -> SafeString:
    """Each stage's leads per period as a line, so staff see the trend and the gaps."""
    highest = max([1, *(row.counts[0] for row in rows)])
    x_of, y_of = _x_of(len(rows)), _y_of(highest)
    parts = _grid(sorted({0, highest // 2, highest}), y_of)
    for index, (_key, label) in enumerate(STAGES):
        points = [(x_of(n), y_of(row.counts[index])) for n, row in enumerate(rows)]
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>',
                " ".join(f"{x:.1f},{y:.1f}" for x, y in points),
                COLORS[index],
            )
        )
        if len(rows) <= MAX_MARKED_POINTS:
            parts += [
                format_html(
                    '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{} · {}: {}</title></circle>',
                    f"{x:.1f}",
                    f"{y:.1f}",
                    COLORS[index],
                    date_format(row.key, "SHORT_DATE_FORMAT"),
                    label,
                    row.counts[index],
                )
                for (x, y), row in zip(points, rows, strict=True)
            ]
    parts += _date_labels([row.key for row in rows], x_of) + _legend()
    return _svg(266, _("Leads by period"), parts)


def satisfaction_line(by_period: list[tuple[Ratings, Scores]]) -> SafeString:
    """The share of 👍 among the answers rated in each period; periods without ratings are
    left out of the line (no point at 0% for nobody's opinion)."""
    x_of, y_of = _x_of(len(by_period)), _y_of(100)
    parts = _grid((0, 50, 100), y_of, lambda tick: f"{tick}%")
    points = [
        (x_of(index), y_of(ratings.satisfied_percent), ratings)
        for index, (ratings, _scores) in enumerate(by_period)
        if ratings.rated
    ]
    parts.append(
        format_html(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>',
            " ".join(f"{x:.1f},{y:.1f}" for x, y, _ratings in points),
            COLORS[3],
        )
    )
    parts += [
        format_html(
            '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{} · 👍 {}% ({} / {})</title></circle>',
            f"{x:.1f}",
            f"{y:.1f}",
            COLORS[3],
            date_format(ratings.key, "SHORT_DATE_FORMAT"),
            ratings.satisfied_percent,
            ratings.up,
            ratings.rated,
        )
        for x, y, ratings in points
    ]
    parts += _date_labels([ratings.key for ratings, _scores in by_period], x_of)
    return _svg(246, _("Share of 👍 by period"), parts)
