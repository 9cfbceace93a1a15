"""Sign-up, sign-in, log out, account settings and profiles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import PASSWORD
from kudos.extensions import db
from kudos.models import User


def register(client, email="new@example.com", name="New Person", password=PASSWORD, confirm=None):
    return client.post(
        "/register",
        data={
            "email": email,
            "display_name": name,
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )


def test_register_logs_the_new_member_in(client, app):
    response = register(client, email="Ada@Example.COM", name="  Ada   Lovelace ")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Welcome to Kudos, Ada Lovelace!" in page
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "ada@example.com"
        assert user.display_name == "Ada Lovelace"
        assert user.role == "member"
        assert user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash


def test_register_refuses_an_email_taken_in_another_case(client, make_user, app):
    make_user(email="taken@example.com")
    response = register(client, email="TAKEN@Example.com")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "An account with that email address already exists." in page
    assert 'value="TAKEN@Example.com"' in page  # what was typed is kept
    with app.app_context():
        assert len(db.session.scalars(select(User)).all()) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, "That email address is not valid."),
        ({"password": "short"}, "A password needs at least 10 characters."),
        ({"confirm": "something-else-entirely"}, "The two passwords do not match."),
        ({"name": ""}, "Enter a display name."),
        ({"name": "x" * 81}, "Field cannot be longer than 80 characters."),
    ],
)
def test_register_bad_input_rerenders_with_the_reason(client, app, fields, message):
    response = register(client, **fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_register_without_csrf_token_is_400(client, app):
    response = client.post(
        "/register",
        data={
            "email": "a@example.com",
            "display_name": "A",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
        csrf=False,
    )
    assert response.status_code == 400
    assert "security token is missing" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_login_and_logout(client, auth, make_user):
    make_user(email="user1@example.com", name="Grace Hopper")
    response = auth.login("USER1@example.com")
    assert response.status_code == 302
    assert "Grace Hopper" in client.get("/").get_data(as_text=True)
    response = auth.logout()
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "You have been logged out." in page
    assert "Grace Hopper" not in page


def test_logout_by_get_is_not_allowed(client, auth, make_user):
    make_user()
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200


def test_login_with_a_wrong_password_says_so(client, auth, make_user):
    make_user()
    response = auth.login(password="wrong-password-123")
    assert response.status_code == 200
    assert "Email or password is incorrect." in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_remember_me_sets_a_lasting_cookie(client, auth, make_user):
    make_user()
    auth.login(remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.expires is not None


def test_without_remember_me_there_is_no_remember_cookie(client, auth, make_user):
    make_user()
    auth.login()
    assert client.get_cookie("remember_token") is None


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/account", "/account"),
        ("https://evil.example/steal", "/"),
        ("//evil.example/steal", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_login_follows_next_only_to_local_paths(client, auth, make_user, target, expected):
    make_user()
    response = auth.login(next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_pages_for_members_send_visitors_to_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_suspended_account_cannot_log_in_and_is_told(client, auth, make_user, app):
    user_id = make_user()
    with app.app_context():
        from kudos import services

        admin = db.session.get(User, make_user(role="admin"))
        services.suspend(admin, db.session.get(User, user_id))
    response = auth.login()
    assert response.status_code == 200
    assert "This account is suspended" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_suspension_ends_an_open_session(client, auth, make_user, app):
    user_id = make_user()
    auth.login()
    assert client.get("/account").status_code == 200
    with app.app_context():
        from kudos import services

        admin = db.session.get(User, make_user(role="admin"))
        services.suspend(admin, db.session.get(User, user_id))
    assert client.get("/account").status_code == 302


def test_change_display_name(client, auth, make_user, app):
    user_id = make_user()
    auth.login()
    response = client.post("/account", data={"name-display_name": "Renamed Person"})
    assert response.status_code == 302
    assert "Your display name has been changed." in client.get("/account").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).display_name == "Renamed Person"


def test_change_password_needs_the_current_one(client, auth, make_user, app):
    make_user()
    auth.login()
    response = client.post(
        "/account",
        data={
            "password-current_password": "not-my-password",
            "password-new_password": "brand-new-password",
            "password-confirm": "brand-new-password",
        },
    )
    assert response.status_code == 200
    assert "The current password is not correct." in response.get_data(as_text=True)
    auth.logout()
    assert auth.login().status_code == 302  # the old password still works


def test_change_password_rejects_a_short_one(client, auth, make_user):
    make_user()
    auth.login()
    response = client.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-new_password": "short",
            "password-confirm": "short",
        },
    )
    assert "A password needs at least 10 characters." in response.get_data(as_text=True)


def test_change_password_keeps_this_session_and_ends_the_others(app, auth, make_user):
    make_user()
    other = app.test_client()
    AuthActionsOther = type(auth)
    AuthActionsOther(other, make_user).login()
    assert other.get("/account").status_code == 200

    auth.login()
    client = auth._client
    response = client.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-new_password": "brand-new-password",
            "password-confirm": "brand-new-password",
        },
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
    auth.logout()
    assert auth.login().status_code == 200  # old password refused
    assert auth.login(password="brand-new-password").status_code == 302


def test_profile_page_shows_the_member(client, make_user):
    user_id = make_user(name="Linus Member")
    page = client.get(f"/users/{user_id}").get_data(as_text=True)
    assert "Linus Member" in page
    assert "Member since" in page


def test_unknown_profile_is_404(client):
    assert client.get("/users/9999").status_code == 404


def test_suspended_profile_is_hidden_from_members_but_not_admins(client, auth, make_user, app):
    target = make_user(name="Hidden Person")
    with app.app_context():
        from kudos import services

        admin = db.session.get(User, make_user(role="admin"))
        services.suspend(admin, db.session.get(User, target))
    assert client.get(f"/users/{target}").status_code == 404
    auth.login_as("admin")
    page = client.get(f"/users/{target}").get_data(as_text=True)
    assert "Hidden Person" in page
    assert "suspended" in page
