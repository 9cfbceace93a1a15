"""create_app: configuration order, database URLs and the generated secret key."""

from __future__ import annotations

import os
import stat

import pytest

from kudos import create_app
from kudos.config import database_url


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(("KUDOS_", "FLASK_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    instance = tmp_path / "instance"
    monkeypatch.setenv("KUDOS_INSTANCE_PATH", str(instance))
    return instance


def test_defaults_use_sqlite_in_the_instance_folder(clean_env):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{clean_env / 'kudos.db'}"
    assert app.instance_path == str(clean_env)
    assert not (clean_env / "kudos.db").exists()  # the factory opens no database


def test_secret_key_is_generated_once_and_kept(clean_env):
    first = create_app().config["SECRET_KEY"]
    key_file = clean_env / "secret_key"
    assert key_file.read_text() == first
    assert len(first) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert create_app().config["SECRET_KEY"] == first
    assert [p.name for p in clean_env.iterdir()] == ["secret_key"]


def test_testing_and_explicit_keys_write_no_key_file(clean_env, monkeypatch):
    assert create_app({"TESTING": True}).config["SECRET_KEY"]
    monkeypatch.setenv("KUDOS_SECRET_KEY", "from-the-environment")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"
    assert not (clean_env / "secret_key").exists()


def test_precedence_defaults_instance_environment_test(clean_env, monkeypatch):
    clean_env.mkdir()
    (clean_env / "config.py").write_text(
        "LOGIN_RATE_LIMIT = 5\nLOGIN_RATE_WINDOW = 60\nSECRET_KEY = 'from-file'\n"
    )
    app = create_app()
    assert app.config["LOGIN_RATE_LIMIT"] == 5
    assert app.config["SECRET_KEY"] == "from-file"
    monkeypatch.setenv("KUDOS_LOGIN_RATE_LIMIT", "7")
    monkeypatch.setenv("KUDOS_SESSION_COOKIE_SECURE", "true")
    app = create_app()
    assert app.config["LOGIN_RATE_LIMIT"] == 7
    assert app.config["LOGIN_RATE_WINDOW"] == 60
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    app = create_app({"LOGIN_RATE_LIMIT": 3})
    assert app.config["LOGIN_RATE_LIMIT"] == 3


def test_database_url_from_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://kudos@db.internal/kudos")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://kudos@db.internal/kudos"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_prefers_psycopg3(raw, expected):
    assert database_url(raw) == expected


def test_proxy_fix_is_off_by_default_and_on_when_configured(clean_env):
    app = create_app({"TESTING": True, "PROXY_FIX_X_FOR": 1})

    @app.route("/addr")
    def addr():
        from flask import request

        return request.remote_addr

    client = app.test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    assert client.get("/addr", headers=forwarded).get_data(as_text=True) == "203.0.113.9"

    plain = create_app({"TESTING": True})
    plain.add_url_rule("/addr", view_func=addr)
    assert plain.test_client().get("/addr", headers=forwarded).get_data(as_text=True) == "127.0.0.1"


def test_secret_key_from_the_environment_stays_a_string(clean_env, monkeypatch):
    monkeypatch.setenv("KUDOS_SECRET_KEY", "123456")
    assert create_app().config["SECRET_KEY"] == "123456"


def test_remember_cookie_secure_can_be_set_on_its_own(clean_env, monkeypatch):
    monkeypatch.setenv("KUDOS_REMEMBER_COOKIE_SECURE", "true")
    app = create_app({"TESTING": True})
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is False
