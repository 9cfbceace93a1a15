"""The notification service every feature uses."""

from __future__ import annotations

from kudos import notifications
from kudos.extensions import db


def test_notify_count_page_and_mark_read(app, make_user):
    me, other = make_user(), make_user()
    with app.app_context():
        notifications.notify(me, "answer", "New answer to your question", link="/questions/1")
        notifications.notify(me, "badge", "You earned Teacher", key="badge:1")
        notifications.notify(me, "badge", "You earned Teacher", key="badge:1")  # a retry
        notifications.notify(other, "answer", "Someone else's")
        notifications.notify(me, "badge", "Backfilled", key="badge:2", read=True)
        db.session.commit()
        assert notifications.unread_count(me) == 2
        page = notifications.page_for(me, 1)
        assert [n.text for n in page.items] == [
            "Backfilled",
            "You earned Teacher",
            "New answer to your question",
        ]
        first = page.items[-1].id
        assert notifications.mark_read(other, first) == 0  # not theirs
        assert notifications.mark_read(me, first) == 1
        assert notifications.unread_count(me) == 1
        assert notifications.mark_read(me) == 1
        assert notifications.unread_count(me) == 0
        assert notifications.unread_count(other) == 1
