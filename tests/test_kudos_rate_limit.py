"""Failed sign-ins are limited per account and per address."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from kudos.extensions import db
from kudos.models import LoginFailure

WRONG = "wrong-password-000"


def fail(auth, email="user1@example.com", times=10, address="10.0.0.1"):
    for _ in range(times):
        response = auth.login(email, WRONG, environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 200


def login_from(client, email, password, address):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_eleventh_attempt_on_an_account_gets_429_with_when_to_retry(client, auth, make_user):
    make_user()
    fail(auth)
    response = auth.login(environ_base={"REMOTE_ADDR": "10.0.0.1"})  # right password, too late
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many failed sign-in attempts" in page
    assert "Try again in 15 minutes" in page
    assert 840 <= int(response.headers["Retry-After"]) <= 901
    assert client.get("/account").status_code == 302


def test_account_lock_holds_from_another_address(client, auth, make_user):
    make_user()
    fail(auth, address="10.0.0.1")
    response = login_from(client, "user1@example.com", "a-good-long-password", "10.9.9.9")
    assert response.status_code == 429


def test_address_lock_holds_across_accounts(client, auth, make_user):
    for number in range(1, 12):
        make_user(email=f"user{number}@example.com")
    for number in range(1, 11):
        fail(auth, email=f"user{number}@example.com", times=1, address="10.0.0.7")
    response = login_from(client, "user11@example.com", "a-good-long-password", "10.0.0.7")
    assert response.status_code == 429
    response = login_from(client, "user11@example.com", "a-good-long-password", "10.0.0.8")
    assert response.status_code == 302


def test_lock_lifts_when_the_failures_leave_the_window(client, auth, make_user, app):
    make_user()
    fail(auth)
    with app.app_context():
        for failure in db.session.scalars(select(LoginFailure)):
            failure.at -= timedelta(minutes=16)
        db.session.commit()
    assert auth.login(environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 302


def test_nine_failures_do_not_lock_and_success_clears_the_account(client, auth, make_user, app):
    make_user()
    fail(auth, times=9)
    assert auth.login(environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 302
    with app.app_context():
        count = db.session.scalar(
            select(func.count(LoginFailure.id)).where(LoginFailure.email == "user1@example.com")
        )
        assert count == 0


def test_unknown_accounts_are_limited_too(client, auth):
    fail(auth, email="nobody@example.com")
    assert auth.login("nobody@example.com", WRONG).status_code == 429


def test_rate_limited_login_answers_json_under_api_clients(client, auth, make_user):
    make_user()
    fail(auth)
    response = client.post(
        "/login",
        data={"email": "user1@example.com", "password": WRONG},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 429
    assert response.get_json()["error"] == "Too many attempts"
