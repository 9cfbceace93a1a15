"""The leaderboard page from memory: fresh after every change that moves a board."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from conftest import PASSWORD
from gamify import board_cache, engine, leaderboards, ledger
from gamify.models import PointEvent, Question
from kudos import services
from kudos.extensions import db
from kudos.models import User, utcnow


@pytest.fixture
def member(make_user):
    return lambda name=None, role="member": make_user(name=name, role=role, password=None)


def give(user_id, points, key):
    engine.record(
        "answer_accepted", user_id, key=key, source_type="test", points=points, at=utcnow()
    )
    db.session.commit()


def board_text(client, query="") -> str:
    page = client.get(f"/leaderboards{query}").get_data(as_text=True)
    table = page[page.index('id="lb-heading"') : page.index('id="lb-you-heading"')]
    return " ".join(re.sub(r"<[^>]+>", " ", table).split())


def test_a_commit_with_points_bumps_the_version_and_a_rollback_does_not(app, member):
    with app.app_context():
        ana = member(name="Ana")
        before = board_cache.version()
        give(ana, 10, "a")
        assert board_cache.version() == before + 1
        engine.record("answer_accepted", ana, key="b", source_type="test", points=10)
        db.session.rollback()
        assert board_cache.version() == before + 1
        engine.record("answer_accepted", ana, key="a", source_type="test", points=10)  # retry
        db.session.commit()
        assert board_cache.version() == before + 1, "an award already recorded changes nothing"


def test_the_page_shows_points_earned_after_it_was_first_served(client, app, member):
    with app.app_context():
        ana, bo = member(name="Ana"), member(name="Bo")
        give(ana, 30, "ana")
        give(bo, 20, "bo")
    assert "1 Ana 30 2 Bo 20" in board_text(client)
    assert "1 Ana 30 2 Bo 20" in board_text(client)  # served again, from memory
    with app.app_context():
        give(bo, 15, "bo-2")
    assert "1 Bo 35 2 Ana 30" in board_text(client)


def test_a_vote_through_the_app_moves_the_board_at_once(client, app, auth, member):
    voter = auth.login_as("member")
    with app.app_context():
        author = member(name="Author")
        give(voter, 20, "voter-can-upvote")  # upvoting opens at 15 points
        post = Question(author_id=author, title="How do I rotate keys?", body="Body.")
        db.session.add(post)
        db.session.commit()
        post_id = post.id
    assert "Author" not in board_text(client)
    response = client.post(f"/posts/{post_id}/vote", data={"value": "up"})
    assert response.status_code in (200, 302)
    assert "Author 10" in board_text(client)


def test_suspending_renaming_and_promoting_move_the_board(client, app, member):
    with app.app_context():
        admin = member(name="Admin", role="admin")
        ids = {name: member(name=name) for name in ("Ana", "Bo", "Cy")}
        for points, (name, user_id) in zip((30, 20, 10), ids.items(), strict=True):
            give(user_id, points, name)
    assert "1 Ana 30 2 Bo 20 3 Cy 10" in board_text(client)
    with app.app_context():
        services.suspend(db.session.get(User, admin), db.session.get(User, ids["Ana"]))
    assert "1 Bo 20 2 Cy 10" in board_text(client)
    with app.app_context():
        services.change_display_name(db.session.get(User, ids["Bo"]), "Bo Renamed")
    assert "1 Bo Renamed 20 2 Cy 10" in board_text(client)
    with app.app_context():
        services.set_role(db.session.get(User, admin), db.session.get(User, ids["Cy"]), "lead")
    assert "Cy" not in board_text(client)


def test_a_recalculation_refreshes_the_board(client, app, member):
    with app.app_context():
        give(member(name="Ana"), 30, "ana")
        bo = member(name="Bo")
    assert "1 Ana 30" in board_text(client)
    with app.app_context():
        # A ledger row written behind the engine's back (as a manual repair would): neither
        # the rollups nor the page know of it until the rollups are rebuilt from the ledger.
        now = utcnow()
        db.session.add(
            PointEvent(
                user_id=bo, action="answer_accepted", rule_version=1, requested=40, applied=40,
                capped=False, day=now.date(), created_at=now, source_type="test",
                event_key="manual", note=None,
            )
        )  # fmt: skip
        db.session.commit()
    assert "Bo" not in board_text(client)
    with app.app_context():
        ledger.recalculate()
    assert "1 Bo 40 2 Ana 30" in board_text(client)


def test_each_part_is_computed_once_per_version(client, app, member, monkeypatch):
    with app.app_context():
        give(member(name="Ana"), 30, "ana")
    calls = {"board": 0, "hall": 0}

    def counting(name, real):
        def call(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(leaderboards, "board", counting("board", leaderboards.board))
    monkeypatch.setattr(leaderboards, "hall_of_fame", counting("hall", leaderboards.hall_of_fame))
    for _ in range(3):
        client.get("/leaderboards")
    assert calls == {"board": 1, "hall": 1}
    with app.app_context():
        give(member(name="Bo"), 5, "bo")
    client.get("/leaderboards")
    client.get("/leaderboards?period=month")  # another period: its own board and hall
    client.get("/leaderboards")
    assert calls == {"board": 3, "hall": 3}


def test_your_row_is_marked_for_you_only(client, app, auth, member):
    me = auth.login_as("member")
    with app.app_context():
        give(me, 30, "me")
        give(member(name="Bo"), 20, "bo")
    mine = client.get("/leaderboards").get_data(as_text=True)
    board = mine[mine.index('id="lb-heading"') : mine.index('id="lb-you-heading"')]
    assert 'class="lb-me"' in board
    auth.logout()
    theirs = client.get("/leaderboards").get_data(as_text=True)
    assert 'class="lb-me"' not in theirs


def test_two_apps_in_one_process_keep_their_own_boards(app, member, tmp_path, monkeypatch):
    from kudos import create_app

    with app.app_context():
        give(member(name="Ana"), 30, "ana")
        first = board_cache.fresh(("test",), board_cache.version(), lambda: "first")
    other = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}"}
    )
    with other.app_context():
        db.create_all()
        give(services.create_user("b@example.com", "Bo", None).id, 30, "bo")
        second = board_cache.fresh(("test",), board_cache.version(), lambda: "second")
        db.engine.dispose()
    assert (first, second) == ("first", "second")


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def without_token(page: str) -> str:
    """The page with its CSRF token, wherever it appears, replaced by a placeholder.

    The token is signed with the second it was made in, so two renderings differ there alone
    when a second passes between them; the token itself is tested below.
    """
    return page.replace(CSRF_META.search(page).group(1), "<token>")


def test_the_anonymous_page_from_memory_is_the_page_rendered_afresh(
    client, app, member, monkeypatch
):
    with app.app_context():
        give(member(name="Ana"), 30, "ana")
    for query in ("", "?period=month", "?period=all"):
        first = client.get(f"/leaderboards{query}").get_data(as_text=True)
        kept = client.get(f"/leaderboards{query}").get_data(as_text=True)
        with monkeypatch.context() as patch:
            patch.setattr(
                board_cache, "fresh", lambda key, at_version, compute, kind="parts": compute()
            )
            afresh = client.get(f"/leaderboards{query}").get_data(as_text=True)
        assert "Ana" in afresh and CSRF_META.search(afresh)
        assert without_token(first) == without_token(kept) == without_token(afresh)


def test_each_anonymous_visitor_gets_a_csrf_token_of_their_own(app, make_user):
    make_user(email="ana@example.com")
    ana, bo = app.test_client(), app.test_client()
    tokens = [
        CSRF_META.search(c.get("/leaderboards").get_data(as_text=True)).group(1) for c in (ana, bo)
    ]
    assert tokens[0] != tokens[1]
    login = {"email": "ana@example.com", "password": PASSWORD}
    assert bo.post("/login", data={**login, "csrf_token": tokens[0]}).status_code == 400
    assert ana.post("/login", data={**login, "csrf_token": tokens[0]}).status_code == 302


def test_signed_in_visitors_never_get_the_anonymous_page(client, app, auth, member):
    with app.app_context():
        give(member(name="Ana"), 30, "ana")
    assert "Log in</a> to see where you stand" in client.get("/leaderboards").get_data(as_text=True)
    me = auth.login_as("member", name="Mia")
    with app.app_context():
        give(me, 10, "mia")
    page = client.get("/leaderboards").get_data(as_text=True)
    assert "<summary>Mia</summary>" in page and "Log out" in page
    assert "You are <strong>#2</strong>" in page
    auth.logout()
    page = client.get("/leaderboards").get_data(as_text=True)
    assert "Mia</summary>" not in page and "Log in</a> to see where you stand" in page


def test_a_flash_message_reaches_an_anonymous_visitor_of_a_kept_page(client):
    client.get("/leaderboards")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Your suggestion was sent.")]
    assert "Your suggestion was sent." in client.get("/leaderboards").get_data(as_text=True)
    assert "Your suggestion was sent." not in client.get("/leaderboards").get_data(as_text=True)


def test_a_kept_page_links_back_to_its_own_address(client):
    for query in ("?period=month", "?period=week", "?period=month"):
        page = client.get(f"/leaderboards{query}").get_data(as_text=True)
        assert f'href="/login?next=/leaderboards{query.replace("=", "%3D")}"' in page


def test_a_kept_page_moves_on_to_the_next_week(client, app, member, monkeypatch):
    import gamify.views

    sunday = datetime(2026, 11, 29, 23, 59, tzinfo=UTC)
    with app.app_context():
        ana = member(name="Ana")
        engine.record("answer_accepted", ana, key="a", source_type="test", points=30, at=sunday)
        db.session.commit()
    monkeypatch.setattr(gamify.views, "utcnow", lambda: sunday)
    page = client.get("/leaderboards").get_data(as_text=True)
    assert "Since Monday 23 November 2026" in page and "Ana" in board_text(client)
    monkeypatch.setattr(gamify.views, "utcnow", lambda: sunday + timedelta(minutes=2))
    page = client.get("/leaderboards").get_data(as_text=True)
    assert "Since Monday 30 November 2026" in page and "Ana" not in board_text(client)
