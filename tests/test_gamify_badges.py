"""Badges: criteria at their boundaries, definitions, awards, events, backfill, progress, pages."""

from __future__ import annotations

import inspect
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

from conftest import TEST_DATABASE_URL
from gamify import badge_views, badges, services, tag_scores
from gamify.models import Badge, BadgeAward, Post, Question, Tag, Vote
from kudos.extensions import db
from kudos.models import Notification, User, UserVisit

TAGS = "aws iam networking kubernetes"
TIMES = "\u00d7"  # the multiplication sign before a count


@pytest.fixture(autouse=True)
def community_tags(app):
    """Create the tags the factories use, as a running community has them."""
    with app.app_context():
        db.session.add_all([Tag(name=name) for name in TAGS.split()])
        db.session.commit()


def award_rows(app, slug=None, user_id=None):
    with app.app_context():
        statement = select(BadgeAward.user_id, Badge.slug, BadgeAward.source_key).join(Badge)
        if slug is not None:
            statement = statement.where(Badge.slug == slug)
        if user_id is not None:
            statement = statement.where(BadgeAward.user_id == user_id)
        return sorted(db.session.execute(statement).all())


def slugs_of(app, user_id):
    return sorted({slug for _, slug, _ in award_rows(app, user_id=user_id)})


def set_score(app, post_id, score):
    """Give a post a score as if votes had made it (the tag score rollup follows it)."""
    with app.app_context():
        db.session.execute(update(Post).where(Post.id == post_id).values(score=score))
        tag_scores.rebuild()
        db.session.commit()


def event(app, kind, **ids):
    """Run a badge event the way a service does: inside its transaction, then commit."""
    with app.app_context():
        awarded = badges.on_event(kind, **ids)
        db.session.commit()
        return sorted((award.badge.slug, award.source_key) for award in awarded)


def bulk_questions(app, author_id, count):
    """Insert questions directly (fast), for tests that need many posts to vote on."""
    now = datetime.now(UTC)
    rows = [
        {
            "kind": "question",
            "author_id": author_id,
            "title": f"Question number {n}",
            "body": "Body of the question.",
            "score": 0,
            "created_at": now,
            "last_activity_at": now,
            "answer_count": 0,
            "view_count": 0,
        }
        for n in range(count)
    ]
    with app.app_context():
        db.session.execute(insert(Post.__table__), rows)
        db.session.commit()
        return list(
            db.session.scalars(
                select(Post.id).where(Post.author_id == author_id).order_by(Post.id.desc())
            )
        )[:count]


def cast_votes(app, voter_id, post_ids, value=1):
    with app.app_context():
        db.session.execute(
            insert(Vote.__table__),
            [
                {
                    "post_id": post_id,
                    "voter_id": voter_id,
                    "value": value,
                    "created_at": datetime.now(UTC),
                }
                for post_id in post_ids
            ],
        )
        db.session.execute(
            update(Post).where(Post.id.in_(post_ids)).values(score=Post.score + value)
        )
        db.session.commit()


# ---------------------------------------------------------------------------------------------
# Criteria at their boundaries


def test_answer_and_question_score_thresholds():
    assert not badges.answer_score_at_least(9, 10)
    assert badges.answer_score_at_least(10, 10)
    assert not badges.post_score(0, min_score=1)
    assert badges.post_score(1, min_score=1)
    assert not badges.post_score(99, min_score=100)
    assert badges.post_score(100, min_score=100)


def test_scholar_needs_one_accepted_answer_on_an_own_question():
    assert not badges.asked_and_accepted(0)
    assert badges.asked_and_accepted(1)


def test_necromancer_needs_sixty_days_and_a_score_of_five():
    assert not badges.necromancer(5, 59)
    assert badges.necromancer(5, 60)
    assert not badges.necromancer(4, 60)
    assert badges.necromancer(7, 200, min_score=7, min_days=200)


def test_days_between_counts_whole_days():
    asked = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert badges.days_between(asked, asked + timedelta(days=60) - timedelta(seconds=1)) == 59
    assert badges.days_between(asked, asked + timedelta(days=60)) == 60


def test_consecutive_days_and_the_enthusiast_boundary():
    start = date(2026, 3, 1)
    twenty_nine = [start + timedelta(days=n) for n in range(29)]
    thirty = [*twenty_nine, start + timedelta(days=29)]
    assert badges.consecutive_days(twenty_nine) == 29
    assert badges.consecutive_days(reversed(thirty)) == 30
    assert not badges.visit_streak(badges.consecutive_days(twenty_nine), min_days=30)
    assert badges.visit_streak(badges.consecutive_days(thirty), min_days=30)
    # A gap splits the run; repeats count once.
    gapped = [*twenty_nine, start + timedelta(days=30), start + timedelta(days=30)]
    assert badges.consecutive_days(gapped) == 29
    assert badges.consecutive_days([]) == 0


def test_current_streak_ends_today_or_yesterday():
    today = date(2026, 5, 10)
    days = [today - timedelta(days=n) for n in range(1, 13)]
    assert badges.current_streak(days, today) == 12
    assert badges.current_streak([*days, today], today) == 13
    assert badges.current_streak([today - timedelta(days=2)], today) == 0


def test_votes_cast_counts_the_direction_of_the_badge():
    assert not badges.votes_cast(150, 149, min_votes=300, direction="any")
    assert badges.votes_cast(150, 150, min_votes=300, direction="any")
    assert not badges.votes_cast(0, 3, min_votes=1, direction="up")
    assert badges.votes_cast(0, 1, min_votes=1, direction="down")


def test_enlightened_needs_first_accepted_and_ten():
    assert not badges.enlightened(True, True, 9)
    assert badges.enlightened(True, True, 10)
    assert not badges.enlightened(False, True, 50)
    assert not badges.enlightened(True, False, 50)


def test_tag_answer_score_boundaries():
    assert not badges.tag_answer_score(99, min_total=100)
    assert badges.tag_answer_score(100, min_total=100)
    assert badges.tag_answer_score(1000, min_total=1000)


# ---------------------------------------------------------------------------------------------
# Definitions


def test_every_catalog_badge_fits_its_criterion():
    names = {spec.name for spec in badges.CATALOG}
    assert {
        "Student",
        "Teacher",
        "Scholar",
        "Supporter",
        "Critic",
        "Nice Answer",
        "Good Answer",
        "Great Answer",
        "Nice Question",
        "Good Question",
        "Great Question",
        "Enlightened",
        "Necromancer",
        "Civic Duty",
        "Enthusiast",
        "Fanatic",
    } <= names
    # The feedback badges (Idea Starter, Visionary, Trendsetter, Voice of the Customer) join
    # from feedback/badges.py.
    tiers = {
        spec.slug: spec.tier for spec in badges.CATALOG if spec.criterion == "tag_answer_score"
    }
    assert tiers == {"tag-bronze": "bronze", "tag-silver": "silver", "tag-gold": "gold"}
    for spec in badges.CATALOG:
        badges.validate(spec.criterion, spec.params)


def test_validate_fills_defaults_and_refuses_what_does_not_fit():
    assert badges.validate("late_answer", {}) == {"min_score": 5, "min_days": 60}
    with pytest.raises(badges.BadgeDefinitionError, match="no parameter min_scroe"):
        badges.validate("answer_score", {"min_scroe": 10})
    with pytest.raises(badges.BadgeDefinitionError, match="needs the parameter min_score"):
        badges.validate("answer_score", {})
    with pytest.raises(badges.BadgeDefinitionError, match="no badge criterion “karma”"):
        badges.validate("karma", {})
    with pytest.raises(badges.BadgeDefinitionError, match="whole number"):
        badges.validate("answer_score", {"min_score": "10"})
    with pytest.raises(badges.BadgeDefinitionError, match="one of up, down, any"):
        badges.validate("votes_cast", {"min_votes": 1, "direction": "sideways"})


def test_a_definition_with_unknown_parameters_is_refused_when_saved(app):
    with app.app_context():
        with pytest.raises(badges.BadgeDefinitionError, match="threshold"):
            badges.define_badge(
                "helper",
                "Helper",
                "bronze",
                "Answers",
                "Helps people.",
                "answer_score",
                {"threshold": 3},
            )
        db.session.rollback()
        assert db.session.scalar(select(Badge).where(Badge.slug == "helper")) is None
        # Whoever saves it, even straight through the ORM.
        db.session.add(
            Badge(
                slug="sneaky",
                name="Sneaky",
                tier="bronze",
                group="Answers",
                description="Sneaks in.",
                criterion="answer_score",
                params={"min_score": 1, "colour": "red"},
            )
        )
        with pytest.raises(badges.BadgeDefinitionError, match="colour"):
            db.session.flush()
        db.session.rollback()
        badge = badges.define_badge(
            "helper", "Helper", "bronze", "Answers", "Helps.", "answer_score", {"min_score": 3}
        )
        assert badge.params == {"min_score": 3}


def test_sync_catalog_adds_missing_badges_and_restores_wording_not_parameters(app, runner):
    result = runner.invoke(args=["badges", "sync"])
    assert result.exit_code == 0, result.output
    assert f"{len(badges.CATALOG)} badge(s) added" in result.output
    with app.app_context():
        teacher = db.session.scalar(select(Badge).where(Badge.slug == "teacher"))
        teacher.name = "Tutor"
        teacher.params = {"min_score": 2}
        db.session.commit()
        assert badges.sync_catalog() == 0
        db.session.commit()
        teacher = db.session.scalar(select(Badge).where(Badge.slug == "teacher"))
        assert (teacher.name, teacher.params) == ("Teacher", {"min_score": 2})
        assert db.session.scalar(select(func.count(Badge.id))) == len(badges.CATALOG)


# ---------------------------------------------------------------------------------------------
# Awards


def test_awarding_twice_gives_one_award_and_one_notification(app, make_user):
    user = make_user()
    with app.app_context():
        first = badges.award(user, "teacher", post_id=None)
        assert first is not None and len(first.salt) == 32 and len(first.uuid) == 36
        assert badges.award(user, "teacher") is None
        # A once-badge is held once, whatever the source.
        assert badges.award(user, "teacher", source_key="post:5") is None
        db.session.commit()
        award_uuid = first.uuid
        notes = db.session.execute(
            select(
                Notification.text, Notification.link, Notification.key, Notification.read_at
            ).where(Notification.user_id == user)
        ).all()
    assert award_rows(app) == [(user, "teacher", "")]
    assert notes == [
        ("You earned the Teacher badge.", "/badges/teacher", f"badge:{award_uuid}", None)
    ]


def test_multiple_badges_are_awarded_once_per_source(app, make_user, make_question):
    user = make_user()
    first, second = make_question(author_id=user), make_question(author_id=user)
    with app.app_context():
        assert badges.award(user, "nice-question", f"post:{first}", first) is not None
        assert badges.award(user, "nice-question", f"post:{first}", first) is None
        assert badges.award(user, "nice-question", f"post:{second}", second) is not None
        db.session.commit()
        link = db.session.scalar(
            select(Notification.link).where(Notification.kind == "badge").order_by(Notification.id)
        )
    assert link == f"/questions/{first}"
    assert len(award_rows(app, "nice-question")) == 2


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL for real concurrency")
def test_awarding_from_two_threads_gives_one_award(app, make_user):
    user = make_user()
    with app.app_context():
        badges.sync_catalog()
        db.session.commit()
    results, errors = [], []
    start = threading.Barrier(2)

    def worker():
        try:
            with app.app_context():
                badge = db.session.scalar(select(Badge).where(Badge.slug == "supporter"))
                start.wait()
                results.append(badges.award(user, badge) is not None)
                db.session.commit()
        except Exception as error:  # reported below, so that the test fails with it
            errors.append(repr(error))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False, True]
    assert award_rows(app) == [(user, "supporter", "")]
    with app.app_context():
        assert db.session.scalar(select(func.count(Notification.id))) == 1


# ---------------------------------------------------------------------------------------------
# Events


def test_a_vote_event_awards_the_author_and_the_voter(app, make_user, make_question, make_answer):
    asker, answerer, voter = make_user(), make_user(), make_user()
    question = make_question(author_id=asker)
    answer = make_answer(question, author_id=answerer)
    cast_votes(app, voter, [answer])
    set_score(app, answer, 9)
    assert event(app, "vote", post_id=answer, voter_id=voter) == [
        ("supporter", ""),
        ("teacher", ""),
    ]
    assert slugs_of(app, answerer) == ["teacher"]
    set_score(app, answer, 10)
    assert event(app, "vote", post_id=answer, voter_id=voter) == [("nice-answer", f"post:{answer}")]
    # Nothing new: an event repeated (a retry) awards nothing twice.
    assert event(app, "vote", post_id=answer, voter_id=voter) == []
    with app.app_context():
        note = db.session.scalar(
            select(Notification).where(
                Notification.user_id == answerer, Notification.text.contains("Nice Answer")
            )
        )
    assert note.link == f"/questions/{question}#post-{answer}"
    assert note.read_at is None


def test_student_critic_and_deleted_posts(app, make_user, make_question):
    asker, voter = make_user(), make_user()
    question = make_question(author_id=asker)
    cast_votes(app, voter, [question], value=-1)
    assert event(app, "vote", post_id=question, voter_id=voter) == [("critic", "")]
    set_score(app, question, 1)
    with app.app_context():
        db.session.execute(
            update(Post).where(Post.id == question).values(deleted_at=datetime.now(UTC))
        )
        db.session.commit()
    assert event(app, "vote", post_id=question, voter_id=voter) == []
    with app.app_context():
        db.session.execute(update(Post).where(Post.id == question).values(deleted_at=None))
        db.session.commit()
    assert event(app, "question", question_id=question) == [("student", "")]


def test_on_event_runs_inside_the_callers_transaction(app, make_user, make_question):
    asker, voter = make_user(), make_user()
    question = make_question(author_id=asker)
    with app.app_context():
        # The caller's own pending write, then the badge evaluation, twice (as a retry would).
        db.session.execute(update(Post).where(Post.id == question).values(score=1))
        db.session.add(Vote(post_id=question, voter_id=voter, value=1))
        db.session.flush()
        first = badges.on_event("vote", post_id=question, voter_id=voter)
        assert sorted(award.badge.slug for award in first) == ["student", "supporter"]
        assert badges.on_event("vote", post_id=question, voter_id=voter) == []
        db.session.rollback()
    # Rolled back with the caller: no score, no award.
    assert award_rows(app) == []
    with app.app_context():
        assert db.session.get(Post, question).score == 0


def test_a_vote_that_lowers_a_score_or_is_withdrawn_awards_nothing(
    app, make_user, make_question, make_answer
):
    # Score badges only grow with the score and votes_cast with the votes, so such a vote
    # cannot newly meet one; the vote that raises the score again does.
    answer = make_answer(make_question(author_id=make_user()), author_id=make_user())
    voter = make_user()
    set_score(app, answer, 10)  # as if reached without an event (a gap the backfill covers)
    lowered = event(app, "vote", post_id=answer, voter_id=voter, raised=False, cast=False)
    assert lowered == []
    raised = event(app, "vote", post_id=answer, voter_id=voter, raised=True, cast=True)
    assert ("nice-answer", f"post:{answer}") in raised
    assert ("teacher", "") in raised


def test_civic_duty_at_three_hundred_votes(app, make_user):
    author, voter = make_user(), make_user()
    posts = bulk_questions(app, author, 300)
    cast_votes(app, voter, posts[:299])
    assert ("civic-duty", "") not in event(app, "vote", post_id=posts[0], voter_id=voter)
    cast_votes(app, voter, posts[299:])
    assert ("civic-duty", "") in event(app, "vote", post_id=posts[299], voter_id=voter)


def test_accept_awards_scholar_and_enlightened(app, make_user, make_question, make_answer):
    asker, first_answerer, later = make_user(), make_user(), make_user()
    question = make_question(author_id=asker)
    first = make_answer(question, author_id=first_answerer)
    second = make_answer(question, author_id=later)
    set_score(app, first, 10)
    set_score(app, second, 50)
    with app.app_context():
        db.session.execute(
            update(Question).where(Question.id == question).values(accepted_answer_id=second)
        )
        db.session.commit()
    # Accepted, but not the first answer: Scholar for the asker, no Enlightened.
    assert event(app, "accept", answer_id=second) == [("scholar", "")]
    with app.app_context():
        db.session.execute(
            update(Question).where(Question.id == question).values(accepted_answer_id=first)
        )
        db.session.commit()
    assert event(app, "accept", answer_id=first) == [("enlightened", "")]
    assert slugs_of(app, first_answerer) == ["enlightened"]


def test_accepting_your_own_answer_earns_no_scholar(app, make_user, make_question, make_answer):
    asker = make_user()
    question = make_question(author_id=asker)
    own = make_answer(question, author_id=asker)
    with app.app_context():
        db.session.execute(
            update(Question).where(Question.id == question).values(accepted_answer_id=own)
        )
        db.session.commit()
    assert event(app, "accept", answer_id=own) == []


@pytest.mark.parametrize(("days", "earned"), [(59, False), (60, True)])
def test_necromancer_on_a_late_answer(app, make_user, make_question, make_answer, days, earned):
    question = make_question(author_id=make_user())
    answer = make_answer(question, author_id=make_user())
    with app.app_context():
        answered_at = db.session.get(Post, answer).created_at
        db.session.execute(
            update(Post)
            .where(Post.id == question)
            .values(created_at=answered_at - timedelta(days=days))
        )
        db.session.commit()
    set_score(app, answer, 5)
    awarded = event(app, "vote", post_id=answer, voter_id=make_user())
    assert (("necromancer", f"post:{answer}") in awarded) is earned


def test_tag_badges_per_tag_of_the_answered_questions(app, make_user, make_question, make_answer):
    answerer = make_user()
    aws = make_question(author_id=make_user(), tags="aws")
    both = make_question(author_id=make_user(), title="Which IAM role for the pipeline?")
    first = make_answer(aws, author_id=answerer)
    second = make_answer(both, author_id=answerer)
    set_score(app, first, 60)
    set_score(app, second, 39)
    awarded = event(app, "vote", post_id=second, voter_id=make_user())
    assert not [a for a in awarded if a[0].startswith("tag-")]
    set_score(app, second, 40)
    awarded = event(app, "vote", post_id=second, voter_id=make_user())
    assert [a for a in awarded if a[0].startswith("tag-")] == [("tag-bronze", "tag:aws")]
    set_score(app, second, 100)
    awarded = event(app, "vote", post_id=second, voter_id=make_user())
    assert [a for a in awarded if a[0].startswith("tag-")] == [("tag-bronze", "tag:iam")]
    with app.app_context():
        texts = db.session.scalars(
            select(Notification.text).where(
                Notification.user_id == answerer, Notification.text.contains("tag badge")
            )
        ).all()
    assert sorted(texts) == [
        "You earned the bronze tag badge in aws.",
        "You earned the bronze tag badge in iam.",
    ]


def test_thirty_visits_in_a_row_earn_enthusiast(app, make_user):
    user = make_user()
    today = datetime.now(UTC).date()

    def visit(day):
        """What the core's first visit of a day does: store it, signal, commit."""
        with app.app_context():
            db.session.add(UserVisit(user_id=user, day=day))
            db.session.flush()
            awarded = badges.on_visit_recorded(None, user_id=user, day=day)
            db.session.commit()
            return [award.badge.slug for award in awarded]

    for n in range(29, 0, -1):
        assert visit(today - timedelta(days=n)) == []
    assert visit(today) == ["enthusiast"]
    assert slugs_of(app, user) == ["enthusiast"]


def test_a_disabled_badge_is_not_awarded(app, make_user, make_question):
    asker, voter = make_user(), make_user()
    question = make_question(author_id=asker)
    with app.app_context():
        badges.sync_catalog()
        db.session.execute(update(Badge).where(Badge.slug == "supporter").values(enabled=False))
        db.session.commit()
    cast_votes(app, voter, [question])
    assert event(app, "vote", post_id=question, voter_id=voter) == [("student", "")]
    assert event(app, "suggestion", suggestion_id=1) == []


WIRED = "badges.on_event" in inspect.getsource(services)


@pytest.mark.skipif(not WIRED, reason="gamify.services does not call badges.on_event yet")
def test_votes_and_accepts_through_the_site_award_badges(client, auth, app, make_user):
    asker = auth.login_as("member")
    with app.app_context():
        answerer = db.session.get(User, make_user(name="Hugo"))
        question = services.ask(
            db.session.get(User, asker), "How do we reach the shared ingress?", "From a VPC.", "aws"
        )
        answer = services.answer(answerer, question.id, "Attach the VPC to the transit gateway.")
        question_id, answer_id, answerer_id = question.id, answer.id, answerer.id
    auth.logout()
    voter = auth.login_as("lead")  # staff have every privilege, whatever their points
    response = client.post(f"/posts/{answer_id}/vote", data={"value": "up"})
    assert response.status_code == 302
    assert slugs_of(app, voter) == ["supporter"]
    assert slugs_of(app, answerer_id) == ["teacher"]
    auth.logout()
    auth.login(db_email(app, asker))
    client.post(f"/answers/{answer_id}/accept", data={})
    assert slugs_of(app, asker) == ["scholar"]
    with app.app_context():
        note = db.session.scalar(
            select(Notification).where(
                Notification.user_id == answerer_id, Notification.kind == "badge"
            )
        )
    assert note.text == "You earned the Teacher badge."
    assert note.link == f"/questions/{question_id}#post-{answer_id}"


def db_email(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).email


# ---------------------------------------------------------------------------------------------
# Backfill


def test_backfill_awards_past_activity_with_read_notifications(
    app, runner, make_user, make_question, make_answer
):
    asker, answerer, voter, visitor, short = (make_user() for _ in range(5))
    question = make_question(author_id=asker)
    answer = make_answer(question, author_id=answerer)
    cast_votes(app, voter, [question, answer])
    set_score(app, answer, 25)
    today = datetime.now(UTC).date()
    with app.app_context():
        db.session.execute(
            update(Question).where(Question.id == question).values(accepted_answer_id=answer)
        )
        visits = [(visitor, today - timedelta(days=n)) for n in range(30)]
        visits += [(visitor, today - timedelta(days=40 + n)) for n in range(5)]
        visits += [(short, today - timedelta(days=n)) for n in range(29)]
        db.session.add_all([UserVisit(user_id=u, day=d) for u, d in visits])
        db.session.commit()

    result = runner.invoke(args=["badges", "backfill"])
    assert result.exit_code == 0, result.output
    assert "Backfill done: 8 badge(s) awarded" in result.output
    assert slugs_of(app, asker) == ["scholar", "student"]
    assert slugs_of(app, answerer) == [
        "enlightened",
        "good-answer",
        "nice-answer",
        "teacher",
    ]
    assert slugs_of(app, voter) == ["supporter"]
    assert slugs_of(app, visitor) == ["enthusiast"]
    assert slugs_of(app, short) == []
    with app.app_context():
        notes = db.session.scalars(select(Notification).where(Notification.kind == "badge")).all()
        assert len(notes) == 8 and all(note.read_at is not None for note in notes)
    again = runner.invoke(args=["badges", "backfill"])
    assert "Backfill done: 0 badge(s) awarded" in again.output


def test_backfill_tag_badges_and_one_badge_only(app, runner, make_user, make_question, make_answer):
    answerer = make_user()
    answer = make_answer(make_question(author_id=make_user(), tags="aws"), author_id=answerer)
    set_score(app, answer, 100)
    result = runner.invoke(args=["badges", "backfill", "--badge", "tag-bronze"])
    assert result.exit_code == 0, result.output
    assert award_rows(app) == [(answerer, "tag-bronze", "tag:aws")]


def test_backfill_of_an_unknown_badge_exits_1(runner):
    result = runner.invoke(args=["badges", "backfill", "--badge", "ninja"])
    assert result.exit_code == 1
    assert "There is no badge “ninja”" in result.output


# ---------------------------------------------------------------------------------------------
# Progress


def test_progress_towards_badges_not_yet_earned(app, make_user, make_question, make_answer):
    member, other = make_user(), make_user()
    answer = make_answer(make_question(author_id=other), author_id=member)
    set_score(app, answer, 6)
    cast_votes(app, member, bulk_questions(app, other, 120))
    today = datetime.now(UTC).date()
    with app.app_context():
        badges.award(member, "teacher")
        badges.award(member, "tag-silver", "tag:aws")
        db.session.add_all(
            [UserVisit(user_id=member, day=today - timedelta(days=n)) for n in range(12)]
        )
        db.session.commit()
        labels = {item.badge.slug: item.label for item in badges.progress(member)}
    assert labels["nice-answer"] == "best answer score 6 of 10"
    assert labels["civic-duty"] == "120 of 300 votes"
    assert labels["enthusiast"] == "12 of 30 days in a row"
    assert labels["critic"] == "0 of 1 downvote"
    assert labels["tag-bronze"] == "answer score 6 of 100 in aws"
    assert labels["tag-silver"] == "answer score 6 of 400 in iam"  # aws is held
    assert "teacher" not in labels and "supporter" in labels and "student" in labels


# ---------------------------------------------------------------------------------------------
# Pages


def test_badges_page_groups_badges_with_holder_counts(client, app, make_user):
    first, second = make_user(name="Ada"), make_user(name="Grace")
    with app.app_context():
        badges.award(first, "supporter")
        badges.award(second, "supporter")
        badges.award(first, "nice-answer", "post:1")
        badges.award(first, "nice-answer", "post:2")
        db.session.commit()
    page = client.get("/badges").get_data(as_text=True)
    for heading in ("Questions", "Answers", "Participation", "Moderation", "Tags"):
        assert f">{heading}</h2>" in page
    assert "Cast your first upvote." in page
    assert "Visit Kudos on 30 consecutive days (UTC), signed in." in page
    supporter = page.split('id="badge-supporter"')[1].split("</li>")[0]
    assert "Held by 2 members." in supporter
    nice = page.split('id="badge-nice-answer"')[1].split("</li>")[0]
    assert "Held by 1 member (2 awards)." in nice
    assert "Nobody holds it yet." in page.split('id="badge-fanatic"')[1].split("</li>")[0]


def test_badge_page_lists_holders_newest_first_paginated(client, app, make_user, monkeypatch):
    monkeypatch.setattr(badge_views, "HOLDERS_PER_PAGE", 2)
    users = [make_user(name=name) for name in ("Ada", "Grace", "Linus")]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        for n, user in enumerate(users):
            badges.award(user, "teacher", at=start + timedelta(days=n))
        db.session.commit()
    page = client.get("/badges/teacher").get_data(as_text=True)
    assert page.index("Linus") < page.index("Grace")
    assert "Ada" not in page and "Page 1 of 2" in page
    assert "Ada" in client.get("/badges/teacher?page=2").get_data(as_text=True)


def test_unknown_badge_is_404_with_a_message(client):
    response = client.get("/badges/ninja")
    assert response.status_code == 404
    assert "There is no badge called “ninja”" in response.get_data(as_text=True)


def test_profile_shows_badges_with_counts_and_progress_to_its_owner(
    client, auth, app, make_user, make_question
):
    member = auth.login_as("member")
    question = make_question(author_id=make_user())
    with app.app_context():
        badges.award(member, "supporter")
        badges.award(member, "nice-answer", "post:9999")
        first = badges.award(member, "nice-answer", f"post:{question}", question)
        db.session.commit()
        award_uuid = first.uuid
    page = client.get(f"/users/{member}").get_data(as_text=True)
    section = page.split('class="panel badges-section"')[1]
    assert "Supporter" in section and f"{TIMES}2" in section
    assert "best answer score 0 of 10</span>" not in section  # Nice Answer is held
    assert "best answer score 0 of 25</span>" in section
    assert "0 of 1 downvote" in section
    assert f"/ob/assertions/{award_uuid}/download" in section and "Download" in section
    assert "Paste the badge's <em>Assertion URL</em>" in section
    auth.logout()
    other = client.get(f"/users/{member}").get_data(as_text=True)
    assert f"{TIMES}2" in other
    assert "0 of 1 downvote" not in other and "/download" not in other


# ---------------------------------------------------------------------------------------------
# Revoking


def _award(app, user_id, slug="teacher"):
    with app.app_context():
        award = badges.award(user_id, slug)
        db.session.commit()
        return award.uuid


def test_admin_revokes_an_award_with_a_reason(client, auth, app, make_user):
    member = make_user(name="Mallory")
    award_uuid = _award(app, member)
    auth.login_as("admin")
    detail = client.get("/badges/teacher").get_data(as_text=True)
    assert f"/admin/badges/awards/{award_uuid}/revoke" in detail
    response = client.post(
        f"/admin/badges/awards/{award_uuid}/revoke",
        data={"reason": "Votes came from sock puppets"},
        follow_redirects=True,
    )
    assert "The Teacher badge of Mallory is revoked." in response.get_data(as_text=True)
    gone = client.get(f"/ob/assertions/{award_uuid}")
    assert gone.status_code == 410
    assert gone.get_json()["revoked"] is True
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.kind == "badge_revoked"))
        assert note.user_id == member and "sock puppets" in note.text
    again = client.post(
        f"/admin/badges/awards/{award_uuid}/revoke", data={"reason": "x"}, follow_redirects=True
    )
    assert "already revoked" in again.get_data(as_text=True)
    assert (
        "Held by"
        not in client.get("/badges")
        .get_data(as_text=True)
        .split('id="badge-teacher"')[1]
        .split("</li>")[0]
    )


def test_revoking_needs_a_reason(client, auth, app, make_user):
    award_uuid = _award(app, make_user())
    auth.login_as("admin")
    response = client.post(
        f"/admin/badges/awards/{award_uuid}/revoke", data={"reason": "  "}, follow_redirects=True
    )
    assert "Give a reason for revoking this badge" in response.get_data(as_text=True)
    assert client.get(f"/ob/assertions/{award_uuid}").status_code == 200


def test_only_admins_revoke_and_missing_awards_are_404(client, auth, app, make_user):
    award_uuid = _award(app, make_user())
    url = f"/admin/badges/awards/{award_uuid}/revoke"
    assert client.post(url, data={"reason": "no"}).status_code == 302  # to the login page
    auth.login_as("lead")
    assert client.post(url, data={"reason": "no"}).status_code == 403
    auth.logout()
    auth.login_as("admin")
    missing = "/admin/badges/awards/00000000-0000-4000-8000-000000000000/revoke"
    assert client.post(missing, data={"reason": "no"}).status_code == 404
    assert client.post("/admin/badges/awards/nope/revoke", data={"reason": "no"}).status_code == 404
    assert client.get(f"/ob/assertions/{award_uuid}").status_code == 200
