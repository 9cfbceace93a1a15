"""Daily visits are recorded once a day and feed the streak badges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from gamify.models import Badge, BadgeAward
from kudos import visits
from kudos.extensions import db
from kudos.models import UserVisit


def test_one_visit_row_per_user_and_day(client, auth, app, monkeypatch):
    me = auth.login_as("member")
    client.get("/")
    client.get("/questions")
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(UserVisit.user_id == me)) == 1


def test_thirty_consecutive_days_earn_enthusiast(client, auth, app, monkeypatch):
    me = auth.login_as("member")
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    for number in range(30):
        monkeypatch.setattr(visits, "utcnow", lambda n=number: start + timedelta(days=n))
        client.get("/")
        with app.app_context():
            earned = db.session.scalar(
                select(func.count(BadgeAward.id))
                .join(Badge, Badge.id == BadgeAward.badge_id)
                .where(BadgeAward.user_id == me, Badge.slug == "enthusiast")
            )
        assert earned == (1 if number == 29 else 0), number
    page = client.get("/notifications").get_data(as_text=True)
    assert "Enthusiast" in page
