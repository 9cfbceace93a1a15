"""Configuration: defaults, then the instance folder, then the environment, then tests."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,
    "LOGIN_RATE_LIMIT": 10,
    "LOGIN_RATE_WINDOW": 15 * 60,
    "PROXY_FIX_X_FOR": 0,
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    "USERS_PER_PAGE": 25,
}

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


def database_url(raw: str) -> str:
    """Return a SQLAlchemy URL, steering PostgreSQL URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def load(app: Flask, test_config: dict | None) -> None:
    """Fill app.config in the documented order of precedence."""
    app.config.from_mapping(DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "kudos.db")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("KUDOS")
    if os.environ.get("KUDOS_SECRET_KEY"):
        # from_prefixed_env parses values as JSON; a key is always the literal string.
        app.config["SECRET_KEY"] = os.environ["KUDOS_SECRET_KEY"]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    if not app.config.get("SECRET_KEY"):
        if app.debug or app.testing:
            app.config["SECRET_KEY"] = "dev-only-" + secrets.token_hex(16)
        else:
            app.config["SECRET_KEY"] = persistent_secret_key(Path(app.instance_path))


def persistent_secret_key(instance: Path) -> str:
    """Read the instance's generated secret key, creating it once if it is missing."""
    path = instance / SECRET_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    instance.mkdir(parents=True, exist_ok=True)
    # Write aside, then link into place: when several workers start at once, the first
    # link wins and every worker reads that one complete key.
    tmp = instance / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
