"""Many requests at once on the same posts never pay twice (PostgreSQL, real connections)."""

from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import func, select

from conftest import PASSWORD, TEST_DATABASE_URL
from gamify import engine, ledger
from gamify.models import PointEvent, Post, Tag, Vote
from kudos.extensions import db

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="needs PostgreSQL (KUDOS_TEST_DATABASE_URL) for real concurrency"
)

THREADS = 8
ROUNDS = 25


def test_concurrent_votes_unvotes_and_accepts(app, make_user, make_question, make_answer):
    asker = make_user(email="asker@example.com")
    with app.app_context():
        db.session.add_all([Tag(name="aws"), Tag(name="iam")])  # the tags make_question uses
        db.session.commit()
    question_id = make_question(author_id=asker)
    answers = [make_answer(question_id) for _ in range(3)]
    posts = [question_id, *answers]
    for number in range(THREADS):
        voter = make_user(email=f"voter{number}@example.com")
        with app.app_context():  # enough points to downvote under the default preset
            engine.record(
                "answer_accepted", voter, key=f"seed:{voter}", source_type="test", points=124
            )
            db.session.commit()
    errors: list[str] = []
    start = threading.Barrier(THREADS + 1)

    def worker(number: int, email: str) -> None:
        client = app.test_client()
        client.post("/login", data={"email": email, "password": PASSWORD})
        asker_client = app.test_client()
        asker_client.post("/login", data={"email": "asker@example.com", "password": PASSWORD})
        rng = random.Random(number)
        start.wait()
        for _ in range(ROUNDS):
            post = rng.choice(posts)
            if rng.random() < 0.15:
                response = asker_client.post(f"/answers/{rng.choice(answers)}/accept", data={})
            else:
                value = rng.choice(["up", "up", "down", "none"])
                response = client.post(f"/posts/{post}/vote", data={"value": value})
            if response.status_code >= 500:
                errors.append(f"{response.status_code} {response.get_data(as_text=True)[:200]}")

    threads = [
        threading.Thread(target=worker, args=(n, f"voter{n}@example.com")) for n in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()

    assert errors == []
    with app.app_context():
        keys = db.session.scalars(select(PointEvent.event_key)).all()
        assert len(keys) == len(set(keys))
        assert ledger.verify() == []
        # One active vote per voter and post, and every score equals its active votes.
        for post_id in posts:
            active = db.session.scalars(
                select(Vote.value).where(Vote.post_id == post_id, Vote.retracted_at.is_(None))
            ).all()
            assert db.session.get(Post, post_id).score == sum(active)
        duplicates = db.session.execute(
            select(Vote.post_id, Vote.voter_id)
            .where(Vote.retracted_at.is_(None))
            .group_by(Vote.post_id, Vote.voter_id)
            .having(func.count() > 1)
        ).all()
        assert duplicates == []
        assert db.session.scalar(select(func.count(Vote.id))) > THREADS
