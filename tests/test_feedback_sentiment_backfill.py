"""`kudos sentiment backfill`: text saved before scores were stored gets the score the
services give, in batches, once; scored rows are left alone and a failed batch is not half
written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import OperationalError

from feedback import sentiment, support, surveys
from feedback import suggestions as suggestion_services
from feedback.historic import HistoricResponse
from feedback.models import SuggestionComment
from feedback.support_models import SupportRating
from feedback.surveys import SurveyResponse
from kudos.extensions import db
from kudos.models import User

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SURVEY_COMMENTS = [
    "Another outage this week, the cluster was down for hours.",
    "Great platform, thanks a lot!",
    "Works fine.",
    "Please help, our pipeline keeps hitting a timeout.",
    "I love the self-service accounts.",
]
ALREADY_SCORED = 0.1234  # no text here scores this, so a rewrite would show


def _unscore(model, ids=None):
    """Make rows look saved before the sentiment columns existed."""
    statement = update(model).values(sentiment=None)
    if ids is not None:
        statement = statement.where(model.id.in_(ids))
    db.session.execute(statement)
    db.session.commit()


@pytest.fixture
def old_texts(app, make_user, runner, tmp_path):
    """Survey answers, a rating, a suggestion comment and a historic response without scores,
    one survey answer with a score of its own, and one without any text."""
    lead_id = make_user(role="lead", password=None)
    history = tmp_path / "history.csv"
    history.write_text(
        "date,kind,score,comment,category\n2025-03-03,csat,2,The portal is broken again,iam\n",
        encoding="utf-8",
    )
    assert runner.invoke(args=["import", "feedback", str(history)]).exit_code == 0
    with app.app_context():
        lead = db.session.get(User, lead_id)
        survey = surveys.create(lead, "csat", "How satisfied are you with the platform?",
                                date(2026, 3, 1), date(2026, 3, 31), at=AT)  # fmt: skip
        for text in [*SURVEY_COMMENTS, "Support was quick and friendly.", None]:
            member = db.session.get(User, make_user(password=None))
            surveys.answer(member, survey.id, 4, text, at=AT)
        member = db.session.get(User, make_user(password=None))
        filed = support.file_request(
            member, "Access denied on the deploy role", "The role says AccessDenied.", "iam",
            "normal", at=AT,
        )  # fmt: skip
        support.reply(filed.id, lead, "Fixed it.", at=AT + timedelta(hours=1))
        support.change_status(filed.id, lead, "solved", at=AT + timedelta(hours=2))
        support.rate(filed.id, member, 2, comment="Thanks anyway", reason="Took a week, broken",
                     at=AT + timedelta(hours=3))  # fmt: skip
        suggestion = suggestion_services.submit(
            lead, "Self-service sandbox accounts", "Let teams create sandboxes themselves.", at=AT
        )
        suggestion_services.comment(lead, suggestion.id, "Timeout after timeout, please fix")
        kept = db.session.scalar(
            select(SurveyResponse.id).where(
                SurveyResponse.comment == "Support was quick and friendly."
            )
        )
        for model in (SurveyResponse, SupportRating, SuggestionComment, HistoricResponse):
            _unscore(model)
        db.session.execute(
            update(SurveyResponse).where(SurveyResponse.id == kept).values(sentiment=ALREADY_SCORED)
        )
        db.session.commit()
    return kept


def _survey_scores(app):
    with app.app_context():
        rows = db.session.execute(
            select(SurveyResponse.comment, SurveyResponse.sentiment).order_by(SurveyResponse.id)
        )
        return dict(rows.all())


def test_backfill_gives_unscored_texts_the_scores_the_services_give(app, runner, old_texts):
    result = runner.invoke(args=["sentiment", "backfill"])
    assert result.exit_code == 0, result.output
    assert "Scoring 8 texts" in result.output  # the progress bar's label
    assert "  survey answers: 5\n" in result.output
    assert result.output.endswith("Scored 8 texts.\n")
    scores = _survey_scores(app)
    for text in SURVEY_COMMENTS:
        assert scores[text] == sentiment.score(text)
    assert scores["Support was quick and friendly."] == ALREADY_SCORED  # left alone
    assert scores[None] is None  # nothing to score
    with app.app_context():
        rating = db.session.scalars(select(SupportRating)).one()
        assert rating.sentiment == sentiment.score("Took a week, broken\nThanks anyway")
        comment = db.session.scalar(select(SuggestionComment.sentiment))
        assert comment == sentiment.score("Timeout after timeout, please fix") < 0
        historic = db.session.scalar(select(HistoricResponse.sentiment))
        assert historic == sentiment.score("The portal is broken again") < 0


def test_a_second_run_scores_nothing_and_says_so(app, runner, old_texts):
    runner.invoke(args=["sentiment", "backfill"])
    before = _survey_scores(app)
    again = runner.invoke(args=["sentiment", "backfill"])
    assert again.exit_code == 0
    assert again.output == "Nothing to score: every stored text has a sentiment score.\n"
    assert _survey_scores(app) == before


def test_a_failed_batch_is_rolled_back_whole_and_a_rerun_finishes(app, runner, old_texts):
    updates = []

    def fail_the_second_batch(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE survey_response"):
            updates.append(statement)
            if len(updates) == 2:
                raise OperationalError(statement, parameters, Exception("disk I/O error"))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", fail_the_second_batch)
    try:
        result = runner.invoke(args=["sentiment", "backfill", "--batch-size", "2"])
    finally:
        event.remove(engine, "before_cursor_execute", fail_the_second_batch)
    assert result.exit_code == 1
    assert "Stopped after 2 of 8 texts: disk I/O error." in result.output
    assert "run the command again" in result.output
    scores = _survey_scores(app)
    # The first batch (two answers) is stored; the second is not even half stored.
    assert [scores[text] is not None for text in SURVEY_COMMENTS] == [
        True, True, False, False, False,
    ]  # fmt: skip
    rerun = runner.invoke(args=["sentiment", "backfill", "--batch-size", "2"])
    assert rerun.exit_code == 0, rerun.output
    assert rerun.output.endswith("Scored 6 texts.\n")
    assert all(_survey_scores(app)[text] == sentiment.score(text) for text in SURVEY_COMMENTS)


def test_the_command_is_listed_under_kudos_sentiment(runner):
    result = runner.invoke(args=["sentiment", "--help"])
    assert result.exit_code == 0 and "backfill" in result.output
