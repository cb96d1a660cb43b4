"""Satisfaction on the analytics page: the share of 👍 by period, model and prompt version,
the satisfaction survey's scores, and the answers rated 👎 listed for review, per bot like
every number there."""

from datetime import date

import pytest

from analytics.charts import satisfaction_line, score_bars
from analytics.selectors import Ratings, Scores, feedback_stats
from conversations.models import AnswerRating, ConversationSurvey
from tests.analytics.seed import conversation, lead, message, moscow
from tests.analytics.test_csv import CSV, rows, section
from tests.analytics.test_page import MARCH, PAGE
from tests.factories import BotFactory

MONDAY, TUESDAY = moscow("2025-03-03"), moscow("2025-03-04")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def rated(contact, value, *, at=MONDAY, model="fast", prompts=None, comment="", text="Answer"):
    talk = conversation(contact, at)
    reply = message(talk, at, role="assistant", text=text, model_name=model)
    return AnswerRating.objects.create(
        message=reply,
        contact=contact,
        value=value,
        comment=comment,
        model_name=model,
        prompt_versions=prompts or {"system": 1},
        prompt_version=" ".join(f"{k}#{v}" for k, v in sorted((prompts or {"system": 1}).items())),
        created_at=at,
    )


def surveyed(contact, score, *, at=MONDAY, skipped=False):
    return ConversationSurvey.objects.create(
        conversation=conversation(contact, at),
        contact=contact,
        trigger=ConversationSurvey.Trigger.IDLE,
        score=score,
        skipped=skipped,
        asked_at=at,
        answered_at=at if score or skipped else None,
    )


@pytest.fixture
def shop(db):
    """The shop bot: three 👍 and a 👎 on Monday and Tuesday over two models and two system
    prompt versions, four surveys (5, 4, skipped, not answered); the clinic bot's 👎 and a
    rating before the period are not the shop's March."""
    shop, clinic = BotFactory(name="Shop"), BotFactory(name="Clinic")
    anna, boris = lead(MONDAY, bot=shop, first_name="Anna"), lead(MONDAY, bot=shop)
    rated(anna, "up", prompts={"system": 1})
    rated(anna, "up", model="smart", prompts={"system": 2}, at=TUESDAY)
    rated(boris, "up", model="smart", prompts={"system": 2}, at=TUESDAY)
    rated(boris, "down", prompts={"system": 1}, comment="Wrong price", text="It costs 10")
    rated(boris, "down", at=moscow("2025-02-01"))
    for score in (5, 4):
        surveyed(anna, score)
    surveyed(boris, None, skipped=True)
    surveyed(boris, None, at=TUESDAY)
    rated(lead(MONDAY, bot=clinic), "down", comment="Rude")
    return shop


def test_one_bots_satisfaction_by_period_model_and_prompt_version(admin_client, shop):
    response = admin_client.get(PAGE, {**MARCH, "bot": shop.pk})

    feedback = response.context["report"].feedback
    assert (feedback.ratings.up, feedback.ratings.down) == (3, 1)
    assert feedback.ratings.satisfied_percent == 75
    by_day = {ratings.key: (ratings.up, ratings.down) for ratings, _scores in feedback.by_period}
    assert by_day[date(2025, 3, 3)] == (1, 1) and by_day[date(2025, 3, 4)] == (2, 0)
    assert by_day[date(2025, 3, 5)] == (0, 0)
    assert [(r.key, r.satisfied_percent) for r in feedback.by_model] == [
        ("fast", 50),
        ("smart", 100),
    ]
    assert [(r.key, r.rated) for r in feedback.by_prompt_version] == [
        ("system#1", 2),
        ("system#2", 2),
    ]
    scores = feedback.scores
    assert (scores.counts, scores.asked, scores.skipped, scores.average) == (
        (0, 0, 0, 1, 1),
        4,
        1,
        4.5,
    )


def test_the_answers_rated_down_are_listed_with_the_comment_and_a_link_to_the_transcript(
    admin_client, shop
):
    response = admin_client.get(PAGE, {**MARCH, "bot": shop.pk})

    worst = response.context["report"].feedback.worst
    assert [(answer.text, answer.comment, answer.model_name) for answer in worst] == [
        ("It costs 10", "Wrong price", "fast")
    ]
    content = response.content.decode()
    assert f"/admin/conversations/contact/{worst[0].contact_id}/transcript/" in content
    assert "Wrong price" in content and "Rude" not in content
    assert content.count('class="analytics-chart"') == 4


def test_weeks_add_up_their_days(db, shop):
    stats = feedback_stats(
        date_from=date(2025, 3, 1), date_to=date(2025, 3, 10), granularity="week"
    )

    weeks = [(ratings.key, ratings.rated, scores.answered) for ratings, scores in stats.by_period]
    assert weeks == [(date(2025, 2, 24), 0, 0), (date(2025, 3, 3), 5, 2), (date(2025, 3, 10), 0, 0)]


def test_without_ratings_the_page_shows_dashes_and_says_so(admin_client, db):
    content = admin_client.get(PAGE, MARCH).content.decode()

    assert "No answer was rated 👎 in this period." in content
    assert "No rated answers in this period." in content


def test_the_share_line_leaves_out_periods_nobody_rated():
    line = satisfaction_line(
        [
            (Ratings(date(2025, 3, 3), 1, 1), Scores(date(2025, 3, 3), (0,) * 5)),
            (Ratings(date(2025, 3, 4), 0, 0), Scores(date(2025, 3, 4), (0,) * 5)),
            (Ratings(date(2025, 3, 5), 3, 0), Scores(date(2025, 3, 5), (0,) * 5)),
        ]
    )

    assert line.count("<circle") == 2
    assert "👍 50% (1 / 2)" in line and "👍 100% (3 / 3)" in line


def test_the_score_bars_show_each_score_s_count():
    bars = score_bars(Scores("", (0, 1, 0, 2, 7)))

    assert bars.count("<rect") == 5
    assert "5: 7" in bars


def test_the_csv_has_the_satisfaction_sections(admin_client, shop):
    table = rows(admin_client.get(CSV, {**MARCH, "bot": shop.pk}))

    header, *days = section(table, "Satisfaction by period")
    assert header[-2:] == ["Surveys answered", "Satisfaction, average of 5"]
    assert days[2] == ["2025-03-03", "2", "1", "1", "50", "2", "4.5"]
    assert section(table, "Satisfaction by model")[1:] == [
        ["fast", "2", "1", "1", "50"],
        ["smart", "2", "2", "0", "100"],
    ]
    assert section(table, "Satisfaction by prompt version")[0][0] == "Prompt version"
