"""Suggestion points through the engine (and their reversal), and the feedback badges."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from feedback import badges as feedback_badges
from feedback import suggestions as services
from feedback.models import Suggestion
from gamify import badges, engine, ledger
from gamify.models import Badge, BadgeAward, PointEvent
from kudos.extensions import db
from kudos.models import User, utcnow

DESCRIPTION = "Teams wait a week for this today; a self-service form would fix it."


@pytest.fixture
def people(app, make_user):
    """An author, a lead and a voter; returns their ids."""
    return {
        "author": make_user(password=None),
        "lead": make_user(role="lead", password=None),
        "voter": make_user(password=None),
    }


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _ledger(suggestion_id: int) -> list[tuple[str, int, str]]:
    return [
        (event.action, event.applied, event.event_key)
        for event in db.session.scalars(
            select(PointEvent)
            .where(PointEvent.source_type == "suggestion", PointEvent.source_id == suggestion_id)
            .order_by(PointEvent.id)
        )
    ]


def _held(user_id: int) -> set[str]:
    return set(
        db.session.scalars(
            select(Badge.slug)
            .join(BadgeAward, BadgeAward.badge_id == Badge.id)
            .where(BadgeAward.user_id == user_id)
        )
    )


def test_points_follow_the_status_and_are_reversed_when_it_moves_back(app, people):
    with app.app_context():
        author, lead = _user(people["author"]), _user(people["lead"])
        sid = services.submit(author, "Self-service sandbox accounts", DESCRIPTION).id
        assert engine.total(author.id) == 3
        services.change_status(sid, lead, "planned", "Next quarter.")
        assert engine.total(author.id) == 13
        services.change_status(sid, lead, "declined", "The baseline forbids it after all.")
        assert engine.total(author.id) == 3
        services.change_status(sid, lead, "planned", "Back on the plan.")
        services.change_status(sid, lead, "in_progress", None)
        assert engine.total(author.id) == 13
        services.change_status(sid, lead, "completed", "Released.")
        assert engine.total(author.id) == 38
        services.change_status(sid, lead, "in_progress", "Rolled back, a bug.")
        assert engine.total(author.id) == 13
        services.change_status(sid, lead, "completed", "Released again.")
        assert engine.total(author.id) == 38
        actions = _ledger(sid)
        assert actions == [
            ("suggestion_submitted", 2, f"suggestion:{sid}:submitted"),
            ("suggestion_planned", 10, f"suggestion:{sid}:planned:0"),
            ("suggestion_planned", -10, actions[2][2]),
            ("suggestion_planned", 10, f"suggestion:{sid}:planned:1"),
            ("suggestion_completed", 25, f"suggestion:{sid}:completed:0"),
            ("suggestion_completed", -25, actions[5][2]),
            ("suggestion_completed", 25, f"suggestion:{sid}:completed:1"),
        ]
        assert actions[2][2].startswith("undo:")
        assert ledger.verify() == []


def test_merging_a_planned_suggestion_takes_its_award_back(app, people):
    with app.app_context():
        author, lead = _user(people["author"]), _user(people["lead"])
        original = services.submit(author, "Self-service sandbox accounts", DESCRIPTION).id
        duplicate = services.submit(author, "Sandbox accounts on demand", DESCRIPTION).id
        services.change_status(duplicate, lead, "planned", None)
        assert engine.total(author.id) == 15
        services.merge(duplicate, original, lead)
        assert engine.total(author.id) == 5
        assert ledger.verify() == []


def test_submission_points_stop_after_three_a_day(app, people):
    with app.app_context():
        author = _user(people["author"])
        at = utcnow().replace(hour=10)
        for number in range(4):
            services.submit(author, f"Suggestion number {number} today", DESCRIPTION, at=at)
        assert engine.total(author.id) == 7
        services.submit(
            author, "Suggestion of the next day", DESCRIPTION, at=at + timedelta(days=1)
        )
        assert engine.total(author.id) == 9
        assert ledger.verify() == []


def test_points_show_on_the_profile(app, client, auth, people):
    with app.app_context():
        author, lead = _user(people["author"]), _user(people["lead"])
        sid = services.submit(author, "Self-service sandbox accounts", DESCRIPTION).id
        services.change_status(sid, lead, "planned", None)
    auth.login_as("member")
    page = client.get(f"/users/{people['author']}").get_data(as_text=True)
    assert '<dd class="points-total">13</dd>' in page
    assert "suggestion planned" in page


def test_idea_starter_and_visionary_are_awarded_on_their_events(app, people):
    with app.app_context():
        author, lead = _user(people["author"]), _user(people["lead"])
        sid = services.submit(author, "Self-service sandbox accounts", DESCRIPTION).id
        assert _held(author.id) == {"idea-starter"}
        services.change_status(sid, lead, "completed", "Released.")
        assert _held(author.id) == {"idea-starter", "visionary"}


def test_trendsetter_needs_25_votes_on_one_suggestion(app, make_user, people):
    voters = [make_user(password=None) for _ in range(25)]
    with app.app_context():
        author = _user(people["author"])
        sid = services.submit(author, "Self-service sandbox accounts", DESCRIPTION).id
        for voter_id in voters[:24]:
            services.vote(_user(voter_id), sid)
        assert "trendsetter" not in _held(author.id)
        progress = {p.badge.slug: (p.current, p.target) for p in badges.progress(author.id)}
        assert progress["trendsetter"] == (24, 25)
        services.vote(_user(voters[24]), sid)
        assert "trendsetter" in _held(author.id)


def test_backfill_finds_past_feedback_badges(app, people):
    with app.app_context():
        author, lead = _user(people["author"]), _user(people["lead"])
        sid = services.submit(author, "Self-service sandbox accounts", DESCRIPTION).id
        services.change_status(sid, lead, "completed", None)
        db.session.execute(BadgeAward.__table__.delete())
        db.session.commit()
        assert badges.backfill() >= 2
        assert {"idea-starter", "visionary"} <= _held(author.id)


def test_feedback_criteria_are_pure_and_in_the_catalog():
    assert feedback_badges.suggestions_submitted(1, min_suggestions=1)
    assert not feedback_badges.suggestions_completed(0, min_completed=1)
    assert feedback_badges.suggestion_votes(25, min_votes=25)
    specs = {spec.slug: spec for spec in badges.CATALOG}
    assert (specs["idea-starter"].tier, specs["visionary"].tier, specs["trendsetter"].tier) == (
        "bronze",
        "silver",
        "gold",
    )
    assert {specs[slug].group for slug in ("idea-starter", "visionary", "trendsetter")} == {
        "Feedback"
    }


def test_gamify_does_not_import_feedback():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "gamify"
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(name.split(".")[0] == "feedback" for name in names), path.name


def test_counters_agree_and_members_cannot_triage(app, people):
    """Votes, comments and the counters agree after a mixed sequence of actions."""
    with app.app_context():
        author, voter = _user(people["author"]), _user(people["voter"])
        sid = services.submit(author, "Self-service sandbox accounts", DESCRIPTION).id
        services.vote(voter, sid)
        services.vote(author, sid)
        services.unvote(voter, sid)
        services.comment(voter, sid, "Still useful.")
        suggestion = db.session.get(Suggestion, sid, populate_existing=True)
        assert (suggestion.vote_count, suggestion.comment_count) == (1, 1)
        with pytest.raises(services.FeedbackError, match="Only leads"):
            services.change_status(sid, voter, "planned", None)


def test_feedback_badges_show_on_the_badge_pages_and_the_profile(app, client, people):
    with app.app_context():
        author = _user(people["author"])
        services.submit(author, "Self-service sandbox accounts", DESCRIPTION)
        name = author.display_name
    overview = client.get("/badges").get_data(as_text=True)
    assert "Feedback" in overview
    assert "Trendsetter" in overview
    detail = client.get("/badges/idea-starter").get_data(as_text=True)
    assert name in detail
    profile = client.get(f"/users/{people['author']}").get_data(as_text=True)
    assert "Idea Starter" in profile
    with app.app_context():
        labels = {p.badge.slug: p.label for p in badges.progress(people["author"])}
    assert labels["visionary"] == "0 of 1 completed suggestion"
    assert "idea-starter" not in labels
