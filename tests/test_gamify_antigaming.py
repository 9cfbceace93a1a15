"""Serial voting: found, reversed with "voting corrected", and the daily cap applied again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from gamify import antigaming, engine, ledger, services
from gamify.models import PointDay, PointEvent, Tag, Vote
from kudos.extensions import db
from kudos.models import User

DAY = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)  # a Tuesday, weeks before the tests run


@pytest.fixture
def ctx(app):
    with app.app_context():
        db.session.add_all([Tag(name="aws"), Tag(name="iam")])  # new tags are a privilege
        db.session.commit()
        yield


@pytest.fixture
def member(ctx, make_user):
    """Create a member with 201 points (enough to up- and downvote) and return the id."""

    def make(email):
        user_id = make_user(email=email)
        engine.record(
            "answer_accepted",
            user_id,
            key=f"seed:{user_id}",
            source_type="test",
            points=200,
            at=DAY - timedelta(days=60),
        )
        db.session.commit()
        return user_id

    return make


@pytest.fixture
def posts(ctx, make_question):
    """Ask n questions as the author and return their ids."""

    def make(author_id, count):
        return [
            make_question(author_id=author_id, title=f"How do I rotate IAM access keys, take {n}?")
            for n in range(count)
        ]

    return make


def vote(voter_id, post_id, value=1, at=DAY):
    services.vote(db.session.get(User, voter_id), post_id, value, at=at)


def run(**kwargs):
    return antigaming.correct(antigaming.find_serial_voting(**kwargs))


def corrected_rows(user_id=None):
    query = select(PointEvent).where(PointEvent.note == antigaming.REASON)
    if user_id is not None:
        query = query.where(PointEvent.user_id == user_id)
    return db.session.scalars(query.order_by(PointEvent.id)).all()


def ledger_size():
    return db.session.scalar(select(func.count(PointEvent.id)))


def vote_ids(voter_id):
    return db.session.scalars(
        select(Vote.id).where(Vote.voter_id == voter_id).order_by(Vote.created_at)
    ).all()


def capped_points(user_id, at=DAY):
    return db.session.get(PointDay, (user_id, at.date())).capped_points


def test_serial_votes_are_reversed_and_everyone_else_is_left_alone(
    member, posts, make_user, make_question, make_answer
):
    author = make_user(email="author@example.com")
    serial, few, spread = member("serial@example.com"), member("few@example.com"), member("w@x.io")
    questions = posts(author, 6)
    answer = make_answer(make_question(author_id=make_user()), author_id=author)
    for n, question in enumerate(questions[:5]):
        vote(serial, question, at=DAY + timedelta(minutes=10 * n))
    vote(serial, answer, -1, at=DAY + timedelta(minutes=50))  # -2 to the author, -1 to the voter
    vote(serial, questions[5], at=DAY + timedelta(days=3))  # days later: stands
    for n, question in enumerate(questions[:4]):
        vote(few, question, at=DAY + timedelta(minutes=5 + n))  # 4 in minutes: below the rule
    for n, question in enumerate(questions):
        vote(spread, question, at=DAY + timedelta(hours=30 * n))  # 6 over a week: stands
    assert engine.total(author) == 1 + (50 - 2 + 10) + 40 + 60
    assert engine.total(serial) == 201 - 1

    [case] = antigaming.find_serial_voting()
    assert (case.voter_id, case.author_id, case.votes, case.standing) == (serial, author, 6, 7)
    assert (case.first_at, case.last_at) == (DAY, DAY + timedelta(minutes=50))
    assert list(case.vote_ids) == vote_ids(serial)[:6]

    report = antigaming.correct([case])
    [result] = report.results
    assert (result.reversed, result.author_points, result.voter_points, result.repaid) == (
        7,
        -50 + 2,
        1,
        0,
    )
    assert engine.total(author) == 1 + 10 + 40 + 60
    assert engine.total(serial) == 201

    rows = corrected_rows()
    assert len(rows) == 7
    assert sorted(row.applied for row in rows) == [-10] * 5 + [1, 2]
    assert {row.day for row in rows} == {DAY.date()}  # on the day the votes paid
    undone_keys = set(
        db.session.scalars(
            select(PointEvent.event_key).where(PointEvent.id.in_([row.reverses_id for row in rows]))
        )
    )
    serial_votes = vote_ids(serial)[:6]
    assert undone_keys == {f"vote:{vote_id}" for vote_id in serial_votes} | {
        f"vote:{serial_votes[-1]}:cost"
    }
    others = [*vote_ids(few), *vote_ids(spread), vote_ids(serial)[6]]
    awards = select(PointEvent.id).where(
        PointEvent.event_key.in_([f"vote:{vote_id}" for vote_id in others]),
        PointEvent.applied == 10,
    )
    assert len(db.session.scalars(awards).all()) == 11
    undone = select(func.count(PointEvent.id)).where(PointEvent.reverses_id.in_(awards))
    assert db.session.scalar(undone) == 0
    assert db.session.scalar(select(func.count(Vote.id)).where(Vote.retracted_at.is_(None))) == 17
    assert ledger.verify() == []


def test_the_threshold_and_the_window(member, posts, make_user):
    author = make_user()
    on_time, too_slow, withdrew = member("a@x.io"), member("b@x.io"), member("c@x.io")
    questions = posts(author, 5)
    for n, question in enumerate(questions):
        vote(on_time, question, at=DAY + n * timedelta(hours=23, minutes=59) / 4)
        vote(too_slow, question, at=DAY + n * timedelta(hours=24) / 4)
        vote(withdrew, question, at=DAY + timedelta(minutes=n))
    vote(withdrew, questions[0], 0, at=DAY + timedelta(minutes=10))

    cases = antigaming.find_serial_voting()
    assert [(case.voter_id, case.votes) for case in cases] == [(on_time, 5)]
    assert antigaming.find_serial_voting(threshold=4) != []
    assert [
        case.voter_id for case in antigaming.find_serial_voting(window=timedelta(hours=25))
    ] == [on_time, too_slow]
    assert antigaming.find_serial_voting(since=DAY + timedelta(minutes=1)) == []


def cap_day(member, posts, make_user, legit_votes):
    """The author: +1, six serial upvotes at 09:00-09:50, then legit_votes upvotes from
    five members (four posts each at most, below the rule) until the cap cuts them."""
    author = make_user(email="author@example.com")
    questions = posts(author, 6)
    engine.record("survey_answered", author, key="survey", source_type="test", at=DAY)
    db.session.commit()
    serial = member("serial@example.com")
    for n, question in enumerate(questions):
        vote(serial, question, at=DAY + timedelta(minutes=10 * n))
    legit = [member(f"legit{n}@example.com") for n in range(5)]
    cast = [(voter, question) for voter in legit for question in questions[:4]][:legit_votes]
    for n, (voter, question) in enumerate(cast):
        vote(voter, question, at=DAY + timedelta(hours=1, minutes=n))
    return author, serial, cast


@pytest.mark.parametrize(
    ("legit_votes", "day_total", "repaid"),
    [
        (18, 1 + 180, [1, 10, 10, 10, 10]),  # everything legit fits under the cap now
        (20, 200, [1, 10, 10, 10, 10, 10, 9]),  # the last one is paid only what fits
    ],
)
def test_the_cap_is_applied_again_in_order(
    member, posts, make_user, legit_votes, day_total, repaid
):
    author, _, cast = cap_day(member, posts, make_user, legit_votes)
    # 1 + 60 serial + 13 legit = 191; the 14th legit vote gets 9 of 10, the rest nothing.
    assert capped_points(author) == 200
    assert engine.total(author) == 201
    cut = db.session.scalars(
        select(PointEvent.note)
        .where(PointEvent.user_id == author, PointEvent.applied < PointEvent.requested)
        .order_by(PointEvent.id)
    ).all()
    assert cut == ["daily cap of 200: 9 of 10 paid"] + ["daily cap of 200 reached"] * (
        legit_votes - 14
    )

    report = run()
    assert (report.reversed, report.repaid) == (6, sum(repaid))
    assert capped_points(author) == day_total == min(200, 1 + 10 * legit_votes)
    assert engine.total(author) == 201 - 60 + sum(repaid)
    recaps = db.session.scalars(
        select(PointEvent).where(PointEvent.note == engine.RECAP_NOTE).order_by(PointEvent.id)
    ).all()
    assert [row.applied for row in recaps] == repaid
    assert {(row.user_id, row.day, row.action, row.capped) for row in recaps} == {
        (author, DAY.date(), "question_upvoted", True)
    }
    legit_awards = db.session.scalars(
        select(PointEvent.id)
        .where(PointEvent.event_key.in_([f"vote:{vote_id}" for vote_id in all_vote_ids(cast)]))
        .order_by(PointEvent.id)
    ).all()
    assert [row.event_key for row in recaps] == [
        f"recap:{award}:1" for award in legit_awards[13 : 13 + len(repaid)]
    ]
    assert ledger.verify() == []

    size, totals = ledger_size(), engine.total(author)
    again = run()
    assert (again.reversed, again.repaid, again.changed) == (0, 0, False)
    assert (ledger_size(), engine.total(author)) == (size, totals)
    assert engine.reapply_cap(author, DAY.date()) == []


def all_vote_ids(cast):
    voters = {voter for voter, _ in cast}
    return db.session.scalars(
        select(Vote.id).where(Vote.voter_id.in_(voters)).order_by(Vote.created_at, Vote.id)
    ).all()


def test_a_repaid_vote_withdrawn_later_is_taken_back(member, posts, make_user):
    author, _, cast = cap_day(member, posts, make_user, 20)
    run()
    assert capped_points(author) == 200
    voter, question = cast[14]  # cut to 0, then re-paid 10 by the job
    vote(voter, question, 0, at=DAY + timedelta(hours=5))
    assert engine.total(author) == 201  # the undo took back the 0 the vote itself paid

    assert antigaming.settle_undone_repayments() == 1
    # The 10 is taken back, and the last vote, paid 9 of 10, now fits whole.
    assert capped_points(author) == 190 + 1 == min(200, 1 + 10 * 19)
    assert engine.total(author) == 201 - 10 + 1
    taken = db.session.scalars(
        select(PointEvent).where(
            PointEvent.reverses_id.in_(
                select(PointEvent.id).where(PointEvent.note == engine.RECAP_NOTE)
            )
        )
    ).all()
    assert [(row.applied, row.note, row.day) for row in taken] == [
        (-10, "vote withdrawn", DAY.date())
    ]
    assert ledger.verify() == []
    assert antigaming.settle_undone_repayments() == 0


def test_detect_serial_voting_command(member, posts, make_user, runner, client):
    author, serial, _ = cap_day(member, posts, make_user, 18)
    size, total = ledger_size(), engine.total(author)

    result = runner.invoke(args=["points", "detect-serial-voting", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (
        f"voter {serial} <serial@example.com> on posts of author {author} <author@example.com>: "
        "6 votes from 2026-11-10 09:00 to 2026-11-10 09:50 UTC, 6 award(s) standing"
    ) in result.output
    assert "1 case(s) in all votes" in result.output
    assert "Dry run: nothing was changed." in result.output
    assert (ledger_size(), engine.total(author)) == (size, total)

    since = ["--since", "2026-11-10T09:11"]  # leaves four of the six votes
    result = runner.invoke(args=["points", "detect-serial-voting", *since, "--dry-run"])
    assert "0 case(s) since 2026-11-10 09:11 UTC" in result.output

    result = runner.invoke(args=["points", "detect-serial-voting", "--quiet"])
    assert result.exit_code == 0, result.output
    assert (
        f"Voting corrected for voter {serial} <serial@example.com> on posts of author {author} "
        "<author@example.com>: 6 award(s) reversed, author -60, voter +0, "
        "41 point(s) re-paid under the daily cap."
    ) in result.output
    assert "1 case(s) corrected: 6 award(s) reversed, 41 point(s) re-paid" in result.output
    assert engine.total(author) == 201 - 60 + 41
    assert ledger.verify() == []
    page = client.get(f"/users/{author}").get_data(as_text=True)
    assert page.count("question upvoted undone (voting corrected)") == 6
    assert page.count("question upvoted (daily cap recomputed)") == 5

    result = runner.invoke(args=["points", "detect-serial-voting", "--quiet"])
    assert (result.exit_code, result.output) == (0, "")
    result = runner.invoke(args=["points", "detect-serial-voting", "--days", "3650"])
    assert result.exit_code == 0, result.output
    assert "0 award(s) standing" in result.output
    assert "0 case(s) corrected" in result.output

    result = runner.invoke(args=["points", "detect-serial-voting", "--days", "2", *since])
    assert result.exit_code == 2
    assert "not both" in result.output


def test_reapply_cap_repays_only_cap_cuts_and_never_passes_the_cap(ctx, make_user):
    user = make_user()

    def rec(action, key, minutes, **kwargs):
        at = DAY + timedelta(minutes=minutes)
        event = engine.record(action, user, key=key, source_type="test", at=at, **kwargs)
        db.session.commit()
        return event

    def undo(key, minutes):
        engine.reverse(key, reason="vote withdrawn", at=DAY + timedelta(minutes=minutes))
        db.session.commit()

    for n in range(4):
        rec("suggestion_submitted", f"s:{n}", n)  # 6 paid; the fourth is over the daily limit
    for n in range(18):
        rec("answer_upvoted", f"up:{n}", 10 + n)  # 186
    rec("answer_upvoted", "low", 30, unpaid="votes from members with fewer than 5 points")
    rec("answer_upvoted", "a", 31)  # 196
    assert rec("answer_upvoted", "b", 32).applied == 4  # 200
    undo("a", 33)  # 190, on the same day
    assert rec("answer_upvoted", "c", 34).applied == 10  # 200 again
    # Recomputed in order, b would fit now that a never paid; but c was paid since, and the
    # day must stay within the cap: nothing more is paid.
    assert engine.reapply_cap(user, DAY.date()) == []
    assert capped_points(user) == 200

    undo("c", 35)
    [recap] = engine.reapply_cap(user, DAY.date())
    db.session.commit()
    assert (recap.applied, recap.event_key, recap.note) == (
        6,
        f"recap:{db.session.scalar(select(PointEvent.id).where(PointEvent.event_key == 'b'))}:1",
        "daily cap recomputed",
    )
    # The unpaid vote and the suggestion over the daily limit were not cut by the cap.
    assert capped_points(user) == 6 + 180 + 10 == engine.total(user) - 1
    assert engine.reapply_cap(user, DAY.date()) == []
    assert ledger.verify() == []
