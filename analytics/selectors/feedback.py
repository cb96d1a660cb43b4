"""What people thought: the share of 👍 among rated answers and the satisfaction survey (CSAT),
by period, by model and by the prompt versions that built the answers, and the answers rated
👎 for staff to review.

Read from the ratings and surveys themselves along their time indexes (`rating_time`,
`survey_time`): a period holds far fewer of them than messages.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q, Value
from django.db.models.functions import TruncDate

from analytics.selectors.periods import WEEK, Bots, in_period, of_bots, of_source, period_buckets
from conversations.models import AnswerRating, Contact, ConversationSurvey, Message

#: How many answers rated 👎 the page lists, newest first.
WORST_ANSWERS = 20
SCORES = range(1, 6)


@dataclass(frozen=True)
class Ratings:
    """👍 and 👎 of one group of answers (a period, a model, a prompt version)."""

    key: object
    up: int
    down: int

    @property
    def rated(self) -> int:
        return self.up + self.down

    @property
    def satisfied_percent(self) -> int | None:
        """The share of 👍 among the rated answers; None when none was rated."""
        return round(100 * self.up / self.rated) if self.rated else None


@dataclass(frozen=True)
class Scores:
    """Satisfaction survey answers of one group (the period, or one of its days or weeks)."""

    key: object
    #: How many gave each score, 1 to 5.
    counts: tuple[int, ...]
    asked: int = 0
    skipped: int = 0

    @property
    def answered(self) -> int:
        return sum(self.counts)

    @property
    def average(self) -> float | None:
        if not self.answered:
            return None
        total = sum(score * count for score, count in zip(SCORES, self.counts, strict=True))
        return round(total / self.answered, 2)


@dataclass(frozen=True)
class RatedAnswer:
    """An answer rated 👎, as the list for review shows it."""

    message_id: int
    contact_id: int
    lead: str
    text: str
    comment: str
    model_name: str
    prompt_version: str
    rated_at: object


@dataclass(frozen=True)
class FeedbackStats:
    ratings: Ratings
    by_period: list[tuple[Ratings, Scores]]
    by_model: list[Ratings]
    by_prompt_version: list[Ratings]
    scores: Scores
    worst: list[RatedAnswer]


def feedback_stats(
    *,
    date_from: date,
    date_to: date,
    granularity: str,
    source: str | None = None,
    bots: Bots = None,
) -> FeedbackStats:
    ratings = in_period(AnswerRating.objects.all(), "created_at", date_from, date_to)
    ratings = of_bots(of_source(ratings, "contact__source", source), "contact__bot", bots)
    surveys = in_period(ConversationSurvey.objects.all(), "asked_at", date_from, date_to)
    surveys = of_bots(of_source(surveys, "contact__source", source), "contact__bot", bots)
    in_bucket = functools.partial(_bucket, granularity=granularity)
    ratings_by_period = _ratings_by(ratings, _day("created_at"), in_bucket)
    scores_by_period = _scores_by(surveys, _day("asked_at"), in_bucket)
    buckets = period_buckets(date_from=date_from, date_to=date_to, granularity=granularity)
    return FeedbackStats(
        ratings=Ratings(None, **ratings.aggregate(**_THUMBS)),
        by_period=[
            (
                ratings_by_period.get(bucket, Ratings(bucket, 0, 0)),
                scores_by_period.get(bucket, Scores(bucket, _NO_SCORES)),
            )
            for bucket in buckets
        ],
        by_model=_worst_first(_ratings_by(ratings, F("model_name"), str)),
        by_prompt_version=_worst_first(_ratings_by(ratings, F("prompt_version"), str)),
        scores=_scores_by(surveys, Value(""), str).get("", Scores("", _NO_SCORES)),
        worst=_rated_down(ratings),
    )


_THUMBS = {
    "up": Count("pk", filter=Q(value=AnswerRating.Value.UP)),
    "down": Count("pk", filter=Q(value=AnswerRating.Value.DOWN)),
}
_NO_SCORES = (0,) * len(SCORES)


def _day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _bucket(day: date, granularity: str) -> date:
    return day - timedelta(days=day.weekday()) if granularity == WEEK else day


def _ratings_by(ratings, group, key_of) -> dict[object, Ratings]:
    """👍 and 👎 per value of the expression `group`, under the key `key_of` gives it (the days
    of one week add up under its Monday)."""
    rows = ratings.annotate(group=group).values("group").annotate(**_THUMBS).order_by()
    totals: dict[object, Ratings] = {}
    for row in rows:
        key = key_of(row["group"])
        before = totals.get(key, Ratings(key, 0, 0))
        totals[key] = Ratings(key, before.up + row["up"], before.down + row["down"])
    return totals


def _worst_first(groups: dict[object, Ratings]) -> list[Ratings]:
    return sorted(groups.values(), key=lambda group: (group.satisfied_percent, -group.rated))


def _scores_by(surveys, group, key_of) -> dict[object, Scores]:
    """Survey answers per value of `group`, as `_ratings_by` counts ratings."""
    rows = (
        surveys.annotate(group=group)
        .values("group", "score")
        .annotate(count=Count("pk"), skipped=Count("pk", filter=Q(skipped=True)))
        .order_by()
    )
    totals: dict[object, Scores] = {}
    for row in rows:
        key = key_of(row["group"])
        before = totals.get(key, Scores(key, _NO_SCORES))
        counts = list(before.counts)
        if row["score"] in SCORES:
            counts[row["score"] - 1] += row["count"]
        totals[key] = Scores(
            key, tuple(counts), before.asked + row["count"], before.skipped + row["skipped"]
        )
    return totals


def _rated_down(ratings) -> list[RatedAnswer]:
    """The latest answers rated 👎; their texts and leads are read by key, for these only."""
    rows = list(
        ratings.filter(value=AnswerRating.Value.DOWN)
        .order_by("-created_at", "-pk")
        .values_list(
            "message_id", "contact_id", "comment", "model_name", "prompt_version", "created_at"
        )[:WORST_ANSWERS]
    )
    if not rows:
        return []
    texts = dict(Message.objects.filter(pk__in=[row[0] for row in rows]).values_list("pk", "text"))
    leads = Contact.objects.in_bulk({row[1] for row in rows})
    return [
        RatedAnswer(
            message_id=message_id,
            contact_id=contact_id,
            lead=leads[contact_id].display_name,
            text=texts[message_id],
            comment=comment,
            model_name=model_name,
            prompt_version=prompt_version,
            rated_at=rated_at,
        )
        for message_id, contact_id, comment, model_name, prompt_version, rated_at in rows
    ]
