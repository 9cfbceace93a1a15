"""Every rule of the points engine at its boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from gamify import engine, ledger
from gamify.models import PointDay, PointEvent, PointPeriod, UserScore
from kudos.extensions import db

NOON = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def user(ctx, make_user):
    return make_user()


def rec(action, user_id, key, at=NOON, **kwargs):
    event = engine.record(action, user_id, key=key, source_type="test", at=at, **kwargs)
    db.session.commit()
    return event


def undo(key, at=NOON, reason="undone"):
    event = engine.reverse(key, reason=reason, at=at)
    db.session.commit()
    return event


def total(user_id):
    return engine.total(user_id)


def upvotes(user_id, count, at=NOON, prefix="up"):
    for number in range(count):
        rec("answer_upvoted", user_id, f"{prefix}:{number}", at=at + timedelta(seconds=number))


def test_everyone_starts_at_one(user):
    assert total(user) == 1


def test_an_upvote_writes_the_ledger_total_and_rollups(user):
    event = rec("answer_upvoted", user, "vote:1", actor_id=None)
    assert (event.requested, event.applied, event.rule_version, event.day) == (
        10,
        10,
        1,
        date(2026, 12, 3),
    )
    assert total(user) == 11
    day = db.session.get(PointDay, (user, date(2026, 12, 3)))
    assert (day.points, day.capped_points) == (10, 10)
    periods = dict(
        db.session.execute(
            select(PointPeriod.period, PointPeriod.start).where(PointPeriod.user_id == user)
        ).all()
    )
    assert periods == {
        "week": date(2026, 11, 30),
        "month": date(2026, 12, 1),
        "quarter": date(2026, 10, 1),
        "year": date(2026, 1, 1),
    }
    assert ledger.verify() == []


def test_the_same_key_is_never_paid_twice(user):
    first = rec("answer_upvoted", user, "vote:1")
    again = rec("answer_upvoted", user, "vote:1")
    assert again.id == first.id
    assert total(user) == 11
    assert db.session.scalar(select(func.count(PointEvent.id))) == 1


def test_the_daily_cap_pays_exactly_up_to_200(user):
    upvotes(user, 20)
    assert total(user) == 201
    capped = rec("answer_upvoted", user, "up:21", at=NOON + timedelta(minutes=5))
    assert (capped.requested, capped.applied) == (10, 0)
    assert capped.note == "daily cap of 200 reached"
    assert total(user) == 201
    assert ledger.verify() == []


def test_a_gain_crossing_the_cap_earns_the_remainder(user):
    for number in range(5):
        rec("survey_answered", user, f"survey:{number}")
    upvotes(user, 19)  # 5 + 190 = 195 towards the cap
    crossing = rec("answer_upvoted", user, "up:crossing", at=NOON + timedelta(minutes=5))
    assert (crossing.requested, crossing.applied) == (10, 5)
    assert crossing.note == "daily cap of 200: 5 of 10 paid"
    assert total(user) == 201


def test_the_cap_resets_at_midnight_utc(user):
    late = datetime(2026, 12, 3, 23, 59, tzinfo=UTC)
    upvotes(user, 20, at=late - timedelta(minutes=1))
    assert rec("answer_upvoted", user, "late", at=late + timedelta(seconds=30)).applied == 0
    early = datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
    assert rec("answer_upvoted", user, "early", at=early).applied == 10


@pytest.mark.parametrize(
    ("action", "points"),
    [
        ("answer_accepted", 15),
        ("accepted_an_answer", 2),
        ("suggestion_planned", 10),
        ("suggestion_completed", 25),
    ],
)
def test_exempt_actions_pay_in_full_at_the_cap(user, action, points):
    upvotes(user, 20)
    event = rec(action, user, "exempt")
    assert event.applied == points
    assert total(user) == 201 + points
    # ...and do not use up the day's cap either.
    assert db.session.get(PointDay, (user, NOON.date())).capped_points == 200


def test_penalties_are_not_capped(user):
    upvotes(user, 20)
    assert rec("answer_downvoted", user, "down").applied == -2
    assert total(user) == 199


def test_the_floor_of_one(user):
    first = rec("answer_downvoted", user, "down:1")
    assert (first.requested, first.applied) == (-2, 0)
    assert first.note == "total cannot go below 1"
    rec("accepted_an_answer", user, "accept")  # total 3
    second = rec("question_downvoted", user, "down:2")
    third = rec("question_downvoted", user, "down:3")
    assert (second.applied, third.applied) == (-2, 0)
    assert total(user) == 1
    assert ledger.verify() == []


def test_undo_writes_minus_the_applied_amount(user):
    rec("answer_upvoted", user, "vote:1")
    reversal = undo("vote:1", reason="vote withdrawn")
    assert (reversal.requested, reversal.applied) == (-10, -10)
    assert reversal.reverses_id is not None
    assert reversal.note == "vote withdrawn"
    assert total(user) == 1


def test_undoing_a_capped_award_takes_back_only_what_it_paid(user):
    for number in range(5):
        rec("survey_answered", user, f"survey:{number}")
    upvotes(user, 19)
    rec("answer_upvoted", user, "crossing", at=NOON + timedelta(minutes=5))  # paid 5
    capped = rec("answer_upvoted", user, "capped", at=NOON + timedelta(minutes=6))  # paid 0
    assert undo("crossing", at=NOON + timedelta(minutes=7)).applied == -5
    assert undo("capped", at=NOON + timedelta(minutes=8)).applied == 0
    assert capped.applied == 0
    assert total(user) == 196
    assert ledger.verify() == []


def test_undo_after_a_rule_change_uses_the_old_amount(user, make_user):
    rec("answer_upvoted", user, "old")
    engine.set_rule("answer_upvoted", 5)
    db.session.commit()
    new = rec("answer_upvoted", user, "new")
    assert (new.applied, new.rule_version) == (5, 2)
    assert undo("old").applied == -10
    assert total(user) == 6


def test_undo_is_idempotent_and_unknown_keys_are_ignored(user):
    rec("answer_upvoted", user, "vote:1")
    first = undo("vote:1")
    assert undo("vote:1").id == first.id
    assert undo("never-recorded") is None
    assert total(user) == 1


def test_undo_is_limited_by_the_floor(user):
    rec("answer_upvoted", user, "up")  # 11
    rec("answer_downvoted", user, "d1")  # 9
    rec("answer_downvoted", user, "d2")  # 7
    rec("answer_downvoted", user, "d3")  # 5
    reversal = undo("up")
    assert (reversal.requested, reversal.applied) == (-10, -4)
    assert total(user) == 1
    assert ledger.verify() == []


def test_undoing_a_penalty_gives_back_what_it_took(user):
    rec("answer_upvoted", user, "up")
    rec("answer_downvoted", user, "down")
    assert undo("down").applied == 2
    assert total(user) == 11


def test_daily_limit_pays_three_suggestions_a_day(user):
    paid = [rec("suggestion_submitted", user, f"s:{n}").applied for n in range(4)]
    assert paid == [2, 2, 2, 0]
    assert db.session.scalar(select(PointEvent.note).where(PointEvent.event_key == "s:3")) == (
        "daily limit of 3 reached"
    )
    undo("s:0")
    assert rec("suggestion_submitted", user, "s:4").applied == 2
    tomorrow = NOON + timedelta(days=1)
    assert rec("suggestion_submitted", user, "s:5", at=tomorrow).applied == 2


def test_unknown_action_is_refused(user):
    with pytest.raises(engine.UnknownAction):
        engine.record("made_up", user, key="x", source_type="test")


def test_reverse_source_and_question(user, make_user):
    other = make_user()
    rec("answer_upvoted", user, "v1", source_id=7, question_id=None)
    engine.record("answer_upvoted", user, key="v2", source_type="post", source_id=7, at=NOON)
    engine.record("answer_accepted", user, key="a1", source_type="post", source_id=7, at=NOON)
    engine.record("question_upvoted", other, key="q1", source_type="post", source_id=3, at=NOON)
    db.session.commit()
    assert total(user) == 36
    reversed_rows = engine.reverse_source("post", 7, reason="post deleted")
    db.session.commit()
    assert sorted(row.applied for row in reversed_rows) == [-15, -10]
    assert total(user) == 11  # the "test" source is untouched
    assert total(other) == 11
    assert engine.reverse_source("post", 7, reason="post deleted") == []


def test_a_rolled_back_transaction_leaves_no_points(user):
    engine.record("answer_upvoted", user, key="v", source_type="test", at=NOON)
    db.session.rollback()
    assert total(user) == 1
    assert db.session.scalar(select(func.count(PointEvent.id))) == 0
    assert db.session.scalar(select(func.count(PointDay.user_id))) == 0


@pytest.mark.parametrize(
    ("day", "week", "month", "quarter", "year"),
    [
        ("2026-12-03", "2026-11-30", "2026-12-01", "2026-10-01", "2026-01-01"),
        ("2026-03-31", "2026-03-30", "2026-03-01", "2026-01-01", "2026-01-01"),
        ("2027-01-03", "2026-12-28", "2027-01-01", "2027-01-01", "2027-01-01"),
        ("2026-11-30", "2026-11-30", "2026-11-01", "2026-10-01", "2026-01-01"),
    ],
)
def test_period_starts_are_utc_calendar_periods(day, week, month, quarter, year):
    starts = engine.period_starts(date.fromisoformat(day))
    assert starts == {
        "week": date.fromisoformat(week),
        "month": date.fromisoformat(month),
        "quarter": date.fromisoformat(quarter),
        "year": date.fromisoformat(year),
    }


def test_verify_finds_drift_and_recalc_repairs_it(user, make_user, runner):
    other = make_user()
    upvotes(user, 3)
    rec("answer_upvoted", other, "o1", at=NOON - timedelta(days=40))
    result = runner.invoke(args=["points", "verify"])
    assert result.exit_code == 0, result.output
    assert "no drift" in result.output

    db.session.get(UserScore, user).total = 99
    db.session.get(PointDay, (other, (NOON - timedelta(days=40)).date())).points = 3
    db.session.commit()
    result = runner.invoke(args=["points", "verify"])
    assert result.exit_code == 1
    assert f"user {user} <user1@example.com>: total is 99, the ledger says 31" in result.output
    assert f"user {other} " in result.output

    result = runner.invoke(args=["points", "recalc"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt the totals and rollups of 2 users" in result.output
    assert ledger.verify() == []
    assert total(user) == 31
    assert total(other) == 11


def test_an_unpaid_event_is_recorded_with_its_reason(user):
    event = engine.record(
        "answer_upvoted", user, key="low", source_type="test", at=NOON, unpaid="voter below 15"
    )
    db.session.commit()
    assert (event.requested, event.applied, event.note) == (10, 0, "voter below 15")
    assert total(user) == 1
    assert undo("low").applied == 0
