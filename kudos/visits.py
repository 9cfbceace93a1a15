"""Daily visits: one row per user and UTC day they were active, for streak badges.

Features learn about a first visit of the day through the `visit_recorded` signal, so the
core does not import them.
"""

from __future__ import annotations

from datetime import date

from flask import Flask, session
from flask.signals import Namespace
from flask_login import current_user

from kudos.database import dialect_insert
from kudos.extensions import db
from kudos.models import UserVisit, utcnow

signals = Namespace()
visit_recorded = signals.signal("visit-recorded")


def record_visit(user_id: int, day: date) -> bool:
    """Store a visit and commit; return True when it is the user's first that day."""
    insert = dialect_insert(UserVisit)
    # RETURNING answers the same on both databases; rowcount through the ORM does not.
    inserted = db.session.execute(
        insert.values(user_id=user_id, day=day)
        .on_conflict_do_nothing(index_elements=["user_id", "day"])
        .returning(UserVisit.day)
    )
    first = inserted.first() is not None
    if first:
        visit_recorded.send(user_id=user_id, day=day)
    db.session.commit()
    return first


def init_app(app: Flask) -> None:
    @app.before_request
    def count_visit():
        if not current_user.is_authenticated:
            return
        today = utcnow().date().isoformat()
        # The session remembers the day, so this costs one write per user per day.
        if session.get("visit_day") != today:
            record_visit(current_user.id, date.fromisoformat(today))
            session["visit_day"] = today
