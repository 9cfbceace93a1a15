"""Q&A tells people what happened to their posts: new answers and accepted answers."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from gamify import services
from gamify.models import Question, Tag
from kudos import notifications
from kudos.extensions import db
from kudos.models import Notification, User


@pytest.fixture(autouse=True)
def community_tags(app):
    """The tags make_question uses exist, as on a running community."""
    with app.app_context():
        db.session.add_all([Tag(name="aws"), Tag(name="iam")])
        db.session.commit()


def sent(app, user_id=None):
    """Return (user, kind, text, link, key) of every notification, oldest first."""
    with app.app_context():
        statement = select(
            Notification.user_id,
            Notification.kind,
            Notification.text,
            Notification.link,
            Notification.key,
        ).order_by(Notification.id)
        if user_id is not None:
            statement = statement.where(Notification.user_id == user_id)
        return [tuple(row) for row in db.session.execute(statement)]


def user(user_id):
    return db.session.get(User, user_id)


def test_a_new_answer_notifies_the_asker_once_with_a_link_to_it(
    client, auth, make_user, make_question, app
):
    asker = make_user(email="asker@example.com")
    question_id = make_question(author_id=asker)
    auth.login_as("member")
    response = client.post(
        f"/questions/{question_id}/answers", data={"body": "Use a Transit Gateway attachment."}
    )
    assert response.status_code == 302
    answer_id = int(response.headers["Location"].rsplit("#post-", 1)[1])
    with app.app_context():
        name = db.session.scalar(select(User.display_name).where(User.id != asker))
    assert sent(app) == [
        (
            asker,
            "answer",
            f"{name} answered your question: How do I rotate IAM access keys?",
            f"/questions/{question_id}#post-{answer_id}",
            f"answer:{answer_id}",
        )
    ]
    auth.logout()
    auth.login("asker@example.com")
    page = client.get("/").get_data(as_text=True)
    assert 'aria-label="1 unread notification"' in page
    listing = client.get("/notifications").get_data(as_text=True)
    assert "answered your question: How do I rotate IAM access keys?" in listing
    notification_id = sent_ids(app)[0]
    opened = client.post(f"/notifications/{notification_id}/read", data={})
    assert opened.headers["Location"] == f"/questions/{question_id}#post-{answer_id}"


def sent_ids(app):
    with app.app_context():
        return list(db.session.scalars(select(Notification.id).order_by(Notification.id)))


def test_answering_your_own_question_notifies_nobody(app, make_user, make_question, make_answer):
    me = make_user()
    make_answer(make_question(author_id=me), author_id=me)
    assert sent(app) == []


def test_a_refused_answer_notifies_nobody(app, make_user, make_question):
    question_id = make_question()
    with app.app_context(), pytest.raises(services.QAError):
        services.answer(user(make_user()), question_id, "short")
    assert sent(app) == []


def test_each_answer_is_its_own_notification(app, make_user, make_question, make_answer):
    asker = make_user()
    question_id = make_question(author_id=asker)
    first, second = make_answer(question_id), make_answer(question_id)
    assert [key for *_, key in sent(app, asker)] == [f"answer:{first}", f"answer:{second}"]


def test_an_accepted_answer_notifies_its_author(
    client, auth, make_user, make_question, make_answer, app
):
    asker = make_user(email="asker@example.com")
    question_id = make_question(author_id=asker)
    answerer = make_user()
    answer_id = make_answer(question_id, author_id=answerer)
    auth.login("asker@example.com")
    client.post(f"/answers/{answer_id}/accept", data={})
    assert sent(app, answerer) == [
        (
            answerer,
            "accepted",
            "Your answer was accepted: How do I rotate IAM access keys?",
            f"/questions/{question_id}#post-{answer_id}",
            f"accepted:{answer_id}:0",
        )
    ]
    client.post(f"/answers/{answer_id}/accept", data={})  # the same accept, sent again
    assert len(sent(app, answerer)) == 1
    # The asker hears of the answer and earns Scholar for accepting, but no "accepted" notice.
    assert [(kind, text) for _, kind, text, *_ in sent(app, asker)] == [
        ("answer", "User 2 answered your question: How do I rotate IAM access keys?"),
        ("badge", "You earned the Scholar badge."),
    ]


def test_accepting_again_after_a_withdrawal_is_a_new_notification(
    app, make_user, make_question, make_answer
):
    asker = make_user()
    question_id = make_question(author_id=asker)
    answerer = make_user()
    answer_id = make_answer(question_id, author_id=answerer)
    with app.app_context():
        services.accept(user(asker), answer_id)
        services.unaccept(user(asker), question_id)
        services.accept(user(asker), answer_id)
    assert [key for *_, key in sent(app, answerer)] == [
        f"accepted:{answer_id}:0",
        f"accepted:{answer_id}:1",
    ]


def test_a_lead_accepting_notifies_the_answerer_but_not_themselves(
    app, make_user, make_question, make_answer
):
    asker = make_user()
    question_id = make_question(author_id=asker)
    answerer = make_user()
    lead = make_user(role="lead")
    theirs = make_answer(question_id, author_id=answerer)
    own = make_answer(question_id, author_id=lead)
    with app.app_context():
        services.accept(user(lead), theirs)
        services.accept(user(lead), own)
    assert [key for *_, key in sent(app, answerer)] == [f"accepted:{theirs}:0"]
    assert sent(app, lead) == []


def test_accepting_an_answer_to_your_own_question_notifies_nobody(
    app, make_user, make_question, make_answer
):
    me = make_user()
    question_id = make_question(author_id=me)
    answer_id = make_answer(question_id, author_id=me)
    with app.app_context():
        services.accept(user(me), answer_id)
        assert db.session.get(Question, question_id).accepted_answer_id == answer_id
    assert sent(app) == []


def test_a_retried_accept_notifies_once(app, make_user, make_question, make_answer, monkeypatch):
    asker = make_user()
    question_id = make_question(author_id=asker)
    answerer = make_user()
    answer_id = make_answer(question_id, author_id=answerer)
    with app.app_context():
        real_commit = db.session.commit
        calls = []

        def commit_once_locked():
            calls.append(1)
            if len(calls) == 1:  # the first attempt meets a locked database, after notifying
                raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))
            real_commit()

        monkeypatch.setattr(db.session, "commit", commit_once_locked)
        services.accept(user(asker), answer_id)
        monkeypatch.undo()
        assert len(calls) == 2
    assert [key for *_, key in sent(app, answerer)] == [f"accepted:{answer_id}:0"]


def test_a_repeated_notification_key_is_ignored(app, make_user, make_question, make_answer):
    asker = make_user()
    answer_id = make_answer(make_question(author_id=asker))
    with app.app_context():
        notifications.notify(asker, "answer", "Again", key=f"answer:{answer_id}")
        db.session.commit()
    assert len(sent(app, asker)) == 1
