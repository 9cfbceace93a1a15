"""`kudos demo` fills a year of Q&A through the engine, consistently."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from conftest import migrate_schema
from gamify import ledger
from gamify.models import Answer, PointEvent, Question, Vote
from kudos.extensions import db
from kudos.models import utcnow


def test_demo_adds_a_year_of_questions_scored_by_the_engine(runner, app, client):
    migrate_schema(app)
    result = runner.invoke(args=["demo", "--seed", "3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Question.id))) == 60
        assert db.session.scalar(select(func.count(Answer.id))) > 40
        assert db.session.scalar(select(func.count(Vote.id))) > 100
        oldest = db.session.scalar(select(func.min(Question.created_at)))
        assert oldest < utcnow() - timedelta(days=200)
        # A few very active helpers: the top answerer has several times the median's answers.
        per_author = db.session.scalars(
            select(func.count(Answer.id)).group_by(Answer.author_id).order_by(func.count().desc())
        ).all()
        assert per_author[0] >= 4 * per_author[len(per_author) // 2]
        assert db.session.scalar(select(func.count(PointEvent.id))) > 100
        assert ledger.verify() == []
    page = client.get("/questions").get_data(as_text=True)
    assert "Page 1 of 3" in page
