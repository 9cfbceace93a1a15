"""The points engine: the one way any feature gives or takes points.

Every change is a ledger row (PointEvent) written together with the user's total, day rollup
and period rollups, in the caller's transaction. The engine never commits: the service that
calls it does, so the vote and its points land together or not at all.

Concurrency: the user's score row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite
serialises writers once the caller's transaction has written) before caps and floors are read,
and event_key is unique, so a retry or a concurrent duplicate can never pay twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import Date, Integer, bindparam, case, func, select, update
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import Session, make_transient_to_detached

from gamify import board_cache
from gamify.models import PERIODS, PointDay, PointEvent, PointPeriod, PointRule, UserScore
from kudos.database import cacheable, prepared, run
from kudos.extensions import db
from kudos.models import UTCDateTime, utcnow

log = logging.getLogger(__name__)

DAILY_CAP = 200
FLOOR = 1


@dataclass(frozen=True)
class Rule:
    action: str
    points: int
    capped: bool
    label: str
    daily_limit: int | None = None
    version: int = 1


# Stack Exchange compatible defaults (PRODUCT.md); admins add versions with set_rule.
DEFAULT_RULES = {
    rule.action: rule
    for rule in (
        Rule("question_upvoted", 10, True, "question upvoted"),
        Rule("answer_upvoted", 10, True, "answer upvoted"),
        Rule("answer_accepted", 15, False, "answer accepted"),
        Rule("accepted_an_answer", 2, False, "accepted an answer"),
        Rule("question_downvoted", -2, False, "question downvoted"),
        Rule("answer_downvoted", -2, False, "answer downvoted"),
        Rule("downvote_cast", -1, False, "downvoted an answer"),
        Rule("suggestion_submitted", 2, True, "suggestion submitted", daily_limit=3),
        Rule("suggestion_planned", 10, False, "suggestion planned"),
        Rule("suggestion_completed", 25, False, "suggestion completed"),
        Rule("survey_answered", 1, True, "survey or rating answered"),
        # Points carried over from another site's reputation; the amount is sent each time.
        Rule("imported_balance", 0, False, "imported balance"),
    )
}


class UnknownAction(ValueError):
    pass


def rule_for(action: str) -> Rule:
    """Return the rule in force for an action: the newest admin version, else the default."""
    return _rule_of(_default_rule(action), run(_sql().rule, {"action": action}).first())


def _default_rule(action: str) -> Rule:
    default = DEFAULT_RULES.get(action)
    if default is None:
        raise UnknownAction(f"no points rule for action {action!r}")
    return default


RULE_COLUMNS = ("version", "points", "capped", "daily_limit")


def _rule_of(default: Rule, row) -> Rule:
    """Return the rule an admin version row gives (row has RULE_COLUMNS), or the default."""
    if row is None or row.version is None:
        return default
    return Rule(default.action, row.points, row.capped, default.label, row.daily_limit, row.version)


def set_rule(
    action: str,
    points: int,
    *,
    capped: bool | None = None,
    daily_limit: int | None = None,
    actor_id: int | None = None,
) -> Rule:
    """Add a rule version that applies from now on (past ledger rows keep their values)."""
    current = rule_for(action)
    row = PointRule(
        action=action,
        version=current.version + 1,
        points=points,
        capped=current.capped if capped is None else capped,
        daily_limit=current.daily_limit if daily_limit is None else daily_limit,
        created_by_id=actor_id,
    )
    db.session.add(row)
    db.session.flush()
    return rule_for(action)


def period_starts(day: date) -> dict[str, date]:
    """Return the first day of the UTC week (Monday), month, quarter and year holding day."""
    return {
        "week": day - timedelta(days=day.weekday()),
        "month": day.replace(day=1),
        "quarter": date(day.year, 3 * ((day.month - 1) // 3) + 1, 1),
        "year": date(day.year, 1, 1),
    }


@prepared
def _sql(insert) -> SimpleNamespace:
    """The statements of the engine's every call, built once (see kudos.database.prepared)."""
    score, day, period = UserScore.__table__, PointDay.__table__, PointPeriod.__table__
    event, rule = PointEvent.__table__, PointRule.__table__
    new_day = insert(day)
    # One row per period (week, month, quarter, year), so that a gain is one statement.
    new_period = insert(period).values(
        [
            {
                "period": name,
                "start": bindparam(name, type_=Date),
                "user_id": bindparam("user", type_=Integer),
                "points": bindparam("gain", type_=Integer),
                "reached_at": bindparam("at", type_=UTCDateTime()),
            }
            for name in PERIODS
        ]
    )
    lock_scores: dict[int, object] = {}

    def lock_scores_of(count: int):
        """Add missing score rows for count users (u0, u1... and at), lock all, return totals.

        The no-op update on a conflict locks an existing row as SELECT ... FOR UPDATE would,
        in the order of the rows (ids ascending), and returns its total.
        """
        if count not in lock_scores:
            rows = [
                {
                    "user_id": bindparam(f"u{n}", type_=Integer),
                    "total": FLOOR,
                    "reached_at": bindparam("at", type_=UTCDateTime()),
                }
                for n in range(count)
            ]
            lock_scores[count] = cacheable(
                insert(score)
                .values(rows)
                .on_conflict_do_update(index_elements=["user_id"], set_={"total": score.c.total})
                .returning(score.c.user_id, score.c.total),
                score.c.user_id,
                score.c.total,
            )
        return lock_scores[count]

    def newest(column):
        return (
            select(column)
            .where(rule.c.action == bindparam("action"))
            .order_by(rule.c.version.desc())
            .limit(1)
            .scalar_subquery()
        )

    capped_so_far = select(day.c.capped_points).where(
        day.c.user_id == bindparam("id"), day.c.day == bindparam("day")
    )

    return SimpleNamespace(
        rule=select(rule.c.version, rule.c.points, rule.c.capped, rule.c.daily_limit)
        .where(rule.c.action == bindparam("action"))
        .order_by(rule.c.version.desc())
        .limit(1),
        lock_scores=lock_scores_of,
        # The rule in force and the user's capped points of the day, in one read.
        rule_and_room=select(
            *(newest(rule.c[name]).label(name) for name in RULE_COLUMNS),
            capped_so_far.scalar_subquery().label("capped_so_far"),
        ),
        total=select(score.c.total).where(score.c.user_id == bindparam("id")),
        pay=update(score)
        .where(score.c.user_id == bindparam("id"))
        .values(total=score.c.total + bindparam("amount"), reached_at=bindparam("at")),
        add_event=insert(event)
        .on_conflict_do_nothing(index_elements=["event_key"])
        .returning(event.c.id),
        add_day=new_day.on_conflict_do_update(
            index_elements=["user_id", "day"],
            set_={
                "points": day.c.points + new_day.excluded.points,
                "capped_points": day.c.capped_points + new_day.excluded.capped_points,
                "last_at": new_day.excluded.last_at,
            },
        ),
        add_periods=cacheable(
            new_period.on_conflict_do_update(
                index_elements=["period", "start", "user_id"],
                set_={
                    "points": period.c.points + new_period.excluded.points,
                    "reached_at": new_period.excluded.reached_at,
                },
            )
        ),
        paid_today=select(
            func.coalesce(func.sum(case((event.c.applied > 0, 1), else_=-1)), 0)
        ).where(
            event.c.user_id == bindparam("id"),
            event.c.action == bindparam("action"),
            event.c.day == bindparam("day"),
            event.c.applied != 0,
        ),
        by_key=select(event).where(event.c.event_key == bindparam("key")),
    )


LOCKED = "kudos.locked_scores"  # session.info: the score rows this transaction holds


@dataclass
class _Score:
    """A user's score row as this transaction holds it (locked: only this copy can change)."""

    user_id: int
    total: int


def lock_users(user_ids, at: datetime | None = None) -> None:
    """Make sure the users' score rows exist and hold them for the rest of the transaction.

    The rows are locked in id order, so that two transactions that touch the same users (A
    votes on B while B votes on A) cannot deadlock. A row the transaction holds already is
    not read again: the lock makes its copy the only one that can change.
    """
    db.session.flush()  # pending users must exist before their score rows
    held = db.session.info.setdefault(LOCKED, {})
    wanted = sorted(set(user_ids) - held.keys())
    if not wanted:
        return
    at = at or utcnow()
    ids = {f"u{n}": user_id for n, user_id in enumerate(wanted)}
    for user_id, total in run(_sql().lock_scores(len(wanted)), {**ids, "at": at}):
        held[user_id] = _Score(user_id, total)


def _lock_score(user_id: int, at: datetime) -> _Score:
    """Hold one user's score row (see lock_users) and return this transaction's copy."""
    lock_users([user_id], at)
    return db.session.info[LOCKED][user_id]


@sqlalchemy_event.listens_for(Session, "after_transaction_end")
def _release_scores(session: Session, transaction) -> None:
    # The end of the transaction or of a savepoint (rolling one back releases the locks taken
    # inside it), not of the inner transaction that each flush runs in.
    if transaction.parent is None or transaction.nested:
        session.info.pop(LOCKED, None)


def _existing(key: str) -> PointEvent | None:
    return db.session.scalar(select(PointEvent).where(PointEvent.event_key == key))


def _apply_rollups(event: dict, score: _Score) -> None:
    """Add a new ledger row to the user's total, day rollup and period rollups."""
    statements = _sql()
    at, applied, user_id = event["created_at"], event["applied"], event["user_id"]
    if applied:
        score.total += applied
        run(statements.pay, {"id": user_id, "amount": applied, "at": at})
    capped = applied if event["capped"] else 0
    day = {"user_id": user_id, "day": event["day"], "points": applied}
    run(statements.add_day, {**day, "capped_points": capped, "last_at": at})
    if not applied:
        return
    board_cache.mark_changed()
    starts = period_starts(event["day"])
    run(statements.add_periods, {**starts, "user": user_id, "gain": applied, "at": at})


def _paid_today(user_id: int, action: str, day: date) -> int:
    """Count today's paying events of an action, net of the ones reversed."""
    parameters = {"id": user_id, "action": action, "day": day}
    return run(_sql().paid_today, parameters).scalar() or 0


def record(
    action: str,
    user_id: int,
    *,
    key: str,
    source_type: str,
    source_id: int | None = None,
    actor_id: int | None = None,
    question_id: int | None = None,
    points: int | None = None,
    at: datetime | None = None,
    unpaid: str | None = None,
) -> PointEvent:
    """Write one award (or penalty) to the ledger, once per key, with caps and the floor.

    points overrides the rule's value (for actions whose amount is sent, such as external
    events). unpaid records the event but pays nothing, with that reason (a vote from an
    account below the voting threshold). Returns the existing row when key was recorded.
    """
    default = _default_rule(action)
    at = at or utcnow()
    day = at.date()
    score = _lock_score(user_id, at)  # before the day's points are read
    found = run(_sql().rule_and_room, {"action": action, "id": user_id, "day": day}).one()
    rule = _rule_of(default, found)
    requested = rule.points if points is None else points
    applied, note = requested, None
    limit = rule.daily_limit
    if requested > 0 and limit is not None and _paid_today(user_id, action, day) >= limit:
        applied, note = 0, f"daily limit of {rule.daily_limit} reached"
    if applied > 0 and rule.capped:
        room = max(0, DAILY_CAP - (found.capped_so_far or 0))
        if applied > room:
            applied = room
            note = (
                f"daily cap of {DAILY_CAP} reached"
                if room == 0
                else f"daily cap of {DAILY_CAP}: {room} of {requested} paid"
            )
    if requested < 0:
        applied, note = _floored(requested, score, note)
    if unpaid is not None:
        applied, note = 0, unpaid
    return _append(
        score,
        user_id=user_id,
        action=action,
        rule_version=rule.version,
        requested=requested,
        applied=applied,
        capped=rule.capped,
        day=day,
        created_at=at,
        source_type=source_type,
        source_id=source_id,
        question_id=question_id,
        actor_id=actor_id,
        event_key=key,
        reverses_id=None,
        note=note,
    )


def _append(score: _Score, **values) -> PointEvent:
    """Add a ledger row and carry it into the counters, in the same transaction.

    The row's unique key decides: a key already in the ledger (a retry, or a concurrent
    request that got there first) adds nothing and returns the row that has it.
    """
    new_id = run(_sql().add_event, values).scalar()
    if new_id is None:
        return _existing(values["event_key"])
    _apply_rollups(values, score)
    event = PointEvent(id=new_id, **values)
    make_transient_to_detached(event)  # the session knows it as the row just written
    db.session.add(event)
    return event


def _floored(requested: int, score: _Score, note: str | None) -> tuple[int, str | None]:
    applied = max(requested, FLOOR - score.total)
    if applied != requested:
        note = f"total cannot go below {FLOOR}"
    return applied, note


def reverse(
    key: str,
    *,
    reason: str,
    actor_id: int | None = None,
    at: datetime | None = None,
    day: date | None = None,
) -> PointEvent | None:
    """Undo the award recorded under key with a row of minus what it applied.

    Returns None when nothing was recorded under key; returns the existing reversal when it
    was already undone. A reversal that would take the total below the floor is limited by it.
    The reversal counts on the UTC day of at, or on day when given: a correction passes the
    award's own day, so that it frees that day's cap (see reapply_cap) and not today's.
    """
    statements = _sql()
    original = run(statements.by_key, {"key": key}).first()
    if original is None:
        return None
    undo_key = f"undo:{original.id}"
    if run(statements.by_key, {"key": undo_key}).first() is not None:
        return _existing(undo_key)
    at = at or utcnow()
    score = _lock_score(original.user_id, at)
    requested = -original.applied
    applied, note = requested, reason
    if requested < 0:
        applied, floor_note = _floored(requested, score, None)
        if floor_note:
            note = f"{reason}; {floor_note}"
    return _append(
        score,
        user_id=original.user_id,
        action=original.action,
        rule_version=original.rule_version,
        requested=requested,
        applied=applied,
        capped=original.capped,
        day=day or at.date(),
        created_at=at,
        source_type=original.source_type,
        source_id=original.source_id,
        question_id=original.question_id,
        actor_id=actor_id,
        event_key=undo_key,
        reverses_id=original.id,
        note=note,
    )


RECAP_NOTE = "daily cap recomputed"
_CUT_BY_CAP = "daily cap of "  # how record() notes a gain that the cap cut


def _recap_of(event: PointEvent) -> int | None:
    """Return the id of the award that a "daily cap recomputed" row pays more of."""
    if not event.event_key.startswith("recap:"):
        return None
    return int(event.event_key.split(":")[1])


def _top_up(score: _Score, award: PointEvent, amount: int, number: int, at: datetime) -> PointEvent:
    """Pay more of a gain that the cap cut, on the gain's own day."""
    return _append(
        score,
        user_id=award.user_id,
        action=award.action,
        rule_version=award.rule_version,
        requested=amount,
        applied=amount,
        capped=True,
        day=award.day,
        created_at=at,
        source_type=award.source_type,
        source_id=award.source_id,
        question_id=award.question_id,
        actor_id=award.actor_id,
        event_key=f"recap:{award.id}:{number}",
        reverses_id=None,
        note=RECAP_NOTE,
    )


def reapply_cap(user_id: int, day: date, *, at: datetime | None = None) -> list[PointEvent]:
    """Pay a day's cut gains what the daily cap allows now that some awards were undone.

    Walks the user's capped rows of that UTC day in id order, as record() met them, except
    that an award undone on that same day counts together with its undo, at the award's
    place, as if it had never paid. A gain the cap cut that still stands gets a row on that
    day for the part that now fits, both at its place and in the day's total (gains paid
    after it are never taken back, so the day stays within the cap); a re-payment whose
    award was undone since is taken back, on that day too. Other rows count as they are.
    Returns the rows written; run again, it writes none. The caller commits.
    """
    at = at or utcnow()
    score = _lock_score(user_id, at)
    of_day = (PointEvent.user_id == user_id) & (PointEvent.day == day) & PointEvent.capped
    rows = db.session.scalars(select(PointEvent).where(of_day).order_by(PointEvent.id)).all()
    day_ids = {row.id for row in rows}
    undo_of = {
        row.reverses_id: row
        for row in db.session.scalars(
            select(PointEvent).where(
                PointEvent.user_id == user_id,
                PointEvent.reverses_id.in_(select(PointEvent.id).where(of_day)),
            )
        )
    }
    recaps: dict[int, list[PointEvent]] = defaultdict(list)
    for row in rows:
        if (award_id := _recap_of(row)) is not None:
            recaps[award_id].append(row)

    def on_day(event: PointEvent) -> int:
        undo = undo_of.get(event.id)
        return event.applied + (undo.applied if undo is not None and undo.day == day else 0)

    written: list[PointEvent] = []
    running = 0
    slack = DAILY_CAP - sum(row.applied for row in rows)
    for row in rows:
        if row.reverses_id is not None or _recap_of(row) is not None:
            if row.reverses_id is not None and row.reverses_id not in day_ids:
                running += row.applied  # undoes an award of another day: counts here
            continue
        undo = undo_of.get(row.id)
        if undo is not None:
            reason = (undo.note or "award undone").split(";")[0]
            for recap in recaps[row.id]:
                if recap.id not in undo_of:
                    taken = reverse(recap.event_key, reason=reason, at=at, day=day)
                    undo_of[recap.id] = taken
                    written.append(taken)
                    slack -= taken.applied
        paid = on_day(row) + sum(on_day(recap) for recap in recaps[row.id])
        cut = row.requested > 0 and (row.note or "").startswith(_CUT_BY_CAP)
        if undo is None and cut:
            fits = min(row.requested, DAILY_CAP - running, paid + slack)
            if fits > paid:
                recap = _top_up(score, row, fits - paid, len(recaps[row.id]) + 1, at)
                recaps[row.id].append(recap)
                written.append(recap)
                slack -= recap.applied
                paid = fits
        running += paid
    return written


def _reverse_standing(condition, reason: str, actor_id: int | None) -> list[PointEvent]:
    undone = select(PointEvent.reverses_id).where(PointEvent.reverses_id.is_not(None))
    standing = db.session.scalars(
        select(PointEvent)
        .where(condition, PointEvent.reverses_id.is_(None), PointEvent.id.not_in(undone))
        .order_by(PointEvent.id)
    ).all()
    return [
        event
        for original in standing
        if (event := reverse(original.event_key, reason=reason, actor_id=actor_id))
    ]


def reverse_source(
    source_type: str, source_id: int, *, reason: str, actor_id: int | None = None
) -> list[PointEvent]:
    """Undo every award still standing that one source object earned (a deleted answer...)."""
    condition = (PointEvent.source_type == source_type) & (PointEvent.source_id == source_id)
    return _reverse_standing(condition, reason, actor_id)


def reverse_question(
    question_id: int, *, reason: str, actor_id: int | None = None
) -> list[PointEvent]:
    """Undo every award still standing on a question and its answers (a deleted question)."""
    return _reverse_standing(PointEvent.question_id == question_id, reason, actor_id)


def total(user_id: int) -> int:
    """Return a user's points (1 for someone who has none yet)."""
    held = db.session.info.get(LOCKED, {}).get(user_id)
    if held is not None:  # this transaction holds the row: its copy is the current total
        return held.total
    return run(_sql().total, {"id": user_id}).scalar() or FLOOR
