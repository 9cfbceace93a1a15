"""Sentiment: the scorer with its domain words, the scores stored with feedback, and the
sentiment dashboard's means, n and hidden cells."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from analytics import charts, metrics
from feedback import sentiment, support, surveys
from feedback import suggestions as suggestion_services
from feedback.models import SuggestionComment
from feedback.support_models import SupportRating
from feedback.surveys import SurveyResponse
from kudos.extensions import db
from kudos.models import User

WEEK1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
WEEK2 = WEEK1 + timedelta(days=7)
RANGE = "start=2026-03-01&end=2026-03-31"
SURVEY_COMMENTS = [
    "Great platform, thanks a lot!",
    "The new docs are excellent.",
    "Another outage this week, the cluster was down for hours.",
    "Works fine.",
    "I love the self-service accounts.",
]
SUGGESTION_COMMENTS = [
    "Yes please, this would be great.",
    "The current process is broken and slow.",
    "Good idea.",
    "Timeout after timeout, we need this.",
]


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


# The scorer ------------------------------------------------------------------------------------


def test_domain_words_turn_a_polite_cry_for_help_negative():
    text = "please help, the cluster is down"
    assert sentiment.score(text, domain=False) > 0.05  # VADER alone: "please" and "help" glow
    assert sentiment.score(text) <= -0.05


@pytest.mark.parametrize("word", ["support", "help", "please"])
def test_support_help_and_please_are_neutral(word):
    assert sentiment.score(f"{word}", domain=False) > 0
    assert sentiment.score(word) == 0.0


@pytest.mark.parametrize("text", ["Another outage", "timeout again", "the pipeline is broken",
                                  "the portal is down"])  # fmt: skip
def test_outage_timeout_broken_and_down_are_negative(text):
    assert sentiment.score(text) <= -0.05


def test_no_text_has_no_score():
    assert sentiment.score(None) is None
    assert sentiment.score("   \n") is None
    assert sentiment.score_parts(None, "  ") is None
    assert sentiment.score_parts("slow", "thanks") == sentiment.score("slow\nthanks")


# Stored with the feedback ------------------------------------------------------------------------


@pytest.fixture
def lead(app, make_user):
    with app.app_context():
        return make_user(email="lead@example.com", role="lead")


def _survey(app, lead_id, kind="csat"):
    with app.app_context():
        lead = db.session.get(User, lead_id)
        return surveys.create(lead, kind, "How satisfied are you with the platform?",
                              date(2026, 3, 1), date(2026, 3, 31), at=WEEK1).id  # fmt: skip


def test_a_survey_answer_stores_the_score_of_its_comment(app, make_user, lead):
    survey_id = _survey(app, lead)
    with app.app_context():
        with_comment = db.session.get(User, make_user())
        without = db.session.get(User, make_user())
        surveys.answer(with_comment, survey_id, 2, "The cluster is down again", at=WEEK1)
        surveys.answer(without, survey_id, 5, "  ", at=WEEK1)
        stored = {r.user_id: r.sentiment for r in db.session.scalars(db.select(SurveyResponse))}
        assert stored[with_comment.id] == sentiment.score("The cluster is down again") < 0
        assert stored[without.id] is None


def _solved_request(app, lead_id, member_id, category="iam", at=WEEK1):
    with app.app_context():
        lead, member = db.session.get(User, lead_id), db.session.get(User, member_id)
        filed = support.file_request(
            member, "Access denied on the deploy role", "The role says AccessDenied.", category,
            "normal", at=at,
        )  # fmt: skip
        support.reply(filed.id, lead, "Fixed it.", at=at + timedelta(hours=1))
        support.change_status(filed.id, lead, "solved", at=at + timedelta(hours=2))
        return filed.id


def test_a_rating_stores_the_score_of_its_reason_and_comment(app, make_user, lead):
    member_id = make_user()
    request_id = _solved_request(app, lead, member_id)
    with app.app_context():
        member = db.session.get(User, member_id)
        support.rate(request_id, member, 2, comment="Thanks anyway", reason="Took a week, broken",
                     at=WEEK1 + timedelta(hours=3))  # fmt: skip
        rating = db.session.scalars(db.select(SupportRating)).one()
        assert rating.sentiment == sentiment.score("Took a week, broken\nThanks anyway")
        other = _solved_request(app, lead, member_id)
        support.rate(other, member, 5, at=WEEK1 + timedelta(hours=4))
        scores = sorted(db.session.scalars(db.select(SupportRating.sentiment)), key=str)
        assert None in scores


def test_a_suggestion_comment_stores_its_score(app, make_user):
    with app.app_context():
        author = db.session.get(User, make_user())
        suggestion = suggestion_services.submit(
            author, "Self-service sandbox accounts", "Let teams create sandboxes themselves."
        )
        suggestion_services.comment(author, suggestion.id, "Timeout after timeout, please fix")
        stored = db.session.scalars(db.select(SuggestionComment.sentiment)).one()
        assert stored == sentiment.score("Timeout after timeout, please fix") < 0


# The dashboard -----------------------------------------------------------------------------------


@pytest.fixture
def scored(app, make_user, lead):
    """Week 1: five survey comments and four suggestion comments; week 2: two iam ratings."""
    survey_id = _survey(app, lead)
    with app.app_context():
        for text in SURVEY_COMMENTS:
            member = db.session.get(User, make_user())
            surveys.answer(member, survey_id, 4, text, at=WEEK1)
        author = db.session.get(User, make_user())
        suggestion = suggestion_services.submit(
            author, "Self-service sandbox accounts", "Let teams create sandboxes themselves.",
            at=WEEK1,
        )  # fmt: skip
        for text in SUGGESTION_COMMENTS:
            commenter = db.session.get(User, make_user(name="Carla Commenter"))
            suggestion_services.comment(commenter, suggestion.id, text, at=WEEK1)
    for _ in range(2):
        member_id = make_user()
        request_id = _solved_request(app, lead, member_id, at=WEEK2)
        with app.app_context():
            support.rate(request_id, db.session.get(User, member_id), 5, comment="Quick, thanks",
                         at=WEEK2 + timedelta(hours=3))  # fmt: skip
    return lead


def _mean(texts):
    return round(sum(sentiment.score(text) for text in texts) / len(texts), 4)


def test_sentiment_by_week_shows_the_mean_and_n_and_hides_small_weeks(client, auth, scored):
    auth.login_as("lead")
    rows = _csv(client.get(f"/analytics/sentiment/weekly.csv?{RANGE}"))
    assert list(rows[0]) == ["period", "n", "mean", "suppressed"]  # no totals, no people
    by_week = {row["period"]: row for row in rows}
    week1 = by_week["2026-03-02"]
    assert week1["n"] == "9"
    assert float(week1["mean"]) == pytest.approx(_mean(SURVEY_COMMENTS + SUGGESTION_COMMENTS))
    assert by_week["2026-03-09"]["n"] == "2" and by_week["2026-03-09"]["mean"] == ""
    page = client.get(f"/analytics/sentiment?{RANGE}").get_data(as_text=True)
    overall = _mean(SURVEY_COMMENTS + SUGGESTION_COMMENTS + ["Quick, thanks"] * 2)
    assert f"{overall:+.2f} (n=11)" in page
    assert "Carla Commenter" not in page and "outage" not in page  # aggregates only


def test_sentiment_by_category_counts_ratings_under_their_request_category(client, auth, scored):
    auth.login_as("lead")
    rows = {row["category"]: row for row in
            _csv(client.get(f"/analytics/sentiment/categories.csv?{RANGE}"))}  # fmt: skip
    assert set(rows) == {"iam", "suggestion", "survey"}
    assert rows["survey"]["n"] == "5"
    assert float(rows["survey"]["mean"]) == pytest.approx(_mean(SURVEY_COMMENTS))
    assert rows["suggestion"]["n"] == "4" and rows["suggestion"]["mean"] == ""
    assert rows["iam"]["n"] == "2" and rows["iam"]["suppressed"] == "True"


def test_the_category_filter_keeps_one_source(client, auth, scored):
    auth.login_as("lead")
    rows = _csv(client.get(f"/analytics/sentiment/weekly.csv?{RANGE}&category=survey"))
    assert [(row["period"], row["n"]) for row in rows] == [("2026-03-02", "5")]
    assert float(rows[0]["mean"]) == pytest.approx(_mean(SURVEY_COMMENTS))
    page = client.get(f"/analytics/sentiment?{RANGE}&category=suggestion").get_data(as_text=True)
    assert "hidden (n=4, fewer than 5)" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("category=weather", "There is no category “weather”"),
        ("start=2026-03-31&end=2026-03-01", "The range ends (2026-03-01) before it starts"),
    ],
)
def test_bad_sentiment_filters_say_why(client, auth, query, message):
    auth.login_as("lead")
    response = client.get(f"/analytics/sentiment?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    export = client.get(f"/analytics/sentiment/categories.csv?{query}")
    assert export.status_code == 400


def test_the_category_filter_offers_support_categories_surveys_and_suggestions(client, auth):
    auth.login_as("lead")
    page = client.get("/analytics/sentiment").get_data(as_text=True)
    for choice in ("billing", "iam", "survey", "suggestion"):
        assert f'<option value="{choice}"' in page


# Metric and chart ---------------------------------------------------------------------------------


def test_sentiment_mean_sums_groups_and_drops_the_totals():
    sums = pd.DataFrame(
        [("w1", "survey", 3, 1.5), ("w1", "iam", 2, -1.0), ("w2", "survey", 4, 2.0)],
        columns=["period", "category", "n", "total"],
    )
    out = metrics.sentiment_mean(sums, ["period"]).set_index("period")
    assert list(out.columns) == ["n", "mean"]
    assert out.loc["w1", "n"] == 5 and out.loc["w1", "mean"] == pytest.approx(0.1)
    assert out.loc["w2", "mean"] == pytest.approx(0.5)
    hidden = metrics.suppress(out.reset_index(), ["mean"])
    assert hidden["suppressed"].tolist() == [False, True]
    with pytest.raises(metrics.MetricError):
        metrics.sentiment_mean(sums.assign(total=[9.0, 0.0, 0.0]), ["period"])


def test_sentiment_bars_colour_by_sign_and_label_n():
    frame = metrics.suppress(
        pd.DataFrame({"category": ["survey", "iam", "billing"], "n": [6, 8, 2],
                      "mean": [0.4, -0.3, 0.9]}), ["mean"]
    )  # fmt: skip
    figure = charts.sentiment_bars(frame, "category", "Mean sentiment by category").to_plotly_json()
    bar = figure["data"][0]
    assert list(bar["text"]) == ["n=6", "n=8", "n<5"]
    assert list(bar["marker"]["color"]) == ["#16a34a", "#dc2626", "#9ca3af"]
    assert figure["layout"]["yaxis"]["range"] == [-1, 1]
    assert figure["layout"]["title"]["text"] == "Mean sentiment by category"
