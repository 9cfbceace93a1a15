"""Fixtures in the Flask tutorial shape: app, client, runner, auth, and small factories."""

from __future__ import annotations

import os
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from kudos import create_app
from kudos.extensions import db

TEST_DATABASE_URL = os.environ.get("KUDOS_TEST_DATABASE_URL")
PASSWORD = "a-good-long-password"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def reset_schema() -> None:
    """Leave an empty database behind, Alembic's version table included."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # SQLite empties a table before dropping it, and the ledger refers to itself.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        db.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        connection.commit()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def migrate_schema(app) -> None:
    """Rebuild the test database through the migrations, as `kudos db upgrade` would."""
    from flask_migrate import upgrade

    with app.app_context():
        reset_schema()
        upgrade(directory=app.extensions["migrate"].directory)


class KudosClient(FlaskClient):
    """A test client that sends a real CSRF token with every form, as a browser would."""

    def csrf_token(self) -> str:
        page = self.get("/").get_data(as_text=True)
        match = CSRF_META.search(page)
        assert match, "the page carries no CSRF token"
        return match.group(1)

    def open(self, *args, **kwargs):
        send_token = kwargs.pop("csrf", True)
        method = kwargs.get("method", "GET").upper()
        data = kwargs.get("data")
        if send_token and method != "GET" and isinstance(data, dict) and "csrf_token" not in data:
            kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        return super().open(*args, **kwargs)


@pytest.fixture
def app(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("KUDOS_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("KUDOS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'kudos.db'}",
        }
    )
    app.test_client_class = KudosClient
    with app.app_context():
        reset_schema()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if TEST_DATABASE_URL:  # a SQLite file dies with tmp_path; PostgreSQL is shared
            reset_schema()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create an account through the service and return its id."""
    counter = iter(range(1, 10_000))

    def make(email=None, name=None, role="member", password=PASSWORD):
        from kudos import services

        number = next(counter)
        with app.app_context():
            user = services.create_user(
                email or f"user{number}@example.com", name or f"User {number}", password, role
            )
            return user.id

    return make


class AuthActions:
    def __init__(self, client, make_user):
        self._client = client
        self._make_user = make_user

    def login(
        self, email="user1@example.com", password=PASSWORD, remember=False, next=None, **kwargs
    ):
        """Post the login form; extra keyword arguments go to the client (environ_base...)."""
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        if next is not None:
            data["next"] = next
        return self._client.post("/login", data=data, **kwargs)

    def login_as(self, role="member", **kwargs):
        """Create an account of this role and log it in; return its id."""
        email = f"{role}-{os.urandom(3).hex()}@example.com"
        user_id = self._make_user(email=email, role=role, **kwargs)
        response = self.login(email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    def logout(self):
        return self._client.post("/logout", data={})


@pytest.fixture
def auth(client, make_user):
    return AuthActions(client, make_user)


@pytest.fixture
def make_question(app, make_user):
    """Ask a question through the service and return its id.

    Its tags are made to exist first, as in an established community: creating a new tag is a
    privilege that a fresh member does not have.
    """

    def make(author_id=None, title="How do I rotate IAM access keys?", body=None, tags="aws iam"):
        from sqlalchemy import select

        from gamify import services
        from gamify.models import Tag
        from kudos.models import User

        with app.app_context():
            names = services.parse_tags(tags)
            known = set(db.session.scalars(select(Tag.name).where(Tag.name.in_(names))))
            db.session.add_all([Tag(name=name) for name in names if name not in known])
            db.session.commit()
            author = db.session.get(User, author_id or make_user())
            question = services.ask(
                author, title, body or "I need to rotate keys without downtime.", tags
            )
            return question.id

    return make


@pytest.fixture
def make_answer(app, make_user):
    """Answer a question through the service and return the answer's id."""

    def make(question_id, author_id=None, body="Use two keys and switch between them."):
        from gamify import services
        from kudos.models import User

        with app.app_context():
            author = db.session.get(User, author_id or make_user())
            return services.answer(author, question_id, body).id

    return make
