"""Any sequence of Q&A actions leaves every counter equal to its ledger or its posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gamify import engine, ledger, privileges, services, tag_scores
from gamify.models import PointDay, Tag, UserScore
from kudos import create_app
from kudos.extensions import db
from kudos.models import User

USERS = 4
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["up", "down", "none", "accept", "unaccept", "delete", "answer", "retag"]),
        st.integers(0, USERS - 1),  # who acts
        st.integers(0, 5),  # which post (modulo the posts that exist)
        st.integers(0, 180),  # minutes since the previous action
    ),
    max_size=40,
)
VALUES = {"up": 1, "down": -1, "none": 0}
RETAGS = ("aws", "aws iam", "iam")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_any_sequence_keeps_the_ledger_verified(tmp_path_factory, monkeypatch, actions):
    # A low cap so that short sequences cross it; the rule is the same at 200.
    monkeypatch.setattr(engine, "DAILY_CAP", 25)
    folder = tmp_path_factory.mktemp("prop")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'p.db'}"})
    with app.app_context():
        db.create_all()
        users = [
            services_user(f"p{number}@example.com", "lead" if number == 3 else "member")
            for number in range(USERS)
        ]
        now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
        # The low preset lets fresh members upvote, so sequences mix votes that pay, votes that
        # do not pay yet (under 5 points) and downvotes refused for want of points.
        privileges.set_preset("low", None)
        db.session.add_all([Tag(name="aws"), Tag(name="iam")])
        question = services.ask(
            users[0], "A question about the landing zone", "Body text here", "aws"
        )
        posts = [question.id]
        for number in (1, 2):
            posts.append(
                services.answer(users[number], question.id, f"Answer number {number}", at=now).id
            )
        for action, who, which, minutes in actions:
            now += timedelta(minutes=minutes)
            actor = users[who]
            post_id = posts[which % len(posts)]
            try:
                if action in VALUES:
                    services.vote(actor, post_id, VALUES[action], at=now)
                elif action == "accept":
                    services.accept(actor, post_id, at=now)
                elif action == "unaccept":
                    services.unaccept(actor, question.id, at=now)
                elif action == "delete":
                    services.delete(actor, post_id, at=now)
                elif action == "retag":
                    tags = RETAGS[which % len(RETAGS)]
                    services.edit(users[0], question.id, body="Body text here", tags=tags, at=now)
                else:
                    posts.append(services.answer(actor, question.id, "Another answer", at=now).id)
            except services.QAError:
                db.session.rollback()  # refused (own post, deleted, not the asker, no privilege...)
        assert ledger.verify() == []
        assert tag_scores.drift() == []  # what the tag badges read equals the posts
        assert all(total >= 1 for total in db.session.scalars(select(UserScore.total)))
        assert (db.session.scalar(select(func.max(PointDay.capped_points))) or 0) <= 25
        db.session.remove()
        db.engine.dispose()


def services_user(email: str, role: str) -> User:
    from kudos import services as accounts

    return accounts.create_user(email, email.split("@")[0], None, role)
