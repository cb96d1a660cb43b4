"""Charts as inline SVG drawn on the server: no JavaScript library, nothing from a CDN.

Every label goes through `format_html`, so a source or model name cannot inject markup.
Text uses `currentColor` so the charts follow the admin's light and dark themes.
"""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from analytics.selectors import FunnelRow, Stage
from analytics.stages import STAGES

COLORS = ("#9aa5b1", "#4c78a8", "#f58518", "#54a24b", "#b279a2")
WIDTH = 720
#: Above this many periods the points lose their markers; the lines stay readable.
MAX_MARKED_POINTS = 62
MAX_DATE_LABELS = 8


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
    label_width, bar_width, row_height = 170, 400, 34
    started = max(stages[0].count, 1)
    parts = []
    for index, stage in enumerate(stages):
        top = index * row_height + 6
        length = bar_width * stage.count / started
        value = str(stage.count)
        if stage.from_start is not None:
            value = f"{stage.count} ({stage.from_start}%)"
        parts += [
            _text(label_width - 8, top + 16, stage.label, anchor="end"),
            format_html(
                '<rect x="{}" y="{}" width="{}" height="22" fill="{}"><title>{}: {}</title></rect>',
                label_width,
                top,
                f"{length:.1f}",
                COLORS[index],
                stage.label,
                value,
            ),
            _text(label_width + length + 6, top + 16, value),
        ]
    return _svg(len(stages) * row_height + 12, _("Funnel"), parts)


def _date_labels(rows: list[FunnelRow], x_of) -> list[SafeString]:
    every = -(-len(rows) // MAX_DATE_LABELS)
    return [
        _text(x_of(index), 232, date_format(row.key, "SHORT_DATE_FORMAT"), anchor="middle")
        for index, row in enumerate(rows)
        if index % every == 0
    ]


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
    left, right, top, bottom = 50, WIDTH - 15, 10, 210
    highest = max([1, *(row.counts[0] for row in rows)])

    def x_of(index: int) -> float:
        if len(rows) == 1:
            return (left + right) / 2
        return left + (right - left) * index / (len(rows) - 1)

    def y_of(count: int) -> float:
        return bottom - (bottom - top) * count / highest

    parts = []
    for tick in sorted({0, highest // 2, highest}):
        parts += [
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ccc" stroke-width="1"/>',
                left,
                right,
                f"{y_of(tick):.1f}",
                f"{y_of(tick):.1f}",
            ),
            _text(left - 6, y_of(tick) + 4, str(tick), anchor="end"),
        ]
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
    parts += _date_labels(rows, x_of) + _legend()
    return _svg(266, _("Leads by period"), parts)
