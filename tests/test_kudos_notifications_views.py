"""The bell in the header and the notifications page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from kudos import notifications
from kudos.extensions import db
from kudos.models import Notification


def notify(app, user_id, text, link=None):
    with app.app_context():
        notifications.notify(user_id, "answer", text, link=link)
        db.session.commit()
        return db.session.scalar(select(Notification.id).order_by(Notification.id.desc()))


def unread(app, user_id):
    with app.app_context():
        return notifications.unread_count(user_id)


def bell(page):
    match = re.search(r'<a class="bell[^"]*" href="/notifications"\s+aria-label="([^"]+)"', page)
    return match.group(1) if match else None


def test_visitors_see_no_bell_and_are_sent_to_log_in(client):
    assert bell(client.get("/").get_data(as_text=True)) is None
    response = client.get("/notifications")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fnotifications"
    assert "/login" in client.post("/notifications/read-all", data={}).headers["Location"]
    assert "/login" in client.post("/notifications/1/read", data={}).headers["Location"]


def test_the_bell_shows_the_unread_count(client, auth, make_user, app):
    me = auth.login_as("member")
    assert bell(client.get("/").get_data(as_text=True)) == "No unread notifications"
    notify(app, me, "One")
    assert bell(client.get("/").get_data(as_text=True)) == "1 unread notification"
    notify(app, me, "Two")
    notify(app, me, "Three")
    notify(app, make_user(), "Someone else's")
    page = client.get("/questions").get_data(as_text=True)
    assert bell(page) == "3 unread notifications"
    assert '🔔 <span class="bell-count">3</span></a>' in page


def test_the_bell_costs_one_count_query_per_page(client, auth, app):
    me = auth.login_as("member")
    notify(app, me, "One")
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        client.get("/")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    counts = [s for s in statements if "count(notification.id)" in s.lower()]
    assert len(counts) == 1


def test_the_list_is_newest_first_with_unread_ones_highlighted(client, auth, app):
    me = auth.login_as("member")
    first = notify(app, me, "Old and read", link="/questions/1")
    notify(app, me, "New and unread", link="/questions/2#post-3")
    with app.app_context():
        notifications.mark_read(me, first)
    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("New and unread") < page.index("Old and read")
    unread_item = re.search(
        r'<li id="notification-\d+" class="notification unread">.*?</li>', page, re.S
    )
    assert "New and unread" in unread_item.group(0)
    assert "Unread: " in unread_item.group(0)
    assert '<a class="notification-text" href="/questions/1">Old and read</a>' in page
    assert "Mark all as read" in page


def test_the_list_is_paginated(client, auth, app):
    me = auth.login_as("member")
    for number in range(notifications.PER_PAGE + 1):
        notify(app, me, f"Notification number {number:02d}")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Notification number 30" in page
    assert "Notification number 00" not in page
    assert "Page 1 of 2" in page
    page = client.get("/notifications?page=2").get_data(as_text=True)
    assert "Notification number 00" in page


def test_opening_one_marks_it_read_and_goes_to_its_link(client, auth, app):
    me = auth.login_as("member")
    target = notify(app, me, "Read me", link="/questions/7#post-9")
    other = notify(app, me, "Leave me")
    response = client.post(f"/notifications/{target}/read", data={})
    assert response.status_code == 302
    assert response.headers["Location"] == "/questions/7#post-9"
    assert unread(app, me) == 1
    with app.app_context():
        assert db.session.get(Notification, other).read_at is None
    # Opening it again still leads there.
    assert client.post(f"/notifications/{target}/read", data={}).headers["Location"] == (
        "/questions/7#post-9"
    )


@pytest.mark.parametrize(
    "link",
    [None, "https://evil.example/phish", "//evil.example/x", "/\\evil.example", "javascript:x"],
)
def test_a_link_that_is_not_a_local_path_leads_back_to_the_list(client, auth, app, link):
    me = auth.login_as("member")
    target = notify(app, me, "Odd link", link=link)
    response = client.post(f"/notifications/{target}/read", data={})
    assert response.headers["Location"] == "/notifications"
    assert unread(app, me) == 0
    page = client.get("/notifications").get_data(as_text=True)
    assert "Odd link" in page
    if link:
        assert f'href="{link}"' not in page


def test_someone_elses_notification_is_404_and_stays_unread(client, auth, make_user, app):
    other = make_user()
    theirs = notify(app, other, "Private", link="/questions/1")
    auth.login_as("member")
    assert client.post(f"/notifications/{theirs}/read", data={}).status_code == 404
    assert client.post("/notifications/999999/read", data={}).status_code == 404
    assert unread(app, other) == 1
    assert "Private" not in client.get("/notifications").get_data(as_text=True)


def test_mark_all_read(client, auth, make_user, app):
    me = auth.login_as("member")
    other = make_user()
    notify(app, me, "One")
    notify(app, me, "Two")
    notify(app, other, "Theirs")
    response = client.post("/notifications/read-all", data={})
    assert response.headers["Location"] == "/notifications"
    page = client.get("/notifications").get_data(as_text=True)
    assert "2 notifications marked as read." in page
    assert bell(page) == "No unread notifications"
    assert 'class="notification unread"' not in page
    assert "Mark all as read" not in page
    assert unread(app, other) == 1


def test_an_empty_list_says_so(client, auth):
    auth.login_as("member")
    page = client.get("/notifications").get_data(as_text=True)
    assert "No notifications yet." in page


def test_posts_need_the_csrf_token(client, auth, app):
    me = auth.login_as("member")
    target = notify(app, me, "Read me")
    assert client.post(f"/notifications/{target}/read", data={}, csrf=False).status_code == 400
    assert client.post("/notifications/read-all", data={}, csrf=False).status_code == 400
    assert unread(app, me) == 1
