"""Surveys: leads run them, members answer each once for +1, low scores reach the follow-ups."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from conftest import PASSWORD, TEST_DATABASE_URL
from feedback import surveys
from feedback.followups import FollowUp
from feedback.survey_demo import WAVES, make_surveys
from feedback.surveys import Survey, SurveyError, SurveyResponse
from gamify import ledger
from gamify.models import PointEvent, UserScore
from kudos.demo import DemoContext
from kudos.extensions import db
from kudos.models import User, utcnow


@pytest.fixture
def make_survey(app, make_user):
    """Open a survey through the service as a lead and return its id."""

    def make(
        kind="nps",
        question="How likely are you to recommend the Cloud Foundation?",
        opens_in=0,
        days=7,
        at=None,
    ):
        today = utcnow().date()
        with app.app_context():
            lead = db.session.get(User, make_user(role="lead"))
            opens_on = today + timedelta(days=opens_in)
            closes_on = opens_on + timedelta(days=days - 1)
            return surveys.create(lead, kind, question, opens_on, closes_on, at=at).id

    return make


def responses(app) -> list[tuple[int, int, int, str | None]]:
    with app.app_context():
        query = select(
            SurveyResponse.survey_id,
            SurveyResponse.user_id,
            SurveyResponse.score,
            SurveyResponse.comment,
        ).order_by(SurveyResponse.id)
        return [tuple(row) for row in db.session.execute(query)]


def survey_rows(app) -> list[tuple]:
    with app.app_context():
        query = select(Survey.kind, Survey.question, Survey.closes_at, Survey.closed_at)
        return [tuple(row) for row in db.session.execute(query.order_by(Survey.id))]


def points(app, user_id: int) -> tuple[int, list[str]]:
    """Return a user's total and the keys of their survey ledger rows."""
    with app.app_context():
        total = db.session.scalar(select(UserScore.total).where(UserScore.user_id == user_id))
        keys = db.session.scalars(
            select(PointEvent.event_key).where(
                PointEvent.user_id == user_id, PointEvent.action == "survey_answered"
            )
        ).all()
        return total or 1, list(keys)


def followup_rows(app) -> list[tuple]:
    with app.app_context():
        query = select(FollowUp.kind, FollowUp.scale, FollowUp.score, FollowUp.comment)
        return [tuple(row) for row in db.session.execute(query.order_by(FollowUp.id))]


def test_a_lead_runs_a_survey_and_a_member_answers_it_once(client, auth, app):
    auth.login_as("lead")
    today = utcnow().date()
    response = client.post(
        "/surveys/new",
        data={
            "kind": "csat",
            "question": "  How satisfied are   you with support? ",
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=13)).isoformat(),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        survey = db.session.scalars(select(Survey)).one()
        assert survey.question == "How satisfied are you with support?"
        assert survey.state() == "open"
    assert response.headers["Location"] == f"/surveys/{survey.id}/results"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The survey is saved" in page and "0 responses" in page
    auth.logout()

    member = auth.login_as("member")
    assert "How satisfied are you with support?" in client.get("/").get_data(as_text=True)
    assert "How satisfied are you with support?" in client.get("/surveys").get_data(as_text=True)
    form = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert 'name="score" value="1"' in form and 'name="score" value="5"' in form
    assert 'value="0"' not in form and 'value="6"' not in form
    response = client.post(
        f"/surveys/{survey.id}", data={"score": "4", "comment": "Quick and kind."}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your answer." in page
    assert "You answered <strong>4</strong>" in page and "Quick and kind." in page
    assert "How satisfied are you" not in client.get("/").get_data(as_text=True)
    assert "No surveys are waiting for you." in client.get("/surveys").get_data(as_text=True)
    assert responses(app) == [(survey.id, member, 4, "Quick and kind.")]
    assert points(app, member) == (2, [f"survey-response:{1}"])

    again = client.post(f"/surveys/{survey.id}", data={"score": "5"})
    assert again.status_code == 200
    assert "You have already answered this survey" in again.get_data(as_text=True)
    assert responses(app) == [(survey.id, member, 4, "Quick and kind.")]
    assert points(app, member)[0] == 2
    auth.logout()

    auth.login_as("admin")
    results = client.get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    assert "1 response" in results
    assert '<tr id="score-4"><td>4</td><td>1</td></tr>' in results
    assert '<tr id="score-5"><td>5</td><td>0</td></tr>' in results
    assert "score-0" not in results and "score-6" not in results
    manage = client.get("/surveys/manage").get_data(as_text=True)
    assert "How satisfied are you with support?" in manage
    assert "<td>1</td>" in manage
    with app.app_context():
        assert ledger.verify() == []


def test_the_service_treats_a_second_answer_as_already_answered(app, make_user, make_survey):
    survey_id = make_survey()
    member_id = make_user()
    with app.app_context():
        member = db.session.get(User, member_id)
        first = surveys.answer(member, survey_id, 8)
        with pytest.raises(SurveyError) as refused:
            surveys.answer(member, survey_id, 2, "Changed my mind.")
        assert refused.value.status == 409
        assert "already answered" in refused.value.message
        assert db.session.scalar(select(func.count(SurveyResponse.id))) == 1
        assert first.score == 8
    assert followup_rows(app) == []
    assert points(app, member_id) == (2, [f"survey-response:{first.id}"])


def test_each_member_answers_for_one_point_and_the_ledger_stays_true(app, make_user, make_survey):
    first, second = make_survey(), make_survey(kind="ces", question="How easy was it?")
    members = [make_user() for _ in range(3)]
    with app.app_context():
        for member_id in members:
            member = db.session.get(User, member_id)
            surveys.answer(member, first, 9)
            surveys.answer(member, second, 6)
        assert ledger.verify() == []
    for member_id in members:
        total, keys = points(app, member_id)
        assert total == 3 and len(keys) == 2
    with app.app_context():
        events = db.session.scalars(
            select(PointEvent).where(PointEvent.action == "survey_answered")
        ).all()
        assert {event.source_type for event in events} == {"survey_response"}
        assert {event.applied for event in events} == {1}


LOW_BOUNDARIES = [
    ("nps", "6", True),
    ("nps", "7", False),
    ("nps", "0", True),
    ("csat", "3", True),
    ("csat", "4", False),
    ("ces", "3", True),
    ("ces", "4", False),
]


@pytest.mark.parametrize(("kind", "score", "low"), LOW_BOUNDARIES)
def test_low_scores_land_in_the_follow_up_queue_and_others_do_not(
    client, auth, app, make_survey, kind, score, low
):
    survey_id = make_survey(kind=kind)
    member = auth.login_as("member")
    response = client.post(
        f"/surveys/{survey_id}", data={"score": score, "comment": f"Comment on {score}"}
    )
    assert response.status_code == 302
    expected = [("survey", kind, int(score), f"Comment on {score}")] if low else []
    assert followup_rows(app) == expected
    with app.app_context():
        response_id = db.session.scalar(select(SurveyResponse.id))
        if low:
            followup = db.session.scalars(select(FollowUp)).one()
            assert (followup.source_id, followup.user_id) == (response_id, member)
            assert followup.link == f"/surveys/{survey_id}"
    auth.logout()
    auth.login_as("lead")
    queue = client.get("/follow-ups").get_data(as_text=True)
    assert (f"Comment on {score}" in queue) is low


ANSWER_BAD_INPUT = [
    ("nps", {"score": "11"}, "Choose a score from 0 to 10."),
    ("nps", {"score": "-1"}, "Choose a score from 0 to 10."),
    ("nps", {"score": "seven"}, "Choose a score from 0 to 10."),
    ("nps", {"score": "7.5"}, "Choose a score from 0 to 10."),
    ("nps", {"score": ""}, "Choose a score."),
    ("nps", {"comment": "No score at all."}, "Choose a score."),
    ("csat", {"score": "0"}, "Choose a score from 1 to 5."),
    ("csat", {"score": "6"}, "Choose a score from 1 to 5."),
    ("ces", {"score": "0"}, "Choose a score from 1 to 7."),
    ("ces", {"score": "8"}, "Choose a score from 1 to 7."),
    ("nps", {"score": "8", "comment": "x" * 2001}, "A comment has at most 2000 characters."),
]


@pytest.mark.parametrize(("kind", "data", "message"), ANSWER_BAD_INPUT)
def test_a_bad_answer_is_refused_with_the_reason(
    client, auth, app, make_survey, kind, data, message
):
    survey_id = make_survey(kind=kind)
    member = auth.login_as("member")
    response = client.post(f"/surveys/{survey_id}", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert "Send answer" in page  # the form is shown again
    assert responses(app) == []
    assert followup_rows(app) == []
    assert points(app, member) == (1, [])


def test_a_survey_that_is_not_open_yet_takes_no_answers(client, auth, app, make_survey):
    survey_id = make_survey(opens_in=3)
    member = auth.login_as("member")
    page = client.get(f"/surveys/{survey_id}").get_data(as_text=True)
    assert "This survey opens on" in page and "Send answer" not in page
    assert "How likely are you to recommend" not in client.get("/surveys").get_data(as_text=True)
    response = client.post(f"/surveys/{survey_id}", data={"score": "9"})
    assert response.status_code == 200
    assert "This survey opens on" in response.get_data(as_text=True)
    assert responses(app) == [] and points(app, member) == (1, [])


def test_a_survey_past_its_last_day_takes_no_answers(client, auth, app, make_survey):
    survey_id = make_survey(opens_in=-10, days=5, at=utcnow() - timedelta(days=12))
    member = auth.login_as("member")
    assert "This survey is closed" in client.get(f"/surveys/{survey_id}").get_data(as_text=True)
    assert "No surveys are waiting for you." in client.get("/surveys").get_data(as_text=True)
    response = client.post(f"/surveys/{survey_id}", data={"score": "9"})
    assert response.status_code == 200
    assert "This survey is closed; it takes no more answers." in response.get_data(as_text=True)
    assert responses(app) == [] and points(app, member) == (1, [])


def test_a_lead_closes_a_survey_early(client, auth, app, make_survey, make_user):
    survey_id = make_survey()
    auth.login_as("lead")
    manage = client.get("/surveys/manage").get_data(as_text=True)
    assert f'action="/surveys/{survey_id}/close"' in manage
    response = client.post(f"/surveys/{survey_id}/close", data={})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The survey is closed; it takes no more answers." in page
    assert "closed early" in page
    assert f'action="/surveys/{survey_id}/close"' not in client.get("/surveys/manage").get_data(
        as_text=True
    )
    before = survey_rows(app)
    assert before[0][3] is not None
    again = client.post(f"/surveys/{survey_id}/close", data={}, follow_redirects=True)
    assert again.status_code == 200
    assert "This survey is already closed." in again.get_data(as_text=True)
    assert survey_rows(app) == before
    auth.logout()

    member = auth.login_as("member")
    response = client.post(f"/surveys/{survey_id}", data={"score": "9"})
    assert "This survey is closed; it takes no more answers." in response.get_data(as_text=True)
    assert responses(app) == [] and points(app, member) == (1, [])


def test_the_close_button_needs_a_post_with_the_csrf_token(client, auth, app, make_survey):
    survey_id = make_survey()
    auth.login_as("lead")
    assert client.get(f"/surveys/{survey_id}/close").status_code == 405
    assert client.post(f"/surveys/{survey_id}/close", data={}, csrf=False).status_code == 400
    assert survey_rows(app)[0][3] is None


def _form(**overrides):
    today = utcnow().date()
    data = {
        "kind": "nps",
        "question": "Would you recommend us?",
        "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=6)).isoformat(),
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


TODAY = utcnow().date()
SURVEY_BAD_INPUT = [
    (_form(kind="stars"), "There is no survey kind “stars”; choose NPS, CSAT or CES."),
    (_form(kind=""), "choose NPS, CSAT or CES."),
    (_form(question=""), "Write the question the survey asks."),
    (_form(question="  \t "), "Write the question the survey asks."),
    (_form(question=None), "Write the question the survey asks."),
    (_form(question="q" * 301), "A question has at most 300 characters."),
    (
        _form(
            opens_on=(TODAY + timedelta(days=5)).isoformat(),
            closes_on=(TODAY + timedelta(days=4)).isoformat(),
        ),
        "The survey must close after it opens.",
    ),
    (
        _form(
            opens_on=(TODAY - timedelta(days=9)).isoformat(),
            closes_on=(TODAY - timedelta(days=2)).isoformat(),
        ),
        "The last day of the survey is already over.",
    ),
    (_form(opens_on=""), "Choose the day the survey opens."),
    (_form(closes_on=None), "Choose the last day of the survey."),
    (_form(opens_on="31/12/2026"), "Not a valid date value."),
]


@pytest.mark.parametrize(("data", "message"), SURVEY_BAD_INPUT)
def test_a_bad_survey_is_refused_with_the_reason(client, auth, app, data, message):
    auth.login_as("lead")
    response = client.post("/surveys/new", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert "Save survey" in page
    assert survey_rows(app) == []


def test_a_one_day_survey_and_a_300_character_question_are_accepted(client, auth, app):
    auth.login_as("lead")
    today = utcnow().date().isoformat()
    response = client.post(
        "/surveys/new", data=_form(question="q" * 300, opens_on=today, closes_on=today)
    )
    assert response.status_code == 302
    assert [row[1] for row in survey_rows(app)] == ["q" * 300]


def test_the_service_refuses_members_and_reports_the_field(app, make_user, make_survey):
    survey_id = make_survey()
    today = utcnow().date()
    with app.app_context():
        member = db.session.get(User, make_user())
        lead = db.session.get(User, make_user(role="lead"))
        for call, status, field in (
            (lambda: surveys.create(member, "nps", "Q?", today, today), 403, None),
            (lambda: surveys.close(member, survey_id), 403, None),
            (lambda: surveys.results(member, survey_id), 403, None),
            (lambda: surveys.page_of(member), 403, None),
            (lambda: surveys.create(lead, "nps", "Q?", today, None), 400, "closes_on"),
            (lambda: surveys.create(lead, "xyz", "Q?", today, today), 400, "kind"),
            (lambda: surveys.answer(member, survey_id, 11), 400, "score"),
            (lambda: surveys.answer(member, survey_id, True), 400, "score"),
            (lambda: surveys.answer(member, 999, 5), 404, None),
            (lambda: surveys.close(lead, 999), 404, None),
        ):
            with pytest.raises(SurveyError) as refused:
                call()
            assert (refused.value.status, refused.value.field) == (status, field)
    assert len(survey_rows(app)) == 1
    assert responses(app) == []


LEAD_ROUTES = [
    ("get", "/surveys/new"),
    ("post", "/surveys/new"),
    ("get", "/surveys/manage"),
    ("get", "/surveys/{id}/results"),
    ("post", "/surveys/{id}/close"),
]
MEMBER_ROUTES = [
    ("get", "/surveys"),
    ("get", "/surveys/{id}"),
    ("post", "/surveys/{id}"),
]


@pytest.mark.parametrize(("method", "path"), LEAD_ROUTES)
def test_members_get_403_on_every_lead_route(client, auth, app, make_survey, method, path):
    survey_id = make_survey()
    before = survey_rows(app)
    auth.login_as("member")
    data = _form(question="Taken over") if method == "post" else None
    response = getattr(client, method)(path.format(id=survey_id), data=data)
    assert response.status_code == 403
    assert survey_rows(app) == before


@pytest.mark.parametrize(("method", "path"), LEAD_ROUTES + MEMBER_ROUTES)
def test_visitors_are_sent_to_log_in(client, app, make_survey, method, path):
    survey_id = make_survey()
    before = survey_rows(app)
    data = {**_form(question="Taken over"), "score": "3"} if method == "post" else None
    response = getattr(client, method)(path.format(id=survey_id), data=data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert survey_rows(app) == before
    assert responses(app) == []


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_leads_and_admins_open_every_lead_page(client, auth, make_survey, role):
    survey_id = make_survey()
    auth.login_as(role)
    for path in ("/surveys/new", "/surveys/manage", f"/surveys/{survey_id}/results"):
        assert client.get(path).status_code == 200, path


def test_unknown_surveys_are_404(client, auth):
    auth.login_as("member")
    assert client.get("/surveys/999").status_code == 404
    assert client.post("/surveys/999", data={"score": "5"}).status_code == 404
    auth.logout()
    auth.login_as("lead")
    assert client.get("/surveys/999/results").status_code == 404
    assert client.post("/surveys/999/close", data={}).status_code == 404


def test_a_member_never_sees_another_members_answer(client, auth, app, make_survey, make_user):
    survey_id = make_survey()
    with app.app_context():
        other = db.session.get(User, make_user(name="Otto Other"))
        surveys.answer(other, survey_id, 2, "Secret words from Otto")
    auth.login_as("member")
    paths = [
        "/",
        "/surveys",
        f"/surveys/{survey_id}",
        "/follow-ups",
        f"/surveys/{survey_id}/results",
    ]
    for path in paths:
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert "Secret words from Otto" not in page, path
        assert "Otto Other" not in page, path
        assert "You answered" not in page, path
    assert "Send answer" in client.get(f"/surveys/{survey_id}").get_data(as_text=True)
    assert client.get("/follow-ups").status_code == 403
    assert client.get(f"/surveys/{survey_id}/results").status_code == 403


def test_home_and_list_show_only_open_surveys_not_yet_answered(
    client, auth, app, make_survey, make_user
):
    make_survey(question="Open and waiting")
    answered = make_survey(question="Open but answered")
    make_survey(question="Not open yet", opens_in=2)
    make_survey(question="Over already", opens_in=-9, days=3, at=utcnow() - timedelta(days=10))
    member = auth.login_as("member")
    with app.app_context():
        surveys.answer(db.session.get(User, member), answered, 9)
    for path in ("/", "/surveys"):
        page = client.get(path).get_data(as_text=True)
        assert "Open and waiting" in page, path
        for hidden in ("Open but answered", "Not open yet", "Over already"):
            assert hidden not in page, path
    auth.logout()
    assert "Open and waiting" not in client.get("/").get_data(as_text=True)


def test_script_never_reaches_the_page_from_a_question_or_comment(client, auth, app, make_survey):
    survey_id = make_survey(kind="csat", question="<script>alert('q')</script>")
    auth.login_as("member")
    client.post(f"/surveys/{survey_id}", data={"score": "1", "comment": "<script>x()</script>"})
    for path in ("/", "/surveys", f"/surveys/{survey_id}"):
        assert "<script>alert" not in client.get(path).get_data(as_text=True), path
    auth.logout()
    auth.login_as("lead")
    for path in ("/follow-ups", "/surveys/manage", f"/surveys/{survey_id}/results"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page, path


THREADS = 8


@pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="needs PostgreSQL (KUDOS_TEST_DATABASE_URL) for real concurrency"
)
def test_concurrent_submits_of_one_answer_record_it_once(app, make_user, make_survey):
    survey_id = make_survey()
    member = make_user(email="eager@example.com")
    errors: list[str] = []
    statuses: list[int] = []
    start = threading.Barrier(THREADS)

    def worker() -> None:
        client = app.test_client()
        client.post("/login", data={"email": "eager@example.com", "password": PASSWORD})
        start.wait()
        response = client.post(f"/surveys/{survey_id}", data={"score": "3", "comment": "Slow."})
        statuses.append(response.status_code)
        if response.status_code >= 500:
            errors.append(response.get_data(as_text=True)[:200])

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(statuses) == [200] * (THREADS - 1) + [302]
    assert [row[1:3] for row in responses(app)] == [(member, 3)]
    total, keys = points(app, member)
    assert total == 2 and len(keys) == 1
    assert followup_rows(app) == [("survey", "nps", 3, "Slow.")]
    with app.app_context():
        assert ledger.verify() == []


def test_the_demo_step_runs_a_year_of_waves_deterministically(app, make_user):
    with app.app_context():
        leads = [db.session.get(User, make_user(role="lead")) for _ in range(2)]
        admins = [db.session.get(User, make_user(role="admin"))]
        members = [db.session.get(User, make_user(email="member@kudos.example"))]
        members += [db.session.get(User, make_user()) for _ in range(19)]

        def run(seed: int):
            ctx = DemoContext(
                rng=random.Random(seed), scale="small", leads=leads, admins=admins, members=members
            )
            units = []
            ctx.advance = units.append
            made = db.session.scalars(select(Survey.id)).all()
            state = ctx.rng.getstate()
            make_surveys(ctx)
            # Later steps draw the same numbers whether or not this one ran before them.
            assert ctx.rng.getstate() == state
            new = db.session.scalars(
                select(Survey).where(Survey.id.not_in(made)).order_by(Survey.opens_at)
            ).all()
            summary = []
            for survey in new:
                answers = db.session.execute(
                    select(SurveyResponse.user_id, SurveyResponse.score)
                    .where(SurveyResponse.survey_id == survey.id)
                    .order_by(SurveyResponse.user_id)
                ).all()
                summary.append((survey.kind, survey.state(), [tuple(a) for a in answers]))
            return summary, sum(units), new

        first, units, made = run(5)
        assert units == len(WAVES) == len(first)
        assert [kind for kind, _, _ in first].count("nps") == 4
        assert {"csat", "ces"} <= {kind for kind, _, _ in first}
        assert made[-1].opens_at - made[0].opens_at > timedelta(days=250)
        assert [state for _, state, _ in first] == ["closed"] * 5 + ["open"]
        for _, _, answers in first:
            assert len(members) * 0.25 <= len(answers) <= len(members) * 0.7
        # The demo member login still finds the open wave waiting on the home page.
        assert all(user_id != members[0].id for user_id, _ in first[-1][2])
        waiting = db.session.scalar(
            select(func.count(FollowUp.id)).where(FollowUp.done_at.is_(None))
        )
        done = db.session.scalar(
            select(func.count(FollowUp.id)).where(FollowUp.done_at.is_not(None))
        )
        assert waiting > 0 and done > 0
        assert ledger.verify() == []

        # The same seed gives the same answers (on fresh surveys, after the first run's).
        assert run(5)[0] == first
