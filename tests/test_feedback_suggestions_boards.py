"""The suggestion lists (sort, filter, search), trending open suggestions, similar suggestions,
roadmap, changelog, the feedback leaderboards and the demo data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from conftest import migrate_schema
from feedback import boards
from feedback import suggestions as services
from feedback.models import CLOSED_STATUSES, Suggestion, SuggestionStatusChange
from gamify import ledger
from gamify.models import Tag
from kudos.extensions import db
from kudos.models import User, utcnow

DESCRIPTION = "Teams wait a week for this today; a self-service form would fix it."


@pytest.fixture
def board(app, make_user):
    """Four suggestions of different ages, votes, tags and statuses; returns their ids."""
    now = utcnow()
    with app.app_context():
        db.session.add_all([Tag(name=name) for name in ("aws", "billing")])
        db.session.commit()
        author = db.session.get(User, make_user(password=None))
        lead = db.session.get(User, make_user(role="lead", password=None))
        voters = [db.session.get(User, make_user(password=None)) for _ in range(3)]
        ids = {}
        for key, title, tags, age in (
            ("old", "Old idea about sandbox accounts", "aws", 200),
            ("popular", "Popular idea about cost alerts", "billing", 100),
            ("fresh", "Fresh idea about private DNS", "aws", 1),
            ("declined", "Declined idea about sandbox quotas", "aws", 50),
        ):
            at = now - timedelta(days=age)
            ids[key] = services.submit(author, title, DESCRIPTION, tags, at=at).id
        for voter in voters:
            services.vote(voter, ids["popular"], at=now - timedelta(days=90))
        services.vote(voters[0], ids["old"], at=now - timedelta(days=150))
        services.vote(voters[0], ids["fresh"], at=now - timedelta(hours=2))
        services.change_status(ids["declined"], lead, "declined", "Quotas stay as they are.")
    return ids


def test_sorts_top_newest_and_trending(app, board):
    with app.app_context():
        top = [s.id for s in boards.list_suggestions("top").items]
        newest = [s.id for s in boards.list_suggestions("newest").items]
        trending = [s.id for s in boards.list_suggestions("trending").items]
    assert top[:2] == [board["popular"], board["fresh"]]
    assert newest == [board["fresh"], board["declined"], board["popular"], board["old"]]
    # Only the fresh one has votes in the last 30 days; the rest are damped by age.
    assert trending[0] == board["fresh"]


def test_trending_is_fiders_formula():
    assert boards.trending_score(0, 0, 0) == pytest.approx(-1 / 2**1.4)
    assert boards.trending_score(2, 1, 10) == pytest.approx(12 / 12**1.4)
    assert boards.trending_score(10, 0, 1) > boards.trending_score(10, 0, 100)


def test_filters_by_status_tag_and_words(app, client, board):
    with app.app_context():
        declined = boards.list_suggestions("top", status="declined").items
        assert [s.id for s in declined] == [board["declined"]]
        by_tag = {s.id for s in boards.list_suggestions("top", tag="billing").items}
        assert by_tag == {board["popular"]}
        found = {s.id for s in boards.list_suggestions("top", query="SANDBOX").items}
        assert found == {board["old"], board["declined"]}
        assert boards.list_suggestions("top", query="100%_").total == 0
    page = client.get("/suggestions?sort=top&tag=aws&q=sandbox").get_data(as_text=True)
    assert "Old idea about sandbox accounts" in page
    assert "Popular idea" not in page
    assert client.get("/suggestions?sort=loudest").status_code == 400
    assert client.get("/suggestions?status=shipped").status_code == 400


def test_the_list_pages(app, client, make_user):
    with app.app_context():
        author = db.session.get(User, make_user(password=None))
        for number in range(23):
            services.submit(author, f"Suggestion number {number:02d}", DESCRIPTION)
    first = client.get("/suggestions?sort=newest").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "Suggestion number 22" in first
    second = client.get("/suggestions?sort=trending&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second


def test_similar_suggestions_include_declined_ones_labelled(app, client, auth, board):
    data = client.get("/suggestions/similar?title=sandbox quotas please").get_json()
    titles = [(s["title"], s["status_label"]) for s in data["suggestions"]]
    assert titles[0] == ("Declined idea about sandbox quotas", "declined")
    assert ("Old idea about sandbox accounts", "open") in titles
    assert client.get("/suggestions/similar?title=the").get_json() == {"suggestions": []}
    auth.login_as("member")
    # Without JavaScript: the "check" button shows them on the form and posts nothing.
    page = client.post(
        "/suggestions/new",
        data={"title": "More sandbox quotas", "description": "", "check": "1"},
    ).get_data(as_text=True)
    assert "Similar suggestions" in page
    assert "Declined idea about sandbox quotas" in page
    assert 'class="status-pill status-declined">declined<' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Suggestion.id))) == 4


def test_roadmap_and_changelog(app, client, make_user, board):
    now = utcnow()
    with app.app_context():
        lead = db.session.get(User, make_user(role="lead", password=None))
        services.change_status(board["old"], lead, "planned", None, at=now - timedelta(days=100))
        services.change_status(
            board["old"], lead, "completed", "Shipped last spring.", at=now - timedelta(days=95)
        )
        services.change_status(board["popular"], lead, "in_progress", None)
        services.change_status(board["fresh"], lead, "completed", "Released: see the docs.")
    roadmap = client.get("/roadmap").get_data(as_text=True)
    assert "Popular idea about cost alerts" in roadmap
    assert "Fresh idea about private DNS" in roadmap
    # Completed more than 90 days ago: off the roadmap, still in the changelog.
    assert "Old idea about sandbox accounts" not in roadmap
    changelog = client.get("/changelog").get_data(as_text=True)
    assert "Released: see the docs." in changelog
    assert "Shipped last spring." in changelog
    assert changelog.index("Fresh idea") < changelog.index("Old idea")
    assert (now - timedelta(days=95)).strftime("%B %Y") in changelog
    assert "1 vote" in changelog


def test_the_feedback_leaderboards_for_leads(app, client, auth, make_user, board):
    with app.app_context():
        lead = db.session.get(User, make_user(role="lead", password=None))
        services.change_status(board["popular"], lead, "planned", None)
        author_name = db.session.get(Suggestion, board["popular"]).author.display_name
        contributors = boards.top_contributors("all")
        assert [(c.display_name, c.points) for c in contributors] == [(author_name, 18)]
        with pytest.raises(services.FeedbackError):
            boards.top_contributors("week")
    auth.login_as("lead")
    page = client.get("/suggestions/leaderboard").get_data(as_text=True)
    assert "Top open suggestions by votes" in page
    assert "Popular idea about cost alerts" in page
    assert f'{author_name}</a> <span class="muted">18 points' in page
    assert "Declined idea" not in page.split('id="top-votes"')[1].split("</section>")[0]


def test_feedback_contributors_are_members_only_and_this_month_is_this_month(
    app, client, auth, make_user
):
    today = utcnow().date()
    month_start = today.replace(day=1)
    earlier = utcnow() - timedelta(days=today.day + 3)  # in an earlier month
    with app.app_context():
        lead = db.session.get(User, make_user(role="lead", password=None))
        member, suspended, veteran = (
            db.session.get(User, make_user(name=name, password=None))
            for name in ("Mona Member", "Sid Suspended", "Vera Veteran")
        )
        services.submit(lead, "A lead's own idea about DNS", DESCRIPTION)
        quotas = services.submit(member, "A member's idea about quotas", DESCRIPTION).id
        services.submit(suspended, "A suspended member's idea", DESCRIPTION)
        for number in range(3):
            services.submit(veteran, f"A veteran's old idea number {number}", DESCRIPTION,
                            at=earlier)  # fmt: skip
        services.vote(veteran, quotas)
        suspended.suspended_at = utcnow()
        db.session.commit()
        lead_name = lead.display_name
        all_time = [(c.display_name, c.points) for c in boards.top_contributors("all")]
        month = [(c.display_name, c.points) for c in boards.top_contributors("month")]
    assert all_time == [("Vera Veteran", 6), ("Mona Member", 2)]
    assert month == [("Mona Member", 2)]
    auth.login_as("lead")
    page = client.get("/suggestions/leaderboard").get_data(as_text=True)
    this_month = page.split('id="contributors-month"')[1].split("</section>")[0]
    assert "Mona Member" in this_month and "Vera Veteran" not in this_month
    assert month_start.strftime("%-d %b %Y") in this_month
    assert "Sid Suspended" not in page and lead_name not in page.split("<main")[1]
    trending = page.split('id="top-trending"')[1].split("</section>")[0]
    assert "A member&#39;s idea about quotas</a>" in trending


def test_unknown_suggestions_are_404(client, auth):
    assert client.get("/suggestions/999").status_code == 404
    auth.login_as("member")
    assert client.post("/suggestions/999/vote", data={"value": "up"}).status_code == 404
    assert client.post("/suggestions/999/follow", data={"value": "follow"}).status_code == 404
    assert client.post("/suggestions/999/comments", data={"body": "Hello there"}).status_code == 404


def test_pages_render_for_visitors(client, board):
    for path in ("/suggestions", "/roadmap", "/changelog", f"/suggestions/{board['old']}"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert client.get("/suggestions/new").status_code == 302


def test_demo_adds_a_year_of_suggestions_through_the_services(runner, app, client):
    migrate_schema(app)
    result = runner.invoke(args=["demo", "--seed", "5"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(Suggestion.status, func.count(Suggestion.id)).group_by(Suggestion.status)
            ).all()
        )
        assert sum(statuses.values()) == 40
        assert {"open", "planned", "completed", "declined"} <= set(statuses)
        notes = db.session.scalar(
            select(func.count(SuggestionStatusChange.id)).where(
                SuggestionStatusChange.note.is_not(None)
            )
        )
        assert notes > 20
        oldest = db.session.scalar(select(func.min(Suggestion.created_at)))
        assert oldest < utcnow() - timedelta(days=200)
        assert ledger.verify() == []
    assert "You said, we did" in client.get("/changelog").get_data(as_text=True)


# Trending open suggestions, shortened by an age bound ------------------------------------------

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def activity(app, make_user):
    """Open suggestions of many ages and amounts of recent activity, and two that cannot
    trend (closed; votes only before the 30-day window). Returns title -> id."""
    with app.app_context():
        author = db.session.get(User, make_user(password=None))
        lead = db.session.get(User, make_user(role="lead", password=None))
        voters = [db.session.get(User, make_user(password=None)) for _ in range(6)]
        ids = {}

        def suggestion(key, age_hours, votes, comments, vote_age_hours=1.0):
            created = NOW - timedelta(hours=age_hours)
            ids[key] = services.submit(
                author, f"Suggestion {key} about accounts", DESCRIPTION, at=created
            ).id
            for voter in voters[:votes]:
                at = max(created, NOW - timedelta(hours=vote_age_hours))
                services.vote(voter, ids[key], at=at)
            for number in range(comments):
                services.comment(voters[number], ids[key], "Yes please, this would help.", at=NOW)

        suggestion("busy and old", 480, 6, 1)
        suggestion("busy, five days", 120, 3, 2)
        suggestion("two votes, a day", 24, 2, 0)
        suggestion("one vote, two hours", 2, 1, 0)
        suggestion("a comment, three hours", 3, 0, 1)
        suggestion("one vote, ten days", 240, 1, 0)
        suggestion("quiet, an hour", 1, 0, 0)
        suggestion("votes long ago", 2000, 4, 0, vote_age_hours=1000)
        suggestion("closed", 5, 5, 0)
        services.change_status(ids["closed"], lead, "completed", at=NOW)
    return ids


def _brute_force(limit: int) -> list[tuple[int, float]]:
    """Every suggestion's score, best first, open ones only: what top_trending shortens."""
    ranked = [(i, score) for i, score in boards.trending(now=NOW) if score > 0]
    open_ids = set(
        db.session.scalars(
            db.select(Suggestion.id).where(Suggestion.status.not_in(CLOSED_STATUSES))
        )
    )
    return [(i, score) for i, score in ranked if i in open_ids][:limit]


@pytest.mark.parametrize("busiest", [50, 3, 1])
def test_top_trending_is_the_best_scores_of_open_suggestions(app, activity, monkeypatch, busiest):
    # A small TRENDING_BUSIEST makes the age bound decide which suggestions are read.
    monkeypatch.setattr(boards, "TRENDING_BUSIEST", busiest)
    with app.app_context():
        for limit in (1, 3, 10):
            got = [(row.id, score) for row, score in boards.top_trending(limit, now=NOW)]
            assert got == _brute_force(limit)
        top = [row.id for row, _ in boards.top_trending(3, now=NOW)]
    best = ("one vote, two hours", "a comment, three hours", "two votes, a day")
    assert top == [activity[key] for key in best]
    with app.app_context():
        listed = {row.id for row, _ in boards.top_trending(10, now=NOW)}
    assert activity["closed"] not in listed and activity["votes long ago"] not in listed
    assert activity["quiet, an hour"] not in listed
