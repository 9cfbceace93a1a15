"""The board version by LISTEN/NOTIFY on PostgreSQL: as fresh as the notifications, never older."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import event
from test_gamify_board_cache import board_text

from gamify import board_cache, engine
from kudos.extensions import db
from kudos.models import utcnow


@pytest.fixture
def pg(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
        conninfo = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as other:  # another process's connection
        yield other


def wait_until(condition, what: str, timeout: float = 15.0):
    """Poll condition() until it is true; notifications and reconnections are asynchronous."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.01)


def listening(app) -> board_cache._Listener:
    """Start this process's listener and wait until it vouches for a version."""
    with app.app_context():
        board_cache.version()
        listener = board_cache._listener()
    wait_until(lambda: listener.current() is not None, "the listener to vouch")
    return listener


def give(app, user_id, points, key):
    with app.app_context():
        engine.record(
            "answer_accepted", user_id, key=key, source_type="test", points=points, at=utcnow()
        )
        db.session.commit()


def give_elsewhere(other, user_id, points):
    """Change the board the way another process would: its own connection, its own bump."""
    other.execute(
        "UPDATE point_period SET points = points + %s WHERE user_id = %s AND period = 'week'",
        (points, user_id),
    )
    other.execute("UPDATE board_version SET version = version + 1 WHERE id = 1")


def stored_version(other) -> int:
    return other.execute("SELECT version FROM board_version WHERE id = 1").fetchone()[0]


def statements(app, path, client):
    """Return how many SQL statements a page load sends."""
    sent = []
    with app.app_context():
        bind = db.engine
    listen = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(bind, "before_cursor_execute", listen)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(bind, "before_cursor_execute", listen)
    return len(sent)


def test_the_listener_hears_a_bump_committed_by_another_connection(app, pg, make_user):
    give(app, make_user(name="Ana"), 10, "ana")
    listener = listening(app)
    before = listener.current()
    pg.execute("UPDATE board_version SET version = version + 1 WHERE id = 1")
    wait_until(lambda: listener.current() == before + 1, "the notification")


def test_a_change_from_another_process_is_on_the_page_once_notified(app, pg, client, make_user):
    ana, bo = make_user(name="Ana"), make_user(name="Bo")
    give(app, ana, 30, "ana")
    give(app, bo, 20, "bo")
    listener = listening(app)
    assert "1 Ana 30 2 Bo 20" in board_text(client)
    assert statements(app, "/leaderboards", client) == 0, "a kept page needs no database"
    give_elsewhere(pg, bo, 15)
    wait_until(lambda: listener.current() == stored_version(pg), "the notification")
    assert "1 Bo 35 2 Ana 30" in board_text(client)


def test_the_committing_process_sees_its_own_change_before_the_notification(
    app, pg, client, make_user, monkeypatch
):
    ana, bo = make_user(name="Ana"), make_user(name="Bo")
    give(app, ana, 30, "ana")
    give(app, bo, 20, "bo")
    listener = listening(app)
    assert "1 Ana 30 2 Bo 20" in board_text(client)
    monkeypatch.setattr(listener, "_heard", lambda version: None)  # notifications held back
    give(app, bo, 15, "bo-2")
    assert "1 Bo 35 2 Ana 30" in board_text(client)


def test_a_lost_listener_falls_back_to_the_database_and_catches_up(app, pg, client, make_user):
    ana, bo = make_user(name="Ana"), make_user(name="Bo")
    give(app, ana, 30, "ana")
    give(app, bo, 20, "bo")
    listener = listening(app)
    assert "1 Ana 30 2 Bo 20" in board_text(client)
    pg.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = %s AND datname = current_database()",
        (board_cache.LISTENER,),
    )
    wait_until(lambda: listener.current() is None, "the listener to notice")
    give_elsewhere(pg, bo, 15)  # while nobody listens
    assert statements(app, "/leaderboards", client) > 0, "the version is read from the database"
    assert "1 Bo 35 2 Ana 30" in board_text(client)
    wait_until(lambda: listener.current() is not None, "the listener to reconnect")
    assert listener.current() == stored_version(pg)
    give_elsewhere(pg, ana, 10)
    wait_until(lambda: listener.current() == stored_version(pg), "the next notification")
    assert "1 Ana 40 2 Bo 35" in board_text(client)


def test_a_silent_listener_stops_vouching(app, pg, client, make_user, monkeypatch):
    bo = make_user(name="Bo")
    give(app, bo, 20, "bo")
    listener = listening(app)
    assert "1 Bo 20" in board_text(client)
    monkeypatch.setattr(listener, "_heard", lambda version: None)  # the connection hangs
    monkeypatch.setattr(board_cache, "STALE_AFTER", 0.0)
    assert listener.current() is None
    give_elsewhere(pg, bo, 15)
    assert "1 Bo 35" in board_text(client)


def test_the_listener_can_be_turned_off(app, pg, client, make_user):
    app.config["BOARD_VERSION_LISTEN"] = False
    give(app, make_user(name="Bo"), 20, "bo")
    with app.app_context():
        assert board_cache._listener() is None
    assert "1 Bo 20" in board_text(client)
    assert statements(app, "/leaderboards", client) > 0
