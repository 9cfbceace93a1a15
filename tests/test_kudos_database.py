"""The statement helpers of kudos/database.py, on the test database (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Date, Integer, bindparam, select

from gamify.models import PointPeriod
from kudos.database import cacheable, dialect_insert, prepared, run
from kudos.extensions import db
from kudos.models import UTCDateTime


def two_periods(insert_for, typed=True):
    period = PointPeriod.__table__
    new = insert_for(PointPeriod).values(
        [
            {
                "period": name,
                "start": bindparam(name, type_=Date),
                "user_id": bindparam("user", type_=Integer),
                "points": bindparam("gain", type_=Integer),
                "reached_at": bindparam("at", type_=UTCDateTime() if typed else None),
            }
            for name in ("week", "month")
        ]
    )
    return new.on_conflict_do_update(
        index_elements=["period", "start", "user_id"],
        set_={"points": period.c.points + new.excluded.points},
    ).returning(period.c.period, period.c.points, period.c.reached_at)


@prepared
def _statements(insert):
    period = PointPeriod.__table__
    return cacheable(two_periods(insert), period.c.period, period.c.points, period.c.reached_at)


def test_a_cacheable_multi_row_upsert_writes_reads_back_and_adds_on_conflict(app, make_user):
    user = make_user()
    at = datetime(2026, 12, 3, 23, 59, 30, tzinfo=UTC)
    parameters = {"week": date(2026, 11, 30), "month": date(2026, 12, 1), "user": user, "at": at}
    with app.app_context():
        first = run(_statements(), {**parameters, "gain": 5}).all()
        again = run(_statements(), {**parameters, "gain": 7}).all()
        db.session.commit()
        stored = db.session.execute(
            select(PointPeriod.period, PointPeriod.points, PointPeriod.reached_at)
            .where(PointPeriod.user_id == user)
            .order_by(PointPeriod.period)
        ).all()
    assert sorted(first) == [("month", 5, at), ("week", 5, at)]
    assert sorted(again) == [("month", 12, at), ("week", 12, at)]
    assert stored == [("month", 12, at), ("week", 12, at)]


def test_a_cacheable_statement_has_the_cache_key_a_multi_row_values_lacks(app):
    """SQLAlchemy compiles a multi-row VALUES on every run; the text it becomes, once."""
    with app.app_context():
        assert two_periods(dialect_insert)._generate_cache_key() is None
        assert _statements()._generate_cache_key() is not None


def test_a_cacheable_statement_needs_every_parameter_typed(app):
    with app.app_context(), pytest.raises(TypeError, match="give these parameters a type: at"):
        cacheable(two_periods(dialect_insert, typed=False))
