"""The suggestions and engagement panels on the rows the services write: the status funnel and
active contributors, against numbers worked out by hand and, for the funnel, against the
pandas metric that the SQL replaced for speed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from analytics import metrics, queries
from analytics.dashboards import SUGGESTION_STATUSES
from analytics.queries import Filters
from feedback import suggestions as suggestion_services
from gamify import services as qa
from gamify.models import Tag
from kudos.extensions import db
from kudos.models import User

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
RANGE = "start=2026-03-01&end=2026-03-31"
MARCH = Filters(date(2026, 3, 1), date(2026, 3, 31))
DESCRIPTION = "Teams wait a week for this today; a self-service form would fix it."


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _days(n: float) -> datetime:
    return MONDAY + timedelta(days=n)


@pytest.fixture
def histories(app, make_user):
    """Four March suggestions with hand-timed status histories, and one from February.

    open stays: a 2 d, b 4 d, c still open, d 1 d then (reopened) 4 d -> median 3.0 of 4;
    under review: a 3 d, b 1 d, d 1 d, d again (still) -> median 1.0 of 3 ended stays;
    planned: a 4 d; completed: a (still); declined: b (still); in progress: nobody.
    """
    with app.app_context():
        db.session.add(Tag(name="aws"))
        db.session.commit()
        author = db.session.get(User, make_user(password=None))
        lead = db.session.get(User, make_user(role="lead", password=None))

        def suggestion(title, tags, steps, created=MONDAY):
            row = suggestion_services.submit(author, title, DESCRIPTION, tags, at=created)
            for at, status in steps:
                suggestion_services.change_status(row.id, lead, status, at=at)
            return row.id

        suggestion(
            "Sandbox accounts for every team",
            "aws",
            [(_days(2), "under_review"), (_days(5), "planned"), (_days(9), "completed")],
        )
        suggestion(
            "Cost alerts per account", "aws", [(_days(4), "under_review"), (_days(5), "declined")]
        )
        suggestion("Private DNS between accounts", None, [])
        suggestion(
            "Self-service IAM roles",
            None,
            [(_days(1), "under_review"), (_days(2), "open"), (_days(6), "under_review")],
        )
        suggestion("An idea from before the range", None, [(_days(-20), "under_review")],
                   created=_days(-25))  # fmt: skip


def test_the_status_funnel_counts_who_reached_each_status_and_median_days(client, auth, histories):
    auth.login_as("lead")
    rows = _csv(client.get(f"/analytics/suggestions/funnel.csv?{RANGE}"))
    assert [row["status"] for row in rows] == list(SUGGESTION_STATUSES)
    by_status = {row["status"]: (row["reached"], row["median_days"]) for row in rows}
    assert by_status == {
        "open": ("4", "3.0"),
        "under_review": ("3", "1.0"),
        "planned": ("1", "4.0"),
        "in_progress": ("0", ""),
        "completed": ("1", ""),
        "declined": ("1", ""),
    }
    tagged = _csv(client.get(f"/analytics/suggestions/funnel.csv?{RANGE}&category=aws"))
    by_status = {row["status"]: (row["reached"], row["median_days"]) for row in tagged}
    assert by_status["open"] == ("2", "3.0") and by_status["under_review"] == ("2", "2.0")


def test_the_sql_funnel_matches_the_pandas_metric_on_the_stays(app, histories):
    with app.test_request_context("/"):
        for filters in (MARCH, Filters(date(2026, 2, 1), date(2026, 3, 31), "aws")):
            expected = metrics.status_funnel(queries.status_stays(filters), SUGGESTION_STATUSES)
            got = queries.status_funnel(filters, SUGGESTION_STATUSES)
            assert got["reached"].tolist() == expected["reached"].tolist()
            assert got["median_days"].tolist() == pytest.approx(
                expected["median_days"].tolist(), nan_ok=True
            )


# Active contributors --------------------------------------------------------------------------


@pytest.fixture
def community(app, make_user):
    """This week: an aws question with an answer, a comment and votes; an iam question."""
    with app.app_context():
        db.session.add_all([Tag(name="aws"), Tag(name="iam")])
        db.session.commit()
        users = [db.session.get(User, make_user(role="lead", password=None)) for _ in range(6)]
        asker, answerer, commenter, voter, other_asker = users[:5]  # the sixth takes no part
        question = qa.ask(asker, "How do I rotate IAM access keys?", "I need to rotate keys "
                          "without downtime for our deploy user.", "aws")  # fmt: skip
        answer = qa.answer(answerer, question.id, "Create a second key, switch, then delete.")
        qa.add_comment(commenter, answer.id, "Works, and mind the caches of old keys.")
        qa.vote(voter, question.id, 1)
        qa.vote(asker, answer.id, 1)  # the asker again: counted once
        qa.ask(other_asker, "Which IAM role for the pipeline?", "Our pipeline needs to "
               "assume a role in another account.", "iam")  # fmt: skip
    return users


def test_active_contributors_count_each_member_once_a_week(client, auth, community):
    auth.login_as("lead")
    rows = _csv(client.get("/analytics/engagement/active.csv"))
    assert [int(row["active"]) for row in rows] == [5]  # all but the idle one
    tagged = _csv(client.get("/analytics/engagement/active.csv?category=aws"))
    assert [int(row["active"]) for row in tagged] == [4]  # the iam asker is not counted
