"""The kudos command: accounts from the shell, demo data, serve."""

from __future__ import annotations

from sqlalchemy import func, select

from conftest import migrate_schema, reset_schema
from kudos import cli, demo
from kudos.extensions import db
from kudos.models import User


def accounts(app):
    with app.app_context():
        return db.session.execute(
            select(User.email, User.display_name, User.role, User.password_hash).order_by(User.id)
        ).all()


def test_users_create_reads_the_password_from_stdin(runner, app, auth):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Ops@Example.com",
            "--role",
            "lead",
            "--name",
            "Ops Lead",
            "--password-stdin",
        ],
        input="a-very-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created lead ops@example.com" in result.output
    [(email, name, role, _)] = accounts(app)
    assert (email, name, role) == ("ops@example.com", "Ops Lead", "lead")
    assert auth.login("ops@example.com", "a-very-long-password").status_code == 302


def test_users_create_prompts_for_the_password_twice(runner, app):
    result = runner.invoke(
        args=["users", "create", "admin@example.com", "--role", "admin"],
        input="a-very-long-password\na-very-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert accounts(app)[0][:3] == ("admin@example.com", "admin", "admin")


def test_users_create_refuses_duplicates_short_passwords_and_bad_roles(runner, app, make_user):
    make_user(email="taken@example.com")
    result = runner.invoke(
        args=["users", "create", "TAKEN@example.com", "--password-stdin"], input="long-enough-pw\n"
    )
    assert result.exit_code == 1
    assert "already exists" in result.output
    result = runner.invoke(
        args=["users", "create", "new@example.com", "--password-stdin"], input="short\n"
    )
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    result = runner.invoke(
        args=["users", "create", "new@example.com", "--role", "king", "--password-stdin"],
        input="long-enough-pw\n",
    )
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.output
    assert len(accounts(app)) == 1


def test_demo_makes_accounts_of_every_role_deterministically(runner, app, auth):
    migrate_schema(app)
    result = runner.invoke(args=["demo", "--scale", "small", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "admin@kudos.example" in result.output
    first = accounts(app)
    assert len(first) == demo.account_count("small")
    roles = {role for _, _, role, _ in first}
    assert roles == {"member", "lead", "admin"}
    # The printed demo logins work.
    assert auth.login("lead@kudos.example", demo.DEMO_PASSWORD).status_code == 302

    migrate_schema(app)
    assert runner.invoke(args=["demo", "--seed", "7"]).exit_code == 0
    assert [row[:3] for row in accounts(app)] == [row[:3] for row in first]


def test_demo_refuses_a_database_that_is_not_upgraded(runner, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert "run `kudos db upgrade`" in result.output
    assert "Traceback" not in result.output


def test_demo_refuses_a_database_with_accounts(runner, app, make_user):
    migrate_schema(app)
    make_user()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert "already has accounts" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_serve_upgrades_loads_the_demo_and_starts_gunicorn(runner, app, monkeypatch):
    with app.app_context():
        reset_schema()
    started = {}
    monkeypatch.setattr(
        cli,
        "run_gunicorn",
        lambda app, host, port, workers: started.update(host=host, port=port, workers=workers),
    )
    result = runner.invoke(args=["serve", "--demo", "--port", "5123", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert started == {"host": "127.0.0.1", "port": 5123, "workers": 3}
    assert "Kudos is running at http://127.0.0.1:5123" in result.output
    assert "member@kudos.example" in result.output
    assert len(accounts(app)) == demo.account_count("small")
    assert app.test_client().get("/healthz").get_json()["migrations"]["at_head"] is True

    # A second start keeps the data and does not load the demo twice.
    result = runner.invoke(args=["serve", "--demo"])
    assert "demo data not loaded" in result.output
    assert len(accounts(app)) == demo.account_count("small")
