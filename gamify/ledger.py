"""Rebuilding and checking the counters that the engine keeps beside the ledger."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, func, insert, select

from gamify import board_cache, tag_scores
from gamify.engine import FLOOR, period_starts
from gamify.models import PointDay, PointEvent, PointPeriod, UserScore
from kudos.extensions import db
from kudos.models import User

BATCH = 5000


@dataclass
class Counters:
    """Totals and rollups as the ledger says they should be."""

    totals: dict[int, list] = field(default_factory=dict)  # user -> [total, reached_at]
    days: dict[tuple[int, date], list] = field(default_factory=dict)
    periods: dict[tuple[str, date, int], list] = field(default_factory=dict)

    def add(self, user_id: int, day: date, at: datetime, applied: int, capped: bool) -> None:
        entry = self.totals.setdefault(user_id, [FLOOR, at])
        day_entry = self.days.setdefault((user_id, day), [0, 0, at])
        day_entry[0] += applied
        day_entry[1] += applied if capped else 0
        day_entry[2] = at
        if not applied:
            return
        entry[0] += applied
        entry[1] = at
        for period, start in period_starts(day).items():
            period_entry = self.periods.setdefault((period, start, user_id), [0, at])
            period_entry[0] += applied
            period_entry[1] = at


def replay(progress: Callable[[int], None] | None = None) -> Counters:
    """Read the ledger in order and return the counters it implies."""
    counters = Counters()
    rows = db.session.execute(
        select(
            PointEvent.user_id,
            PointEvent.day,
            PointEvent.created_at,
            PointEvent.applied,
            PointEvent.capped,
        )
        .order_by(PointEvent.id)
        .execution_options(yield_per=BATCH)
    )
    count = 0
    for count, row in enumerate(rows, start=1):
        counters.add(row.user_id, row.day, row.created_at, row.applied, row.capped)
        if progress and count % BATCH == 0:
            progress(BATCH)
    if progress:
        progress(count % BATCH)
    return counters


def ledger_size() -> int:
    return db.session.scalar(select(func.count(PointEvent.id))) or 0


def recalculate(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild every total and rollup from the ledger in one transaction; return users done.

    The answer scores per tag, which come from the posts rather than the ledger, are rebuilt
    in the same transaction.
    """
    counters = replay(progress)
    db.session.execute(delete(PointPeriod))
    db.session.execute(delete(PointDay))
    db.session.execute(delete(UserScore))
    _bulk(
        UserScore,
        [
            {"user_id": user, "total": total, "reached_at": at}
            for user, (total, at) in counters.totals.items()
        ],
    )
    _bulk(
        PointDay,
        [
            {"user_id": user, "day": day, "points": points, "capped_points": capped, "last_at": at}
            for (user, day), (points, capped, at) in counters.days.items()
        ],
    )
    _bulk(
        PointPeriod,
        [
            {"period": period, "start": start, "user_id": user, "points": points, "reached_at": at}
            for (period, start, user), (points, at) in counters.periods.items()
        ],
    )
    tag_scores.rebuild()
    board_cache.mark_changed()
    db.session.commit()
    return len(counters.totals)


def _bulk(model, rows: list[dict]) -> None:
    for index in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[index : index + BATCH])


@dataclass(frozen=True)
class Drift:
    user_id: int
    email: str
    what: str
    stored: object
    expected: object


def verify() -> list[Drift]:
    """List every disagreement between the stored counters and the ledger."""
    expected = replay()
    drifts: list[tuple[int, str, object, object]] = []

    stored_totals = dict(db.session.execute(select(UserScore.user_id, UserScore.total)).all())
    for user in stored_totals.keys() | expected.totals.keys():
        want = expected.totals.get(user, [FLOOR])[0]
        have = stored_totals.get(user, FLOOR)
        if have != want:
            drifts.append((user, "total", have, want))
        if have < FLOOR:
            drifts.append((user, "total below floor", have, FLOOR))

    stored_days = {
        (row.user_id, row.day): (row.points, row.capped_points)
        for row in db.session.execute(
            select(PointDay.user_id, PointDay.day, PointDay.points, PointDay.capped_points)
        )
    }
    for key in stored_days.keys() | expected.days.keys():
        want = tuple(expected.days.get(key, (0, 0, None))[:2])
        have = stored_days.get(key, (0, 0))
        if have != want:
            drifts.append((key[0], f"day {key[1]}", have, want))

    stored_periods = {
        (row.period, row.start, row.user_id): row.points
        for row in db.session.execute(
            select(PointPeriod.period, PointPeriod.start, PointPeriod.user_id, PointPeriod.points)
        )
    }
    for key in stored_periods.keys() | expected.periods.keys():
        want = expected.periods.get(key, [0])[0]
        have = stored_periods.get(key, 0)
        if have != want:
            drifts.append((key[2], f"{key[0]} from {key[1]}", have, want))

    if not drifts:
        return []
    emails = dict(
        db.session.execute(
            select(User.id, User.email).where(User.id.in_({user for user, *_ in drifts}))
        ).all()
    )
    by_user: dict[int, list] = defaultdict(list)
    for user, what, have, want in drifts:
        by_user[user].append(Drift(user, emails.get(user, "?"), what, have, want))
    return [drift for user in sorted(by_user) for drift in by_user[user]]
