"""The analytics page's numbers as CSV: one section per table, each with its own header row."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext as _

from analytics.forms import Filters
from analytics.selectors import FeedbackStats, Ratings, Report, Usage, source_label
from analytics.stages import STAGES
from core.spreadsheets import defuse_formula, spreadsheet_csv_writer


def _cell(value) -> str:
    return "" if value is None else str(defuse_formula(value))


def _cost(value: Decimal) -> str:
    return f"{value:.4f}"


def _usage_cells(usage: Usage) -> list:
    return [usage.calls, usage.prompt_tokens, usage.completion_tokens, _cost(usage.cost)]


def _rows(filters: Filters, report: Report) -> Iterator[list]:
    source = _("All sources") if filters.source is None else source_label(filters.source)
    yield [_("Analytics"), _("From"), filters.date_from.isoformat()]
    yield ["", _("To"), filters.date_to.isoformat()]
    yield ["", _("Bot"), filters.bot_label]
    yield ["", _("Source"), source]

    yield []
    yield [_("Funnel")]
    yield [_("Stage"), _("Leads"), _("From previous stage, %"), _("From start, %")]
    for stage in report.funnel.total:
        yield [stage.label, stage.count, stage.from_previous, stage.from_start]

    stage_labels = [str(label) for _key, label in STAGES]
    yield []
    yield [_("Funnel by period")]
    yield [_("Period start"), *stage_labels]
    for row in report.funnel.by_period:
        yield [row.key.isoformat(), *row.counts]

    yield []
    yield [_("Funnel by source")]
    yield [_("Source"), *stage_labels]
    for row in report.funnel.by_source:
        yield [row.key, *row.counts]

    conversations = report.conversations
    yield []
    yield [_("Messages per conversation")]
    yield [_("Conversations"), _("Average messages"), _("Median messages")]
    yield [
        conversations.conversations,
        conversations.average_messages,
        conversations.median_messages,
    ]

    handoffs = report.handoffs
    yield []
    yield [_("Operators")]
    yield [
        _("Handed to operators"),
        *(label for label, _count in handoffs.by_reason),
        _("Resolved by people"),
        _("Resolved by the assistant"),
        *(
            _("First operator reply, p%(n)s, min") % {"n": p}
            for p, _m in handoffs.first_reply_minutes
        ),
    ]
    yield [
        handoffs.handoffs,
        *(count for _label, count in handoffs.by_reason),
        handoffs.answered,
        handoffs.resolved_by_assistant(conversations.conversations),
        *(minutes for _p, minutes in handoffs.first_reply_minutes),
    ]

    yield []
    yield [_("Reply latency")]
    yield [_("Replies"), *(_("p%(n)s, ms") % {"n": p} for p, _ms in report.latency.percentiles)]
    yield [report.latency.replies, *(ms for _p, ms in report.latency.percentiles)]

    usage_headers = [_("calls"), _("prompt tokens"), _("completion tokens"), _("cost")]
    yield []
    yield [_("Tokens and cost by model")]
    yield [
        _("Model"),
        _("In the registry"),
        *(f"{_('Replies')}: {header}" for header in usage_headers),
        *(f"{_('Extraction')}: {header}" for header in usage_headers),
        _("Total tokens"),
        _("Total cost"),
    ]
    costs = report.costs
    for model in costs.models:
        yield [
            model.model_name,
            _("yes") if model.in_registry else _("no"),
            *_usage_cells(model.replies),
            *_usage_cells(model.extraction),
            model.total.tokens,
            _cost(model.total.cost),
        ]
    yield [
        _("Total"),
        "",
        *_usage_cells(costs.replies),
        *_usage_cells(costs.extraction),
        costs.total.tokens,
        _cost(costs.total.cost),
    ]

    yield from _feedback_rows(report.feedback)


def _feedback_rows(feedback: FeedbackStats) -> Iterator[list]:
    thumbs = [_("Rated answers"), "👍", "👎", _("👍 share, %")]

    def cells(ratings: Ratings) -> list:
        return [ratings.rated, ratings.up, ratings.down, ratings.satisfied_percent]

    yield []
    yield [_("Satisfaction by period")]
    yield [_("Period start"), *thumbs, _("Surveys answered"), _("Satisfaction, average of 5")]
    for ratings, scores in feedback.by_period:
        yield [ratings.key.isoformat(), *cells(ratings), scores.answered, scores.average]
    for section, column, groups in (
        (_("Satisfaction by model"), _("Model"), feedback.by_model),
        (_("Satisfaction by prompt version"), _("Prompt version"), feedback.by_prompt_version),
    ):
        yield []
        yield [section]
        yield [column, *thumbs]
        for ratings in groups:
            yield [ratings.key, *cells(ratings)]


def write_report_csv(out, *, filters: Filters, report: Report) -> None:
    writer = spreadsheet_csv_writer(out)
    for row in _rows(filters, report):
        writer.writerow([_cell(value) for value in row])
