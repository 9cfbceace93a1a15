"""The follow-up queue: low scores land there, leads record what they did, no one else sees it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from feedback import followups
from feedback.followups import FollowUp, FollowUpError
from kudos.extensions import db
from kudos.models import User, utcnow


@pytest.fixture
def make_followup(app, make_user):
    """Queue a low score as a rating service would (add, then the caller commits); return id."""
    counter = iter(range(1, 10_000))

    def make(
        kind="csat",
        scale="csat",
        score=2,
        comment="The reply took a week.",
        user_id=None,
        link=None,
        at=None,
    ):
        source_id = next(counter)
        with app.app_context():
            followup = followups.add(
                kind,
                source_id,
                user_id or make_user(),
                scale,
                score,
                comment,
                link or f"/support/{source_id}",
                at or utcnow(),
            )
            db.session.commit()
            return followup.id

    return make


def rows(app) -> list[tuple]:
    with app.app_context():
        query = select(
            FollowUp.kind,
            FollowUp.source_id,
            FollowUp.score,
            FollowUp.done_by_id,
            FollowUp.action_note,
        ).order_by(FollowUp.id)
        return [tuple(row) for row in db.session.execute(query)]


BOUNDARIES = [
    ("nps", 0, True),
    ("nps", 6, True),
    ("nps", 7, False),
    ("nps", 10, False),
    ("csat", 1, True),
    ("csat", 3, True),
    ("csat", 4, False),
    ("csat", 5, False),
    ("ces", 1, True),
    ("ces", 3, True),
    ("ces", 4, False),
    ("ces", 7, False),
]


@pytest.mark.parametrize(("scale", "score", "low"), BOUNDARIES)
def test_is_low_follows_the_product_thresholds(scale, score, low):
    assert followups.is_low(scale, score) is low


@pytest.mark.parametrize(("scale", "score"), [("nps", 11), ("csat", 0), ("ces", 8), ("stars", 1)])
def test_is_low_refuses_scores_off_the_scale(scale, score):
    with pytest.raises(ValueError):
        followups.is_low(scale, score)


@pytest.mark.parametrize(("scale", "score", "low"), BOUNDARIES)
def test_add_queues_only_low_scores(app, make_user, scale, score, low):
    user_id = make_user()
    with app.app_context():
        made = followups.add("survey", 7, user_id, scale, score, "Hm.", "/surveys/3", utcnow())
        db.session.commit()
        assert (made is not None) is low
    assert rows(app) == ([("survey", 7, score, None, None)] if low else [])


def test_add_writes_in_the_callers_transaction_and_only_once(app, make_user):
    user_id = make_user()
    with app.app_context():
        followups.add("csat", 12, user_id, "csat", 1, "Bad.", "/support/12", utcnow())
        db.session.rollback()  # the caller's rating failed: its follow-up goes with it
    assert rows(app) == []
    with app.app_context():
        first = followups.add("csat", 12, user_id, "csat", 1, "Bad.", "/support/12", utcnow())
        again = followups.add("csat", 12, user_id, "csat", 1, "Bad.", "/support/12", utcnow())
        assert again.id == first.id
        db.session.commit()
    assert rows(app) == [("csat", 12, 1, None, None)]


def test_add_refuses_an_unknown_kind(app, make_user):
    user_id = make_user()
    with app.app_context(), pytest.raises(ValueError):
        followups.add("tweet", 1, user_id, "csat", 1, None, "/x", utcnow())


def test_a_lead_sees_the_queue_open_first_then_oldest(client, auth, app, make_user, make_followup):
    member = make_user(name="Rita Requester")
    start = utcnow() - timedelta(days=10)
    old = make_followup(comment="Oldest complaint", user_id=member, at=start)
    make_followup(
        kind="survey",
        scale="nps",
        score=4,
        comment="Middle complaint",
        link="/surveys/3",
        at=start + timedelta(days=1),
    )
    make_followup(score=3, comment="Newest complaint", at=start + timedelta(days=2))
    lead = auth.login_as("lead")
    with app.app_context():
        followups.resolve(old, db.session.get(User, lead), "Called Rita.")

    page = client.get("/follow-ups").get_data(as_text=True)
    assert page.index("Middle complaint") < page.index("Newest complaint")
    assert page.index("Newest complaint") < page.index("Oldest complaint")
    assert "Rita Requester" in page
    assert 'href="/support/1"' in page and 'href="/surveys/3"' in page
    assert "NPS" in page and "CSAT" in page
    assert "Called Rita." in page

    open_page = client.get("/follow-ups?state=open").get_data(as_text=True)
    assert "Middle complaint" in open_page and "Oldest complaint" not in open_page
    done_page = client.get("/follow-ups?state=done").get_data(as_text=True)
    assert "Oldest complaint" in done_page and "Middle complaint" not in done_page
    assert client.get("/follow-ups?state=nonsense").status_code == 400


def test_an_empty_queue_says_so(client, auth):
    auth.login_as("admin")
    assert "no low scores are waiting" in client.get("/follow-ups").get_data(as_text=True)


def test_a_lead_records_what_was_done(client, auth, app, make_followup):
    followup_id = make_followup(comment="Nobody answered.")
    lead = auth.login_as("lead")
    response = client.post(
        f"/follow-ups/{followup_id}/resolve?state=open", data={"note": "  Phoned the team.  "}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/follow-ups?state=open"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Recorded what was done; the follow-up is closed." in page
    assert "Nobody answered." not in page  # no longer open
    with app.app_context():
        followup = db.session.get(FollowUp, followup_id)
        assert (followup.done_by_id, followup.action_note) == (lead, "Phoned the team.")
        assert followup.done_at is not None
    done = client.get("/follow-ups?state=done").get_data(as_text=True)
    assert "Phoned the team." in done and "Nobody answered." in done

    again = client.post(f"/follow-ups/{followup_id}/resolve", data={"note": "Again."})
    assert again.status_code == 302
    assert "already recorded as done" in client.get("/follow-ups").get_data(as_text=True)
    assert rows(app)[0][4] == "Phoned the team."


@pytest.mark.parametrize("note", ["", "   \n "])
def test_an_empty_note_is_refused_with_the_reason(client, auth, app, make_followup, note):
    followup_id = make_followup()
    before = rows(app)
    auth.login_as("lead")
    response = client.post(f"/follow-ups/{followup_id}/resolve", data={"note": note})
    assert response.status_code == 200
    assert "Say what was done about this score." in response.get_data(as_text=True)
    assert rows(app) == before


def test_a_too_long_note_is_refused(client, auth, app, make_followup):
    followup_id = make_followup()
    before = rows(app)
    auth.login_as("lead")
    response = client.post(f"/follow-ups/{followup_id}/resolve", data={"note": "x" * 2001})
    assert response.status_code == 200
    assert "A note has at most 2000 characters." in response.get_data(as_text=True)
    assert rows(app) == before


def test_a_missing_follow_up_is_404(client, auth):
    auth.login_as("lead")
    assert client.post("/follow-ups/999/resolve", data={"note": "Done."}).status_code == 404
    assert client.post("/follow-ups/999/resolve", data={"note": ""}).status_code == 404


ROUTES = [
    ("get", "/follow-ups"),
    ("get", "/follow-ups?state=open"),
    ("get", "/follow-ups?state=done"),
    ("post", "/follow-ups/{id}/resolve"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_members_get_403_on_every_follow_up_route(client, auth, app, make_followup, method, path):
    followup_id = make_followup(comment="Private words")
    before = rows(app)
    auth.login_as("member")
    data = {"note": "Handled by a member."} if method == "post" else None
    response = getattr(client, method)(path.format(id=followup_id), data=data)
    assert response.status_code == 403
    assert "Private words" not in response.get_data(as_text=True)
    assert rows(app) == before


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_visitors_are_sent_to_log_in(client, app, make_followup, method, path):
    followup_id = make_followup()
    before = rows(app)
    data = {"note": "Handled by a visitor."} if method == "post" else None
    response = getattr(client, method)(path.format(id=followup_id), data=data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert rows(app) == before


def test_the_service_refuses_members_empty_notes_and_missing_ids(app, make_user, make_followup):
    followup_id = make_followup()
    before = rows(app)
    with app.app_context():
        member = db.session.get(User, make_user())
        lead = db.session.get(User, make_user(role="lead"))
        for call, status, field in (
            (lambda: followups.resolve(followup_id, member, "Done."), 403, None),
            (lambda: followups.resolve(followup_id, lead, "  "), 400, "note"),
            (lambda: followups.resolve(12345, lead, "Done."), 404, None),
            (lambda: followups.page_of(member), 403, None),
        ):
            with pytest.raises(FollowUpError) as refused:
                call()
            assert (refused.value.status, refused.value.field) == (status, field)
    assert rows(app) == before
