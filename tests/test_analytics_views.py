"""The dashboards as a lead sees them: numbers, filters, CSV exports, and who may see them."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from analytics.dashboards import DASHBOARDS
from feedback import support, surveys
from kudos.extensions import db
from kudos.models import User

WEEK1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
WEEK2 = WEEK1 + timedelta(days=7)
RANGE = "start=2026-03-01&end=2026-03-31"
ROUTES = [f"/analytics/{name}" for name in DASHBOARDS] + [
    f"/analytics/{board.slug}/{panel.slug}.csv"
    for board in DASHBOARDS.values()
    for panel in board.panels
]


@pytest.fixture
def ratings(app, make_user):
    """Week 1: five ratings 5, 5, 4, 3, 1 (CSAT 60%); week 2: four ratings (hidden)."""
    lead_id = make_user(email="lead@example.com", role="lead")
    with app.app_context():
        lead = db.session.get(User, lead_id)
        for week, scores in ((WEEK1, [5, 5, 4, 3, 1]), (WEEK2, [5, 5, 5, 5])):
            for number, score in enumerate(scores):
                member = db.session.get(User, make_user())
                at = week + timedelta(hours=number)
                filed = support.file_request(
                    member, "Access denied on the deploy role", "The role says AccessDenied.",
                    "iam" if number else "billing", "normal", at=at,
                )  # fmt: skip
                support.reply(filed.id, lead, "Fixed it.", at=at + timedelta(hours=1))
                support.change_status(filed.id, lead, "solved", at=at + timedelta(hours=2))
                support.rate(filed.id, member, score, reason="slow" if score <= 3 else None,
                             at=at + timedelta(hours=3))  # fmt: skip
        survey = surveys.create(lead, "nps", "Would you recommend the platform?",
                                date(2026, 3, 1), date(2026, 3, 31), at=WEEK1)  # fmt: skip
        for score in (10, 9, 9, 8, 7, 6, 0, 10):
            surveys.answer(db.session.get(User, make_user()), survey.id, score, at=WEEK1)
    return lead_id


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("path", ["/analytics", *ROUTES])
def test_members_get_403_on_every_dashboard_and_export(client, auth, path):
    auth.login_as("member")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/analytics", ROUTES[0], ROUTES[-1]])
def test_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_leads_and_admins_open_every_dashboard(client, auth, role, ratings):
    auth.login_as(role)
    assert "Satisfaction" in client.get("/analytics").get_data(as_text=True)
    for name, board in DASHBOARDS.items():
        response = client.get(f"/analytics/{name}?{RANGE}")
        assert response.status_code == 200, name
        page = response.get_data(as_text=True)
        for panel in board.panels:
            assert f'id="panel-{panel.slug}"' in page


def test_csat_by_week_with_n_suppression_and_its_csv(client, auth, ratings):
    auth.login_as("lead")
    page = client.get(f"/analytics/satisfaction?{RANGE}").get_data(as_text=True)
    # 9 ratings: 7 of them 4 or 5 -> 77.8%; every solved request was rated.
    assert "77.8% (n=9)" in page
    assert "100.0% (n=9)" in page  # the response rate
    rows = _csv(client.get(f"/analytics/satisfaction/csat.csv?{RANGE}"))
    by_week = {row["period"]: row for row in rows}
    assert by_week["2026-03-02"]["n"] == "5" and float(by_week["2026-03-02"]["csat"]) == 60.0
    assert by_week["2026-03-09"]["n"] == "4" and by_week["2026-03-09"]["csat"] == ""
    assert by_week["2026-03-09"]["suppressed"] == "True"
    assert by_week["2026-03-09"]["satisfied"] == ""  # nor can the rate be worked back out
    assert float(by_week["2026-03-02"]["satisfied"]) == 3
    figure = json.loads(re.search(
        r'<script type="application/json" id="figure-csat">(.*?)</script>', page, re.S
    ).group(1))  # fmt: skip
    assert [trace["name"] for trace in figure["data"]] == ["CSAT %", "4-week rolling mean"]
    assert figure["data"][0]["text"] == ["n=5", "n<5"]


def test_nps_counts_passives_in_the_denominator(client, auth, ratings):
    auth.login_as("lead")
    rows = _csv(client.get(f"/analytics/satisfaction/nps.csv?{RANGE}"))
    # 8 answers: 4 promoters, 2 passives, 2 detractors -> 50% - 25% = 25.
    assert len(rows) == 1 and rows[0]["n"] == "8"
    assert float(rows[0]["nps"]) == pytest.approx(25.0)


def test_the_category_filter_narrows_support_ratings(client, auth, ratings):
    auth.login_as("lead")
    rows = _csv(client.get(f"/analytics/satisfaction/csat.csv?{RANGE}&category=billing"))
    assert [(row["period"], row["n"]) for row in rows] == [("2026-03-02", "1"), ("2026-03-09", "1")]
    assert all(row["csat"] == "" for row in rows)  # one rating a week: hidden
    volume = _csv(client.get(f"/analytics/support/volume.csv?{RANGE}&category=billing"))
    assert {row["category"] for row in volume} == {"billing"}


def test_support_speed_percentiles_and_sla(client, auth, ratings):
    auth.login_as("lead")
    rows = _csv(client.get(f"/analytics/support/first-response.csv?{RANGE}"))
    assert [(row["priority"], row["n"]) for row in rows] == [("normal", "9")]
    assert float(rows[0]["p50"]) == pytest.approx(1.0) and float(rows[0]["p90"]) == 1.0
    sla = _csv(client.get(f"/analytics/support/sla.csv?{RANGE}"))
    assert float(sla[0]["first_response_pct"]) == 100.0  # 1 h against the 8 h target


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-03-31&end=2026-03-01", "The range ends (2026-03-01) before it starts"),
        ("start=last+tuesday", "is not a date like 2026-03-31"),
        ("category=weather", "There is no support category “weather”"),
    ],
)
def test_bad_filters_say_why(client, auth, query, message):
    auth.login_as("lead")
    response = client.get(f"/analytics/satisfaction?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    export = client.get(f"/analytics/satisfaction/csat.csv?{query}")
    assert export.status_code == 400 and message in export.get_data(as_text=True)


def test_unknown_dashboards_and_charts_are_404(client, auth):
    auth.login_as("lead")
    assert "no dashboard “weather”" in client.get("/analytics/weather").get_data(as_text=True)
    response = client.get("/analytics/support/weather.csv")
    assert response.status_code == 404 and "no chart “weather”" in response.get_data(as_text=True)


def test_plotly_is_served_by_the_app_and_scripts_stay_self_only(client, auth):
    # The response streams the file: close it, or the open file outlives the test.
    with client.get("/static/vendor/plotly.min.js") as response:
        assert response.status_code == 200 and response.mimetype == "text/javascript"
        assert b"plotly.js v" in response.get_data()[:200]
    auth.login_as("lead")
    policy = client.get("/analytics/support").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "unsafe-inline" not in client.get("/analytics").headers["Content-Security-Policy"]


def test_every_dashboard_and_export_works_on_an_empty_database(client, auth, make_user):
    auth.login_as("lead")
    for path in ROUTES:
        response = client.get(path)
        assert response.status_code == 200, path
    assert "No data in this range." in client.get("/analytics/support").get_data(as_text=True)


def test_a_request_nobody_answered_yet_does_not_break_the_speed_charts(app, client, auth,
                                                                       make_user):  # fmt: skip
    with app.app_context():
        member = db.session.get(User, make_user())
        support.file_request(member, "Budget alert fires too early", "At 50% not 80%.",
                             "billing", "low")  # fmt: skip
    auth.login_as("lead")
    for panel in ("first-response", "resolution", "sla", "backlog"):
        response = client.get(f"/analytics/support/{panel}.csv")
        assert response.status_code == 200, panel
    assert _csv(client.get("/analytics/support/backlog.csv"))[-1]["backlog"] == "1"
