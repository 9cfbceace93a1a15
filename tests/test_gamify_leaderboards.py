"""Leaderboards: periods, all time, ties, who is on which board, tags, ranks, hall of fame."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from gamify import engine
from gamify.leaderboards import board, hall_of_fame, rank_of
from gamify.models import Question, Tag
from kudos import services
from kudos.extensions import db
from kudos.models import User, utcnow

TODAY = date(2026, 12, 10)  # a Thursday: this week began on Monday 7 December
NOON = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def member(make_user):
    """Create a member who cannot log in (no password hashing: fast) and return the id."""
    return lambda name=None, role="member": make_user(name=name, role=role, password=None)


def award(user_id, key, at=NOON, action="answer_upvoted", **kwargs):
    event = engine.record(action, user_id, key=key, source_type="test", at=at, **kwargs)
    db.session.commit()
    return event


def award_points(user_id, points, at=NOON, prefix=None):
    """Give exactly `points` uncapped points (accepted answers of 15, then a remainder)."""
    prefix = prefix or f"u{user_id}:{at.isoformat()}"
    number = 0
    while points > 0:
        amount = min(points, 15)
        award(user_id, f"{prefix}:{number}", at=at, action="answer_accepted", points=amount)
        points -= amount
        number += 1


def ids(rows):
    return [row.user_id for row in rows]


def question(author_id, title, *tag_names):
    tags = []
    for name in tag_names:
        tag = db.session.scalar(db.select(Tag).where(Tag.name == name)) or Tag(name=name)
        tags.append(tag)
    post = Question(author_id=author_id, title=title, body="Body.", tags=tags)
    db.session.add(post)
    db.session.commit()
    return post.id


@pytest.fixture
def boundaries(ctx, member):
    """One member per boundary, each with a single 10-point award at the edge of a period."""
    at = {
        "week": datetime(2026, 12, 7, 0, 0, tzinfo=UTC),  # first second of this week
        "month": datetime(2026, 12, 6, 23, 59, 59, tzinfo=UTC),  # last week, this month
        "quarter": datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),  # last month, this quarter
        "year": datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC),  # last quarter, this year
        "all": datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),  # last year
    }
    users = {}
    for name, moment in at.items():
        users[name] = member(name=f"Edge {name}")
        award(users[name], f"edge:{name}", at=moment)
    return users


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("week", ["week"]),
        ("month", ["week", "month"]),
        ("quarter", ["week", "month", "quarter"]),
        ("year", ["week", "month", "quarter", "year"]),
        ("all", ["week", "month", "quarter", "year", "all"]),
    ],
)
def test_each_period_holds_exactly_its_own_days(boundaries, period, expected):
    rows = board(period, today=TODAY)
    assert sorted(ids(rows)) == sorted(boundaries[name] for name in expected)


def test_the_next_period_starts_empty(boundaries):
    assert board("week", today=date(2026, 12, 14)) == []
    assert ids(board("month", today=date(2027, 1, 1))) == []
    assert ids(board("year", today=date(2026, 12, 31))) != []


def test_period_boards_show_period_points_and_all_time_shows_the_total(ctx, member):
    old_hand, newcomer = member(name="Old Hand"), member(name="Newcomer")
    award_points(old_hand, 100, at=NOON - timedelta(days=60))
    award_points(old_hand, 5)
    award_points(newcomer, 20)
    week = board("week", today=TODAY)
    assert [(row.rank, row.display_name, row.points) for row in week] == [
        (1, "Newcomer", 20),
        (2, "Old Hand", 5),
    ]
    everyone = board("all", today=TODAY)
    assert [(row.rank, row.display_name, row.points) for row in everyone] == [
        (1, "Old Hand", 106),
        (2, "Newcomer", 21),
    ]


def test_ties_go_to_whoever_reached_the_score_first(ctx, member):
    early, late, steady = member(name="Early"), member(name="Late"), member(name="Steady")
    award_points(late, 20, at=NOON + timedelta(hours=2))
    award_points(early, 20, at=NOON)
    # Steady had 10 first, but reached 20 only after the others.
    award_points(steady, 10, at=NOON - timedelta(hours=5))
    award_points(steady, 10, at=NOON + timedelta(hours=3))
    for period in ("week", "all"):
        assert ids(board(period, today=TODAY)) == [early, late, steady], period


def test_a_tie_at_the_same_moment_goes_to_the_older_account(ctx, member):
    first, second = member(), member()
    award_points(second, 10)
    award_points(first, 10)
    assert ids(board("month", today=TODAY)) == [first, second]


def test_limit_cuts_the_board(ctx, member):
    users = [member() for _ in range(5)]
    for points, user in enumerate(users, start=1):
        award_points(user, points)
    assert ids(board("week", today=TODAY, limit=3)) == users[::-1][:3]


def test_members_board_excludes_staff_and_the_suspended(ctx, member):
    regular, lead, admin, suspended = (
        member(name="Regular"),
        member(name="Lead", role="lead"),
        member(name="Admin", role="admin"),
        member(name="Suspended"),
    )
    award_points(regular, 10)
    award_points(lead, 30)
    award_points(admin, 20)
    award_points(suspended, 50)
    services.suspend(db.session.get(User, admin), db.session.get(User, suspended))
    for period in ("week", "all"):
        assert ids(board(period, today=TODAY)) == [regular]
        assert ids(board(period, staff=True, today=TODAY)) == [lead, admin]


def test_users_without_points_in_the_period_are_absent(ctx, member):
    nothing, undone, negative, capped = member(), member(), member(), member()
    award(undone, "vote")
    engine.reverse("vote", reason="vote withdrawn", at=NOON)
    award_points(negative, 10, at=NOON - timedelta(days=10))
    award(negative, "down", action="answer_downvoted")
    for number in range(20):
        award(capped, f"cap:{number}", at=NOON - timedelta(days=1))
    award(capped, "over the cap", at=NOON - timedelta(days=1, seconds=-1))
    db.session.commit()
    week = board("week", today=TODAY)
    assert ids(week) == [capped]
    assert week[0].points == 200
    # All time: a total of 1 was not earned; the downvoted member still has 10 - 2 + 1.
    assert ids(board("all", today=TODAY)) == [capped, negative]
    assert nothing not in ids(board("all", today=TODAY))


@pytest.fixture
def tagged(ctx, member):
    """Two questions, in aws and in kubernetes, and points earned on them."""
    asker = member(name="Asker")
    aws = question(asker, "Rotate IAM keys", "aws", "iam")
    k8s = question(asker, "Pod stuck pending", "kubernetes")
    users = {name: member(name=name) for name in ("Ana", "Ben", "Cy")}
    users["lead"] = member(name="Lead", role="lead")
    award(users["Ana"], "a1", question_id=aws, at=NOON - timedelta(hours=3))
    award(users["Ana"], "a2", question_id=aws, at=NOON - timedelta(hours=2))
    award(users["Ana"], "a3", question_id=k8s, at=NOON - timedelta(hours=1))
    award(users["Ben"], "b1", question_id=k8s, at=NOON - timedelta(hours=4))
    award(users["Ben"], "b2", question_id=aws, at=NOON - timedelta(days=30))  # last month
    award(users["Cy"], "c1", question_id=aws, at=NOON)
    engine.reverse("c1", reason="vote withdrawn", at=NOON + timedelta(minutes=1))
    award(users["Cy"], "c2", question_id=None, at=NOON)  # points outside any tag
    award(users["lead"], "l1", question_id=aws, at=NOON)
    db.session.commit()
    return users


def test_tag_boards_count_points_earned_on_that_tag_in_the_period(tagged):
    ana, ben = tagged["Ana"], tagged["Ben"]
    assert [(row.user_id, row.points) for row in board("week", tag="aws", today=TODAY)] == [
        (ana, 20)
    ]
    assert [(row.user_id, row.points) for row in board("all", tag="aws", today=TODAY)] == [
        (ana, 20),
        (ben, 10),
    ]
    assert [(row.user_id, row.points) for row in board("week", tag="iam", today=TODAY)] == [
        (ana, 20)
    ]
    assert ids(board("week", tag="aws", staff=True, today=TODAY)) == [tagged["lead"]]
    assert board("week", tag="nosuchtag", today=TODAY) == []


def test_tag_board_ties_go_to_whoever_reached_first(tagged):
    # Both have 10 in kubernetes this week; Ben's came three hours before Ana's.
    assert ids(board("week", tag="kubernetes", today=TODAY)) == [tagged["Ben"], tagged["Ana"]]


def test_rank_of_gives_the_rank_and_the_neighbours(ctx, member):
    users = [member(name=f"P{points}") for points in range(70, 0, -10)]
    for user, points in zip(users, range(70, 0, -10), strict=True):
        award_points(user, points)
    standing = rank_of(users[3], "week", today=TODAY)
    assert (standing.rank, standing.points, standing.display_name) == (4, 40, "P40")
    assert [(row.rank, row.user_id) for row in standing.above] == [(2, users[1]), (3, users[2])]
    assert [(row.rank, row.user_id) for row in standing.below] == [(5, users[4]), (6, users[5])]
    assert [row.rank for row in standing.rows] == [2, 3, 4, 5, 6]

    top = rank_of(users[0], "week", today=TODAY)
    assert (top.rank, top.above, [row.user_id for row in top.below]) == (1, (), users[1:3])
    last = rank_of(users[-1], "week", today=TODAY, around=1)
    assert (last.rank, [row.user_id for row in last.above], last.below) == (7, [users[-2]], ())


def test_rank_of_agrees_with_the_board_under_ties(ctx, member):
    users = [member() for _ in range(6)]
    for number, user in enumerate(users):
        award_points(user, 10 * (number % 3 + 1), at=NOON + timedelta(minutes=number % 2))
    for period in ("week", "all"):
        for row in board(period, today=TODAY):
            assert rank_of(row.user_id, period, today=TODAY).rank == row.rank


def test_rank_and_neighbours_skip_staff_and_suspended_people_ahead_and_tied(ctx, member):
    admin = db.session.get(User, member(role="admin"))
    people = [member(role="lead" if number % 4 == 1 else "member") for number in range(12)]
    for number, user in enumerate(people):
        # Three scores, two moments: ties on points and on the moment they were reached.
        award_points(user, 10 * (number % 3 + 1), at=NOON + timedelta(minutes=number % 2))
    for user in people[2::5]:
        services.suspend(admin, db.session.get(User, user))
    for period in ("week", "month", "all"):
        for staff in (False, True):
            rows = board(period, staff=staff, today=TODAY)
            assert rows, (period, staff)
            for row in rows:
                standing = rank_of(row.user_id, period, staff=staff, today=TODAY)
                assert standing.rank == row.rank, (period, staff, row)
                nearby = rows[max(0, row.rank - 3) : row.rank + 2]
                assert [(r.rank, r.user_id) for r in standing.rows] == [
                    (r.rank, r.user_id) for r in nearby
                ], (period, staff, row)


def test_rank_of_is_none_off_the_board(ctx, member, tagged):
    idle = member()
    assert rank_of(idle, "week", today=TODAY) is None
    assert rank_of(tagged["lead"], "week", today=TODAY) is None
    assert rank_of(tagged["lead"], "week", staff=True, today=TODAY).rank == 1
    assert rank_of(tagged["Ana"], "week", staff=True, today=TODAY) is None
    assert rank_of(tagged["Ben"], "week", tag="aws", today=TODAY) is None
    ben = rank_of(tagged["Ben"], "all", tag="aws", today=TODAY)
    assert (ben.rank, ben.points, [row.user_id for row in ben.above]) == (2, 10, [tagged["Ana"]])


def test_hall_of_fame_keeps_the_top_ten_of_past_periods(ctx, member):
    users = [member(name=f"Fame {number}") for number in range(11)]
    last_week = NOON - timedelta(days=7)
    for number, user in enumerate(users):
        award_points(user, 100 - number, at=last_week)
    lead = member(role="lead")
    award_points(lead, 500, at=last_week)
    award_points(users[10], 500)  # this week's points are not history yet
    award_points(users[10], 3, at=NOON - timedelta(days=21))
    fame = hall_of_fame("week", count=3, today=TODAY)
    assert [(start, label) for start, label, _ in fame] == [
        (date(2026, 11, 30), "Week of 30 Nov 2026"),
        (date(2026, 11, 23), "Week of 23 Nov 2026"),
        (date(2026, 11, 16), "Week of 16 Nov 2026"),
    ]
    top = fame[0][2]
    assert [(row.rank, row.user_id, row.points) for row in top] == [
        (number + 1, users[number], 100 - number) for number in range(10)
    ]
    assert fame[1][2] == []
    assert [row.user_id for row in fame[2][2]] == [users[10]]


def test_hall_of_fame_of_months_quarters_and_years(ctx, member):
    user = member()
    award_points(user, 7, at=datetime(2026, 11, 15, tzinfo=UTC))
    award_points(user, 9, at=datetime(2025, 6, 1, tzinfo=UTC))
    assert [
        (label, [row.points for row in top])
        for _, label, top in hall_of_fame("month", count=1, today=TODAY)
    ] == [("November 2026", [7])]
    assert [label for _, label, _ in hall_of_fame("quarter", count=2, today=TODAY)] == [
        "Q3 2026",
        "Q2 2026",
    ]
    assert [
        (label, [row.points for row in top])
        for _, label, top in hall_of_fame("year", count=1, today=TODAY)
    ] == [("2025", [9])]


# The page


def text_of(response) -> str:
    """Return the page's visible text, tags removed and whitespace collapsed."""
    text = " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())
    return re.sub(r" ([.,)])", r"\1", text)


def test_the_page_renders_for_visitors(client, app, member):
    with app.app_context():
        alice, lead = member(name="Alice Example"), member(name="Lead Example", role="lead")
        award_points(alice, 25, at=utcnow())
        award_points(lead, 40, at=utcnow())
        award_points(alice, 12, at=utcnow() - timedelta(days=7))
    response = client.get("/leaderboards")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = text_of(response)
    assert "Members · This week" in text
    assert "1 Alice Example 25" in text
    assert f'href="/users/{alice}"' in page
    assert "Lead Example" not in text
    assert "Log in to see where you stand" in text
    assert "Hall of fame" in text
    assert "Alice Example 12" in text
    assert 'aria-current="page">This week</a>' in page
    assert ' style="' not in page
    assert not INLINE_SCRIPT.search(page)


def test_the_all_time_page_has_no_hall_of_fame(client, app, member):
    with app.app_context():
        award_points(member(name="Alice Example"), 5)
    text = text_of(client.get("/leaderboards?period=all"))
    assert "1 Alice Example 6" in text
    assert "Hall of fame" not in text


def test_an_empty_board_says_so(client):
    text = text_of(client.get("/leaderboards?period=month"))
    assert "No member has earned points in this period yet." in text
    assert "Hall of fame" not in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=decade", "There is no such leaderboard period"),
        ("period=", "There is no such leaderboard period"),
        ("board=everyone", "There is no such leaderboard"),
    ],
)
def test_a_bad_period_or_board_is_a_400_page(client, query, message):
    response = client.get(f"/leaderboards?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_an_unknown_tag_is_a_404(client, app, member):
    with app.app_context():
        question(member(), "Known", "aws")
    assert client.get("/leaderboards?tag=aws").status_code == 200
    response = client.get("/leaderboards?tag=nosuchtag")
    assert response.status_code == 404
    assert "There is no tag named “nosuchtag”." in response.get_data(as_text=True)


def test_the_tag_board_page(client, app, member):
    with app.app_context():
        ana = member(name="Ana")
        aws = question(member(), "Rotate keys", "aws")
        award(ana, "a1", at=utcnow(), question_id=aws)
        award(member(name="Elsewhere"), "e1", at=utcnow())
    text = text_of(client.get("/leaderboards?period=all&tag=aws"))
    assert "Members · All time · aws" in text
    assert "1 Ana 10" in text
    assert "Elsewhere" not in text


def test_the_staff_board_is_for_signed_in_users(client, app, auth, member):
    with app.app_context():
        award_points(member(name="Lead Example", role="lead"), 40)
    response = client.get("/leaderboards?period=all&board=staff")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    auth.login_as("member")
    text = text_of(client.get("/leaderboards?period=all&board=staff"))
    assert "Staff · All time" in text
    assert "1 Lead Example 41" in text
    assert "Only leads and admins are ranked here." in text


def test_your_rank_box_shows_the_neighbours(client, app, auth, member):
    me = auth.login_as("member")
    with app.app_context():
        others = [member(name=f"Rival {points}") for points in (50, 40, 20, 10)]
        for user, points in zip(others, (50, 40, 20, 10), strict=True):
            award_points(user, points, at=utcnow())
        award_points(me, 30, at=utcnow())
    response = client.get("/leaderboards")
    text = text_of(response)
    box = text[text.index("Your rank") :]
    assert "You are #3 with 30 points." in box
    assert "2 Rival 40 40" in box
    assert "4 Rival 20 20" in box
    assert 'class="lb-me" aria-current="true"' in response.get_data(as_text=True)


def test_your_rank_box_appears_when_you_are_not_in_the_top_list(client, app, auth, member):
    me = auth.login_as("member")
    with app.app_context():
        for _ in range(51):
            award_points(member(), 20, at=utcnow())
        award_points(me, 5, at=utcnow())
    text = text_of(client.get("/leaderboards"))
    assert "You are #52 with 5 points." in text


def test_your_rank_box_without_points_and_for_staff(client, auth):
    auth.login_as("member")
    assert "You have no points in this period yet." in text_of(client.get("/leaderboards"))
    auth.logout()
    auth.login_as("lead")
    text = text_of(client.get("/leaderboards"))
    assert "Leads and admins are ranked on the staff board." in text
    text = text_of(client.get("/leaderboards?board=staff"))
    assert "You have no points in this period yet." in text
