"""Support requests: filing, privacy, replies and internal notes, SLAs, CSAT, deflection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from conftest import PASSWORD, TEST_DATABASE_URL
from feedback import support
from feedback.followups import FollowUp
from feedback.models import SuggestionFollow
from feedback.support_models import (
    DeflectionEvent,
    SupportMessage,
    SupportRating,
    SupportRequest,
    SupportStatusChange,
)
from gamify import ledger
from gamify.models import PointEvent
from kudos.extensions import db
from kudos.models import Notification, User

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


@pytest.fixture
def make_request(app, make_user):
    """File a request through the service and return its id."""

    def make(requester_id=None, subject="Pods stuck pending in the shared cluster", **kwargs):
        with app.app_context():
            requester = _user(requester_id or make_user())
            options = {"category": "kubernetes", "priority": "normal", **kwargs}
            return support.file_request(
                requester,
                subject,
                "Our pods stay pending since this morning in namespace payments.",
                options.pop("category"),
                options.pop("priority"),
                **options,
            ).id

    return make


@pytest.fixture
def desk(app, make_user, make_request):
    """A requester, another member, a lead, and one request of the requester's."""
    requester = make_user(email="req@example.com", name="Rae Requester")
    other = make_user(email="other@example.com", name="Oli Other")
    lead = make_user(email="lead@example.com", name="Lee Lead", role="lead")
    request_id = make_request(requester)
    return {"requester": requester, "other": other, "lead": lead, "request": request_id}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# Filing ---------------------------------------------------------------------------------------


def test_a_member_files_a_request_through_the_form(app, client, auth):
    member = auth.login_as("member")
    page = client.get("/support/new").get_data(as_text=True)
    assert "Ask for help" in page and 'name="session"' in page
    response = client.post(
        "/support/new",
        data={
            "subject": "Access denied when assuming the deploy role",
            "description": "The pipeline gets AccessDenied on sts:AssumeRole since Monday.",
            "category": "iam",
            "priority": "high",
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Access denied when assuming the deploy role" in page
    assert "IAM and access" in page
    with app.app_context():
        filed = db.session.scalar(select(SupportRequest))
        assert (filed.requester_id, filed.status, filed.priority) == (member, "new", "high")
        # The SLA due times of the high priority: 4 h to first response, 24 h to resolution.
        assert filed.first_response_due_at - filed.created_at == timedelta(hours=4)
        assert filed.resolution_due_at - filed.created_at == timedelta(hours=24)
    assert "Access denied" in client.get("/support").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"category": "weather"}, "There is no category “weather”"),
        ({"priority": "whenever"}, "There is no priority “whenever”"),
        ({"subject": ""}, "Give your request a subject."),
        ({"subject": "Help"}, "A subject needs at least 5 characters."),
        ({"description": "short"}, "A description needs at least 10 characters."),
    ],
)
def test_bad_input_re_renders_the_form_and_files_nothing(app, client, auth, data, message):
    auth.login_as("member")
    form = {
        "subject": "Budget alert fires too early",
        "description": "Our budget alert fires at 50% instead of 80%.",
        "category": "billing",
        "priority": "normal",
        **data,
    }
    response = client.post("/support/new", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "Our budget alert fires" in page or form["description"] in page
    with app.app_context():
        assert _count(SupportRequest) == 0


# Privacy -------------------------------------------------------------------------------------


def _login(client, email):
    response = client.post("/login", data={"email": email, "password": "a-good-long-password"})
    assert response.status_code == 302


def test_a_member_never_sees_another_members_request(app, client, desk):
    with app.app_context():
        support.reply(desk["request"], _user(desk["lead"]), "Public answer for Rae.")
    _login(client, "other@example.com")
    rid = desk["request"]
    assert client.get(f"/support/{rid}").status_code == 404
    assert client.get(f"/support/{rid + 1000}").status_code == 404
    assert client.get(f"/api/v1/support/requests/{rid}").status_code == 404
    body = client.get(f"/api/v1/support/requests/{rid}").get_json()
    assert body["message"] == "There is no such support request."
    listing = client.get("/api/v1/support/requests").get_json()
    assert listing["requests"] == [] and listing["total"] == 0
    assert "Pods stuck" not in client.get("/support").get_data(as_text=True)
    for path, data in (
        (f"/support/{rid}/reply", {"body": "I am not the requester"}),
        (f"/support/{rid}/rating", {"score": "5"}),
    ):
        assert client.post(path, data=data).status_code == 404, path
    with app.app_context():
        assert _count(SupportMessage) == 1 and _count(SupportRating) == 0


def test_visitors_are_sent_to_log_in_and_the_api_answers_401(client, desk):
    for path in ("/support", "/support/new", f"/support/{desk['request']}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    response = client.get(f"/api/v1/support/requests/{desk['request']}")
    assert response.status_code == 401 and response.get_json()["error"]


def test_internal_notes_never_reach_the_requester(app, client, desk):
    rid = desk["request"]
    secret = "Root cause is the SCP on the OU; do not tell them yet."
    with app.app_context():
        lead = _user(desk["lead"])
        support.reply(rid, lead, secret, internal=True)
        support.reply(rid, lead, "We are on it and will update you within the hour.")
        support.change_status(rid, lead, "solved")
    _login(client, "req@example.com")
    page = client.get(f"/support/{rid}").get_data(as_text=True)
    assert "We are on it" in page
    assert secret not in page and "Internal note" not in page
    payload = client.get(f"/api/v1/support/requests/{rid}").get_data(as_text=True)
    assert "We are on it" in payload and secret not in payload and "internal" not in payload
    notes = client.get("/notifications").get_data(as_text=True)
    assert "Lee Lead replied to your request" in notes and secret not in notes
    with app.app_context():
        texts = db.session.scalars(
            select(Notification.text).where(Notification.user_id == desk["requester"])
        ).all()
        assert texts and not any("SCP" in text for text in texts)
    # The lead sees the note, marked as internal.
    client.post("/logout", data={})
    _login(client, "lead@example.com")
    page = client.get(f"/support/{rid}").get_data(as_text=True)
    assert secret in page and "only leads see this" in page


def test_a_member_cannot_write_an_internal_note(app, client, desk):
    _login(client, "req@example.com")
    response = client.post(
        f"/support/{desk['request']}/reply", data={"body": "Sneaky note", "internal": "y"}
    )
    assert response.status_code == 403
    with app.app_context():
        assert _count(SupportMessage) == 0


LEAD_ROUTES = [
    ("get", "/support?status=new", None),
    ("post", "/support/{rid}/status", {"status": "open"}),
    ("post", "/support/{rid}/assign", {"assignee": ""}),
    ("post", "/support/{rid}/priority", {"priority": "urgent"}),
    ("post", "/support/{rid}/link", {"suggestion": ""}),
]


@pytest.mark.parametrize(("method", "path", "data"), LEAD_ROUTES[1:])
def test_every_lead_route_is_forbidden_to_members(app, client, desk, method, path, data):
    _login(client, "req@example.com")
    response = getattr(client, method)(path.format(rid=desk["request"]), data=data)
    assert response.status_code == 403
    with app.app_context():
        item = db.session.get(SupportRequest, desk["request"])
        assert (item.status, item.priority) == ("new", "normal")


def test_a_member_sees_only_their_own_list_not_the_queue(client, desk, make_request):
    make_request(desk["other"], subject="Ingress certificate expired")
    _login(client, "req@example.com")
    page = client.get("/support?status=new").get_data(as_text=True)
    assert "Pods stuck pending" in page
    assert "Ingress certificate expired" not in page and "Support queue" not in page


def test_the_sla_targets_are_for_admins(client, auth):
    auth.login_as("lead")
    assert client.get("/support/sla").status_code == 403
    assert client.post("/support/sla", data={"priority": "low"}).status_code == 403


# Replies, statuses, first response ----------------------------------------------------------


def test_first_response_ignores_internal_notes_and_the_requesters_replies(app, desk):
    rid = desk["request"]
    with app.app_context():
        item = db.session.get(SupportRequest, rid)
        created = item.created_at
        lead, requester = _user(desk["lead"]), _user(desk["requester"])
        support.reply(rid, requester, "Any news?", at=created + timedelta(minutes=10))
        support.reply(
            rid, lead, "Checked the logs.", internal=True, at=created + timedelta(hours=1)
        )
        assert db.session.get(SupportRequest, rid).first_response_at is None
        support.reply(rid, lead, "Fixed the quota.", at=created + timedelta(hours=2))
        support.reply(rid, lead, "And the limits.", at=created + timedelta(hours=3))
        item = db.session.get(SupportRequest, rid)
        assert item.first_response_at - created == timedelta(hours=2)
        assert item.status == "open"  # a new request answered publicly is open


def test_status_history_solve_and_reopen_by_the_requester(app, client, desk):
    rid = desk["request"]
    with app.app_context():
        lead = _user(desk["lead"])
        support.reply(rid, lead, "Try again now please.", status="pending")
        support.change_status(rid, lead, "solved")
        assert db.session.get(SupportRequest, rid).solved_at is not None
        support.reply(rid, _user(desk["requester"]), "Still failing, sorry.")
        item = db.session.get(SupportRequest, rid)
        assert (item.status, item.solved_at) == ("open", None)
        moves = db.session.execute(
            select(SupportStatusChange.from_status, SupportStatusChange.to_status).order_by(
                SupportStatusChange.id
            )
        ).all()
        assert moves == [("new", "pending"), ("pending", "solved"), ("solved", "open")]
    _login(client, "lead@example.com")
    page = client.get(f"/support/{rid}").get_data(as_text=True)
    assert "pending → <strong>solved</strong>" in page


def test_impossible_status_changes_are_refused(app, client, desk):
    rid = desk["request"]
    with app.app_context():
        lead = _user(desk["lead"])
        with pytest.raises(support.SupportError, match="no status “done”"):
            support.change_status(rid, lead, "done")
        support.change_status(rid, lead, "closed")
        with pytest.raises(support.SupportError, match="closed request stays closed"):
            support.change_status(rid, lead, "open")
        with pytest.raises(support.SupportError, match="closed"):
            support.reply(rid, lead, "One more thing")
    _login(client, "lead@example.com")
    response = client.post(f"/support/{rid}/status", data={"status": "bogus"})
    assert response.status_code == 302
    assert "no status “bogus”" in client.get(f"/support/{rid}").get_data(as_text=True)


def test_the_requester_is_notified_of_status_changes(app, desk):
    with app.app_context():
        support.change_status(desk["request"], _user(desk["lead"]), "pending")
        texts = db.session.scalars(
            select(Notification.text).where(Notification.user_id == desk["requester"])
        ).all()
    assert texts == ["Your request “Pods stuck pending in the shared cluster” is now pending."]


def test_assignment_and_filters_of_the_queue(app, client, desk, make_request, make_user):
    other_lead = make_user(email="lea@example.com", name="Lea Other", role="lead")
    billing = make_request(desk["other"], subject="Cost report charge", category="billing",
                           priority="low")  # fmt: skip
    with app.app_context():
        support.assign(desk["request"], _user(desk["lead"]), other_lead)
        with pytest.raises(support.SupportError, match="active lead"):
            support.assign(billing, _user(desk["lead"]), desk["other"])
    _login(client, "lea@example.com")
    mine = client.get("/support?assignee=me").get_data(as_text=True)
    assert "Pods stuck pending" in mine and "Cost report charge" not in mine
    by_category = client.get("/support?category=billing").get_data(as_text=True)
    assert "Cost report charge" in by_category and "Pods stuck pending" not in by_category
    by_priority = client.get("/support?priority=low").get_data(as_text=True)
    assert "Cost report charge" in by_priority and "Pods stuck pending" not in by_priority
    assert client.get("/support?priority=someday").status_code == 400
    notes = client.get("/notifications").get_data(as_text=True)
    assert "Lee Lead assigned you the request" in notes


# SLA -------------------------------------------------------------------------------------------


def test_sla_breach_is_computed_at_the_boundary(app, desk, make_request):
    rid = make_request(desk["requester"], priority="urgent", at=T0)  # 1 h / 8 h
    with app.app_context():
        item = db.session.get(SupportRequest, rid)
        due = T0 + timedelta(hours=1)
        assert support.sla_state(item, now=due).first_response == "at_risk"
        assert support.sla_state(item, now=due + timedelta(seconds=1)).first_response == "breached"
        assert support.sla_state(item, now=T0 + timedelta(minutes=44)).first_response == "on_track"
        assert support.sla_state(item, now=T0 + timedelta(minutes=46)).first_response == "at_risk"
        support.reply(rid, _user(desk["lead"]), "On it.", at=due)  # exactly at the due time
        item = db.session.get(SupportRequest, rid)
        assert support.sla_state(item, now=due + timedelta(hours=2)).first_response == "met"
        late = make_request(desk["requester"], priority="urgent", at=T0)
        support.reply(late, _user(desk["lead"]), "Sorry.", at=due + timedelta(seconds=1))
        item = db.session.get(SupportRequest, late)
        assert support.sla_state(item, now=due + timedelta(hours=2)).first_response == "breached"


def test_the_queue_shows_breached_and_at_risk_requests(app, client, desk, make_request):
    now = datetime.now(UTC)
    make_request(desk["other"], subject="Deploy job times out", priority="urgent",
                 at=now - timedelta(hours=2))  # fmt: skip
    make_request(desk["other"], subject="Logs missing from workspace", priority="urgent",
                 at=now - timedelta(minutes=50))  # fmt: skip
    _login(client, "lead@example.com")
    page = client.get("/support?sla=breached").get_data(as_text=True)
    assert "Deploy job times out" in page and "Logs missing" not in page
    assert "SLA breached" in page
    page = client.get("/support?sla=at_risk").get_data(as_text=True)
    assert "Logs missing" in page and "Deploy job times out" not in page
    assert "Pods stuck pending" not in page  # a normal request filed just now is on track


def test_an_admin_changes_a_target_for_new_requests(app, client, auth, desk, make_request):
    auth.login_as("admin")
    response = client.post(
        "/support/sla",
        data={"priority": "normal", "first_response_hours": "2", "resolution_hours": "1"},
    )
    assert response.status_code == 302
    assert "cannot be shorter" in client.get("/support/sla").get_data(as_text=True)
    client.post(
        "/support/sla",
        data={"priority": "normal", "first_response_hours": "2", "resolution_hours": "48"},
    )
    newer = make_request(desk["requester"])
    with app.app_context():
        old, new = (db.session.get(SupportRequest, i) for i in (desk["request"], newer))
        assert old.first_response_due_at - old.created_at == timedelta(hours=8)
        assert new.first_response_due_at - new.created_at == timedelta(hours=2)
        assert new.resolution_due_at - new.created_at == timedelta(hours=48)


# CSAT ------------------------------------------------------------------------------------------


def _solve(app, desk, rid=None):
    with app.app_context():
        support.change_status(rid or desk["request"], _user(desk["lead"]), "solved")


def test_solving_asks_for_a_rating_and_a_low_one_lands_in_follow_up(app, client, desk):
    rid = desk["request"]
    _solve(app, desk)
    _login(client, "req@example.com")
    assert "How did we do? Rate the help you got." in client.get("/notifications").get_data(
        as_text=True
    )
    page = client.get(f"/support/{rid}").get_data(as_text=True)
    assert "How did we do?" in page
    response = client.post(f"/support/{rid}/rating", data={"score": "2"})
    assert response.status_code == 400
    assert "a rating of 2 needs a reason" in response.get_data(as_text=True)
    response = client.post(
        f"/support/{rid}/rating",
        data={"score": "2", "reason": "It took three days.", "comment": "Fix worked though."},
    )
    assert response.status_code == 302
    page = client.get(f"/support/{rid}").get_data(as_text=True)
    assert "Your rating" in page and "It took three days." in page
    with app.app_context():
        rating = db.session.scalar(select(SupportRating))
        assert (rating.score, rating.reason) == (2, "It took three days.")
        followup = db.session.scalar(select(FollowUp))
        assert (followup.kind, followup.source_id, followup.score) == ("csat", rating.id, 2)
        assert "It took three days." in followup.comment
        event = db.session.scalar(select(PointEvent).where(PointEvent.action == "survey_answered"))
        assert (event.user_id, event.applied) == (desk["requester"], 1)
        assert ledger.verify() == []


def test_a_rating_of_four_needs_no_reason_and_no_follow_up(app, desk):
    _solve(app, desk)
    with app.app_context():
        support.rate(desk["request"], _user(desk["requester"]), 4)
        assert _count(FollowUp) == 0
        assert db.session.scalar(select(SupportRating.score)) == 4


@pytest.mark.parametrize("score", [0, 6, None])
def test_a_rating_out_of_range_is_refused(app, desk, score):
    _solve(app, desk)
    with app.app_context(), pytest.raises(support.SupportError, match="Rate from 1 to 5"):
        support.rate(desk["request"], _user(desk["requester"]), score)
    with app.app_context():
        assert _count(SupportRating) == 0 and _count(PointEvent) == 0


def test_rating_an_unsolved_request_and_rating_twice_are_refused(app, client, desk):
    rid = desk["request"]
    _login(client, "req@example.com")
    response = client.post(f"/support/{rid}/rating", data={"score": "5"})
    assert response.status_code == 302
    assert "once it is solved" in client.get(f"/support/{rid}").get_data(as_text=True)
    _solve(app, desk)
    assert client.post(f"/support/{rid}/rating", data={"score": "5"}).status_code == 302
    with app.app_context(), pytest.raises(support.SupportError, match="already rated"):
        support.rate(rid, _user(desk["requester"]), 1, reason="changed my mind")
    with app.app_context():
        assert db.session.scalars(select(SupportRating.score)).all() == [5]
        assert _count(PointEvent) == 1


# Linking, autoclose ------------------------------------------------------------------------------


def test_linking_a_suggestion_makes_the_requester_follow_it(app, client, desk):
    from feedback import suggestions

    with app.app_context():
        idea = suggestions.submit(
            _user(desk["other"]), "Bigger node pools for the shared cluster", "We need more room."
        ).id
    _login(client, "lead@example.com")
    response = client.post(f"/support/{desk['request']}/link", data={"suggestion": str(idea)})
    assert response.status_code == 302
    assert (
        client.post(f"/support/{desk['request']}/link", data={"suggestion": "9999"}).status_code
        == 302
    )
    assert "There is no suggestion #9999" in client.get(f"/support/{desk['request']}").get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.get(SupportRequest, desk["request"]).suggestion_id == idea
        assert db.session.get(SuggestionFollow, (idea, desk["requester"])) is not None


def test_autoclose_closes_requests_solved_seven_days_ago(app, runner, desk, make_request):
    fresh = make_request(desk["requester"])
    with app.app_context():
        lead = _user(desk["lead"])
        now = datetime.now(UTC)
        support.change_status(
            desk["request"], lead, "solved", at=now - timedelta(days=7, minutes=1)
        )
        support.change_status(fresh, lead, "solved", at=now - timedelta(days=6, hours=23))
    result = runner.invoke(args=["support", "autoclose"])
    assert result.exit_code == 0 and "Closed 1 request" in result.output
    assert "Closed 0 requests" in runner.invoke(args=["support", "autoclose"]).output
    with app.app_context():
        assert db.session.get(SupportRequest, desk["request"]).status == "closed"
        assert db.session.get(SupportRequest, fresh).status == "solved"


# Deflection --------------------------------------------------------------------------------------


@pytest.fixture
def answered(app, make_user, make_question, make_answer):
    question = make_question(title="Why are my pods stuck pending in the cluster?")
    make_answer(question)
    unanswered = make_question(title="Pods pending after the cluster upgrade, anyone?")
    return question, unanswered


def test_deflection_events_are_logged_through_a_form_session(app, client, auth, answered):
    question, _unanswered = answered
    auth.login_as("member")
    page = client.get("/support/new").get_data(as_text=True)
    session = page.split('name="session" type="hidden" value="')[1].split('"')[0]
    data = client.get(f"/support/similar?subject=pods+stuck+pending&session={session}").get_json()
    assert [q["id"] for q in data["questions"]] == [question]  # answered questions only
    response = client.get(data["questions"][0]["url"])
    assert response.status_code == 302 and response.headers["Location"] == f"/questions/{question}"
    assert client.post("/support/solved", data={"session": session}).status_code == 302
    with app.app_context():
        events = db.session.execute(
            select(
                DeflectionEvent.kind, DeflectionEvent.target_type, DeflectionEvent.target_id
            ).order_by(DeflectionEvent.id)
        ).all()
        assert events == [
            ("shown", "question", question),
            ("opened", "question", question),
            ("solved", "", 0),
        ]
        rate = support.deflection(
            datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(1)
        )
        assert (rate.sessions, rate.deflected, rate.rate) == (1, 1, 1.0)


def test_a_session_that_files_within_seven_days_is_not_deflected(app, make_user, answered):
    with app.app_context():
        member = _user(make_user())
        filed = support.start_session(member, at=T0)
        support.show_matches(member, filed, "pods stuck pending", at=T0)
        support.open_match(member, filed, "question", answered[0], at=T0)
        support.file_request(
            member,
            "Pods stuck pending",
            "Still pending after the fix.",
            "kubernetes",
            "normal",
            session_id=filed,
            at=T0 + timedelta(days=6),
        )
        helped = support.start_session(member, at=T0)
        support.show_matches(member, helped, "pods stuck pending", at=T0)
        support.open_match(member, helped, "question", answered[0], at=T0)
        shown_only = support.start_session(member, at=T0)
        support.show_matches(member, shown_only, "pods stuck pending", at=T0)
        support.start_session(member, at=T0)  # nothing shown: not in the denominator
        result = support.deflection(T0 - timedelta(days=1), T0 + timedelta(days=1))
        assert (result.sessions, result.deflected) == (3, 1)
        submitted = db.session.scalar(
            select(DeflectionEvent.request_id).where(DeflectionEvent.kind == "submitted")
        )
        assert submitted is not None


def test_another_members_session_logs_nothing(app, client, auth, make_user, answered):
    with app.app_context():
        owner = support.start_session(_user(make_user()))
    auth.login_as("member")
    client.get(f"/support/similar?subject=pods+stuck+pending&session={owner}")
    client.post("/support/solved", data={"session": owner})
    with app.app_context():
        assert _count(DeflectionEvent) == 0


def test_the_form_shows_matches_without_javascript(client, auth, answered):
    auth.login_as("member")
    response = client.post(
        "/support/new", data={"subject": "pods stuck pending", "check": "1", "session": ""}
    )
    page = response.get_data(as_text=True)
    assert "These may already answer it" in page
    assert "Why are my pods stuck pending in the cluster?" in page
    assert "anyone?" not in page  # the unanswered question is not offered


def test_voice_of_the_customer_after_ten_survey_or_csat_answers(app, desk, make_request):
    from datetime import date

    from feedback import surveys
    from gamify.models import Badge, BadgeAward

    with app.app_context():
        lead, requester = _user(desk["lead"]), _user(desk["requester"])
        today = date.today()
        for number in range(4):
            survey = surveys.create(lead, "csat", f"How was the platform {number}?", today, today)
            surveys.answer(requester, survey.id, 5)
        ids = [make_request(desk["requester"]) for _ in range(6)]
        for rid in ids:
            support.change_status(rid, lead, "solved")
        for rid in ids[:5]:
            support.rate(rid, requester, 5)
        badge = db.session.scalar(select(Badge).where(Badge.slug == "voice-of-the-customer"))
        assert badge.name == "Voice of the Customer"
        held = select(func.count(BadgeAward.id)).where(BadgeAward.badge_id == badge.id)
        assert db.session.scalar(held) == 0  # 9 answers
        support.rate(ids[5], requester, 4)
        assert db.session.scalar(held) == 1
        texts = db.session.scalars(
            select(Notification.text).where(Notification.user_id == desk["requester"])
        ).all()
        assert any("Voice of the Customer" in text for text in texts)


@pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="needs PostgreSQL (KUDOS_TEST_DATABASE_URL) for real concurrency"
)
def test_concurrent_ratings_of_one_request_make_one_rating(app, desk):
    import threading

    rid = desk["request"]
    _solve(app, desk)
    threads_count = 8
    start = threading.Barrier(threads_count)
    statuses: list[int] = []

    def worker(score: int) -> None:
        client = app.test_client()
        client.post("/login", data={"email": "req@example.com", "password": PASSWORD})
        start.wait()
        response = client.post(f"/support/{rid}/rating", data={"score": str(score)})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=worker, args=(4 + n % 2,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [302] * threads_count  # the others are told "already rated"
    with app.app_context():
        assert _count(SupportRating) == 1
        events = db.session.scalars(
            select(PointEvent).where(PointEvent.source_type == "support_rating")
        ).all()
        assert len(events) == 1 and events[0].applied == 1
        assert ledger.verify() == []


def test_demo_adds_a_year_of_requests_worked_like_a_help_desk(runner, app):
    from conftest import migrate_schema

    migrate_schema(app)
    result = runner.invoke(args=["demo", "--seed", "3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(SupportRequest.status, func.count()).group_by(SupportRequest.status)
            ).all()
        )
        assert sum(statuses.values()) == 60
        assert statuses["closed"] > 30 and set(statuses) - {"closed", "solved"}  # some active
        categories = db.session.scalar(select(func.count(func.distinct(SupportRequest.category))))
        assert categories >= 5
        oldest = db.session.scalar(select(func.min(SupportRequest.created_at)))
        assert oldest < datetime.now(UTC) - timedelta(days=200)
        replied = db.session.scalars(
            select(SupportRequest).where(SupportRequest.first_response_at.is_not(None))
        ).all()
        assert replied and all(r.first_response_at > r.created_at for r in replied)
        internal = select(func.count()).where(SupportMessage.internal.is_(True))
        assert db.session.scalar(internal) > 0
        assert _count(SupportRating) > 10
        low = db.session.scalar(select(func.count()).where(SupportRating.score <= 3))
        assert db.session.scalar(select(func.count()).where(FollowUp.kind == "csat")) == low
        rate = support.deflection(oldest - timedelta(days=1), datetime.now(UTC))
        assert rate.sessions > 0 and 0 < rate.deflected < rate.sessions
        assert ledger.verify() == []


def test_a_tenth_answer_by_survey_also_earns_voice_of_the_customer(app, desk, make_request):
    from datetime import date

    from feedback import surveys
    from gamify.models import Badge, BadgeAward

    with app.app_context():
        lead, requester = _user(desk["lead"]), _user(desk["requester"])
        rid = desk["request"]
        support.change_status(rid, lead, "solved")
        support.rate(rid, requester, 5)
        today = date.today()
        for number in range(9):
            survey = surveys.create(lead, "nps", f"Would you recommend us? ({number})", today,
                                    today)  # fmt: skip
            surveys.answer(requester, survey.id, 9)
        badge_id = db.session.scalar(select(Badge.id).where(Badge.slug == "voice-of-the-customer"))
        holders = db.session.scalars(
            select(BadgeAward.user_id).where(BadgeAward.badge_id == badge_id)
        ).all()
        assert holders == [desk["requester"]]
