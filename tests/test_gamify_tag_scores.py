"""The answer score per tag that the tag badges read follows every change of the posts."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from gamify import services, tag_scores
from gamify.models import AnswerTagScore, Post, Tag
from kudos.extensions import db
from kudos.models import User


@pytest.fixture
def community(app, make_user, make_question, make_answer):
    """A question tagged aws and iam with two answers by the same helper, and four voters."""
    helper = make_user(name="Helper")
    question = make_question(author_id=make_user(), tags="aws iam")
    first = make_answer(question, author_id=helper)
    second = make_answer(question, author_id=helper)
    voters = [make_user(name=f"Voter {n}") for n in range(4)]
    with app.app_context():
        db.session.execute(update(User).values(role="lead"))  # every voting privilege
        db.session.execute(update(User).where(User.id == helper).values(role="member"))
        db.session.commit()
    return {"helper": helper, "question": question, "answers": (first, second), "voters": voters}


def stored(app, user_id):
    with app.app_context():
        rows = db.session.execute(
            select(Tag.name, AnswerTagScore.score)
            .join(Tag, Tag.id == AnswerTagScore.tag_id)
            .where(AnswerTagScore.user_id == user_id)
        )
        return {name: score for name, score in rows if score}


def vote(app, voter_id, post_id, value):
    with app.app_context():
        services.vote(db.session.get(User, voter_id), post_id, value)


def no_drift(app):
    with app.app_context():
        return tag_scores.drift() == []


def test_votes_on_answers_count_in_every_tag_of_the_question(app, community):
    first, second = community["answers"]
    a, b, c, d = community["voters"]
    vote(app, a, first, 1)
    vote(app, b, first, 1)
    vote(app, c, second, -1)
    assert stored(app, community["helper"]) == {"aws": 1, "iam": 1}
    vote(app, c, second, 1)  # changed: -1 to +1
    vote(app, b, first, 0)  # withdrawn
    vote(app, d, community["question"], 1)  # a question's score is not an answer's
    assert stored(app, community["helper"]) == {"aws": 2, "iam": 2}
    assert no_drift(app)


def test_deleting_an_answer_or_the_question_takes_the_scores_away(app, community):
    first, second = community["answers"]
    a, b, c, _ = community["voters"]
    vote(app, a, first, 1)
    vote(app, b, first, 1)
    vote(app, c, second, 1)
    with app.app_context():
        services.delete(db.session.get(User, community["helper"]), second)
    assert stored(app, community["helper"]) == {"aws": 2, "iam": 2}
    with app.app_context():
        lead = db.session.get(User, a)
        services.delete(lead, community["question"])
    assert stored(app, community["helper"]) == {}
    vote(app, c, first, 1)  # an answer to a deleted question counts in no tag
    assert stored(app, community["helper"]) == {}
    assert no_drift(app)


def test_a_retag_moves_the_answers_scores_to_the_new_tags(app, community, make_question):
    first, second = community["answers"]
    a, b, _, _ = community["voters"]
    make_question(title="Which Terraform backend for state?", tags="terraform")  # tag exists
    vote(app, a, first, 1)
    vote(app, b, second, 1)
    with app.app_context():
        question = db.session.get(Post, community["question"])
        lead = db.session.get(User, a)
        services.edit(lead, question.id, body=question.body, tags="aws terraform")
    assert stored(app, community["helper"]) == {"aws": 2, "terraform": 2}
    assert no_drift(app)


def test_rebuild_recomputes_from_the_posts_and_drift_names_the_difference(app, community):
    first, _ = community["answers"]
    helper = community["helper"]
    with app.app_context():
        db.session.execute(update(Post).where(Post.id == first).values(score=7))
        db.session.commit()
        aws = db.session.scalar(select(Tag.id).where(Tag.name == "aws"))
        iam = db.session.scalar(select(Tag.id).where(Tag.name == "iam"))
        assert tag_scores.drift() == [(helper, aws, 0, 7), (helper, iam, 0, 7)]
        tag_scores.rebuild()
        db.session.commit()
    assert stored(app, helper) == {"aws": 7, "iam": 7}
    assert no_drift(app)


def test_points_verify_names_tag_score_drift_and_recalc_repairs_it(app, community, runner):
    first, _ = community["answers"]
    helper = community["helper"]
    with app.app_context():
        db.session.execute(update(Post).where(Post.id == first).values(score=4))
        db.session.commit()
        aws = db.session.scalar(select(Tag.id).where(Tag.name == "aws"))
    result = runner.invoke(args=["points", "verify"])
    assert result.exit_code == 1
    assert f"user {helper}: answer score in tag {aws} is 0, the posts say 4" in result.output

    result = runner.invoke(args=["points", "recalc"])
    assert result.exit_code == 0, result.output
    assert stored(app, helper) == {"aws": 4, "iam": 4}
    result = runner.invoke(args=["points", "verify"])
    assert result.exit_code == 0, result.output
    assert "no drift" in result.output
