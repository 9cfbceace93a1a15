"""Security headers, cookies, error pages and the health check."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from conftest import migrate_schema
from kudos.extensions import db


@pytest.mark.parametrize("path", ["/", "/login", "/static/css/kudos.css", "/nowhere", "/healthz"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    response.close()
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_carry_no_inline_script(client, auth):
    auth.login_as("admin")
    for path in ["/", "/account", "/admin/", "/login"]:
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page
        assert " on" + "click=" not in page


def test_session_cookie_is_httponly_and_samesite_lax(client, auth):
    auth.login_as("member")
    cookie = client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure


def test_session_cookie_is_secure_when_configured(app, make_user):
    app.config["SESSION_COOKIE_SECURE"] = True
    client = app.test_client()
    response = client.get("/login", base_url="https://kudos.example")
    assert "Secure" in response.headers["Set-Cookie"]


def test_404_is_a_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Page not found" in response.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "error": "Page not found",
        "message": "There is nothing at this address. It may have moved or been deleted.",
    }


def test_405_page(client):
    response = client.post("/healthz", data={})
    assert response.status_code == 405
    assert "Method not allowed" in response.get_data(as_text=True)
    assert "GET" in response.headers["Allow"]


def test_413_page(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/login", data={"email": "x" * 500, "password": "y"}, csrf=False)
    assert response.status_code == 413
    assert "larger than this server accepts" in response.get_data(as_text=True)


def test_500_page_hides_the_traceback_and_rolls_back(app, caplog):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "secret internals" not in page
    assert "Traceback" not in page
    assert "secret internals" in caplog.text


def test_500_is_json_under_api(app):
    @app.route("/api/boom")
    def api_boom():
        raise RuntimeError("nope")

    response = app.test_client().get("/api/boom")
    assert response.status_code == 500
    assert response.get_json()["error"] == "Something went wrong"


def test_400_page_for_a_missing_csrf_token(client):
    response = client.post("/login", data={"email": "a@example.com"}, csrf=False)
    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)


def test_healthz_reports_migrations_not_at_head(client):
    # The test schema comes from create_all, so no migration is recorded.
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"]["reachable"] is True
    assert body["migrations"]["at_head"] is False
    assert body["migrations"]["current"] == []
    assert len(body["migrations"]["head"]) == 1


def test_healthz_is_ok_after_upgrade(app):
    migrate_schema(app)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["migrations"]["at_head"] is True
    assert body["migrations"]["current"] == body["migrations"]["head"]


def test_healthz_stays_ok_when_a_newer_release_migrated_the_database(app):
    migrate_schema(app)
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffffnewer'"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["migrations"] == {
        "current": ["ffffnewer"],
        "head": response.get_json()["migrations"]["head"],
        "at_head": False,
        "behind": False,
    }


def test_healthz_reports_an_unreachable_database(tmp_path, monkeypatch):
    from kudos import create_app

    monkeypatch.setenv("KUDOS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"]["reachable"] is False
    with app.app_context():
        db.engine.dispose()
