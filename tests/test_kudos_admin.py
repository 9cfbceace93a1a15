"""Administration: only admins list, search, re-role, suspend and restore accounts."""

from __future__ import annotations

import pytest

from kudos.extensions import db
from kudos.models import User


def test_visitor_is_sent_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fadmin%2F"


@pytest.mark.parametrize("role", ["member", "lead"])
def test_members_and_leads_get_403(client, auth, role):
    auth.login_as(role)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "Your account does not have access" in response.get_data(as_text=True)


@pytest.mark.parametrize("action", ["role", "suspend", "restore"])
def test_members_cannot_post_admin_actions(client, auth, make_user, app, action):
    target = make_user(email="target@example.com")
    auth.login_as("lead")
    response = client.post(f"/admin/users/{target}/{action}", data={"role": "admin"})
    assert response.status_code == 403
    with app.app_context():
        user = db.session.get(User, target)
        assert user.role == "member"
        assert not user.is_suspended


def test_admin_lists_and_searches_users(client, auth, make_user):
    make_user(email="grace@navy.example", name="Grace Hopper")
    make_user(email="alan@bletchley.example", name="Alan Turing")
    auth.login_as("admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert "Grace Hopper" in page
    assert "Alan Turing" in page
    page = client.get("/admin/?q=hopper").get_data(as_text=True)
    assert "Grace Hopper" in page
    assert "Alan Turing" not in page
    assert "1 account matching" in page
    page = client.get("/admin/?q=BLETCHLEY").get_data(as_text=True)
    assert "Alan Turing" in page
    assert "Grace Hopper" not in page


def test_admin_list_paginates(client, auth, make_user, app):
    app.config["USERS_PER_PAGE"] = 3
    for _ in range(4):
        make_user()
    auth.login_as("admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert "Page 1 of 2" in page
    assert "Page 2 of 2" in client.get("/admin/?page=2").get_data(as_text=True)
    assert client.get("/admin/?page=abc").status_code == 200


def test_admin_changes_a_role(client, auth, make_user, app):
    target = make_user(name="Promoted Person")
    auth.login_as("admin")
    response = client.post(
        f"/admin/users/{target}/role", data={"role": "lead", "next": "/admin/?q=promoted"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/?q=promoted"
    assert "Promoted Person is now lead." in client.get("/admin/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, target).role == "lead"


def test_admin_role_change_rejects_an_unknown_role(client, auth, make_user, app):
    target = make_user()
    auth.login_as("admin")
    client.post(f"/admin/users/{target}/role", data={"role": "overlord"})
    assert "Choose one of the roles" in client.get("/admin/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, target).role == "member"


def test_admin_suspends_and_restores(client, auth, make_user, app):
    target = make_user(email="target@example.com", name="Target Person")
    auth.login_as("admin")
    client.post(f"/admin/users/{target}/suspend", data={})
    page = client.get("/admin/").get_data(as_text=True)
    assert "Target Person is suspended and can no longer log in." in page
    with app.app_context():
        assert db.session.get(User, target).is_suspended
    client.post(f"/admin/users/{target}/restore", data={})
    assert "Target Person is restored" in client.get("/admin/").get_data(as_text=True)
    with app.app_context():
        assert not db.session.get(User, target).is_suspended


def test_admin_cannot_suspend_or_demote_themselves(client, auth, app):
    me = auth.login_as("admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert f"/admin/users/{me}/suspend" not in page
    assert "(you)" in page
    client.post(f"/admin/users/{me}/suspend", data={})
    assert "You cannot suspend your own account." in client.get("/admin/").get_data(as_text=True)
    client.post(f"/admin/users/{me}/role", data={"role": "member"})
    assert "You cannot change the role of your own account." in client.get("/admin/").get_data(
        as_text=True
    )
    with app.app_context():
        user = db.session.get(User, me)
        assert user.role == "admin"
        assert not user.is_suspended


def test_admin_action_on_unknown_user_is_404(client, auth):
    auth.login_as("admin")
    assert client.post("/admin/users/9999/suspend", data={}).status_code == 404


def test_admin_action_ignores_a_foreign_next(client, auth, make_user):
    target = make_user()
    auth.login_as("admin")
    response = client.post(f"/admin/users/{target}/suspend", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/admin/"


def test_navigation_shows_admin_only_to_admins(client, auth):
    auth.login_as("member")
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login_as("admin")
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)


def test_leads_reach_their_queues_from_the_user_menu(client, auth):
    lead_pages = ('href="/analytics"', 'href="/follow-ups"', 'href="/surveys/manage"')
    auth.login_as("member")
    page = client.get("/").get_data(as_text=True)
    assert not any(link in page for link in lead_pages)
    auth.logout()
    auth.login_as("lead")
    page = client.get("/").get_data(as_text=True)
    assert all(link in page for link in lead_pages)
    menu = page[page.index('<details class="user-menu">') : page.index("</details>")]
    assert 'href="/follow-ups"' in menu and 'href="/surveys/manage"' in menu
    assert 'href="/admin/"' not in page
    for path in ("/follow-ups", "/surveys/manage"):
        assert client.get(path).status_code == 200
