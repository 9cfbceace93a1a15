"""Queries: SQL aggregates into DataFrames, for the dashboards' metrics and charts.

Everything is grouped in the database (per week, month, score, status, priority...), so a
dashboard reads hundreds of rows whatever the size of the community; the only per-row read is
the durations per support request, one number each, which the percentile metric needs (the
status funnel's medians are ranked in SQL; status_stays keeps the per-stay rows that the
pandas metric reads, to check it). Periods come back as 'YYYY-MM-DD' strings (the Monday of a
UTC week, the first of a UTC month) on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import (
    Numeric,
    Select,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from feedback.historic import HistoricResponse
from feedback.models import Suggestion, SuggestionComment, SuggestionStatusChange, suggestion_tag
from feedback.support_models import (
    CATEGORIES,
    DeflectionEvent,
    DeflectionSession,
    SupportRating,
    SupportRequest,
)
from feedback.surveys import Survey, SurveyResponse
from gamify.models import Comment, Post, Tag, UserScore, Vote, question_tag
from kudos.extensions import db
from kudos.models import Role, User


@dataclass(frozen=True)
class Filters:
    """The date range (whole UTC days, both included) and category of a dashboard."""

    start: date
    end: date
    category: str | None = None

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The first instant after the range."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def period(column, unit: str) -> ColumnElement:
    """The UTC week (Monday) or month (first day) holding a timestamp, as 'YYYY-MM-DD'."""
    if _dialect() == "postgresql":
        utc = func.timezone("UTC", column)
        return func.to_char(func.date_trunc(unit, utc), "YYYY-MM-DD")
    if unit == "week":
        return func.date(column, "weekday 0", "-6 days")
    return func.strftime("%Y-%m-01", column)


def hours_between(start, end) -> ColumnElement:
    """end - start in hours, as a float (NULL when either is NULL)."""
    if _dialect() == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def _in_range(column, filters: Filters) -> ColumnElement:
    return and_(column >= filters.start_at, column < filters.end_at)


def _frame(statement: Select, columns: list[str]) -> pd.DataFrame:
    rows = db.session.execute(statement).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def periods(filters: Filters, unit: str) -> list[str]:
    """Every week or month of the range, in order, as the queries label them."""
    if unit == "week":
        first = filters.start - timedelta(days=filters.start.weekday())
        step = 7
    else:
        first = filters.start.replace(day=1)
        step = None
    labels, current = [], first
    while current <= filters.end:
        labels.append(current.isoformat())
        if step:
            current += timedelta(days=step)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return labels


# ---------------------------------------------------------------------------------------------
# Satisfaction


def _historic(kind: str, filters: Filters, unit: str) -> Select:
    """Imported past responses of one kind as (period, score) rows, in the category if any."""
    statement = select(
        period(HistoricResponse.responded_at, unit).label("period"),
        HistoricResponse.score.label("score"),
    ).where(HistoricResponse.kind == kind, _in_range(HistoricResponse.responded_at, filters))
    if filters.category:
        statement = statement.where(HistoricResponse.category == filters.category)
    return statement


def _score_counts(parts: list[Select]) -> pd.DataFrame:
    rows = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    statement = (
        select(rows.c.period, rows.c.score, func.count())
        .group_by(rows.c.period, rows.c.score)
        .order_by(rows.c.period, rows.c.score)
    )
    return _frame(statement, ["period", "score", "count"])


def csat_counts(filters: Filters, unit: str = "week") -> pd.DataFrame:
    """CSAT responses per (period, score): support ratings, CSAT survey answers, and imported
    historic CSAT responses.

    Survey answers carry no category, so a category filter keeps support ratings and the
    historic responses of that category.
    """
    ratings = (
        select(
            period(SupportRating.created_at, unit).label("period"),
            SupportRating.score.label("score"),
        )
        .join(SupportRequest, SupportRequest.id == SupportRating.request_id)
        .where(_in_range(SupportRating.created_at, filters))
    )
    if filters.category:
        ratings = ratings.where(SupportRequest.category == filters.category)
    parts = [ratings, _historic("csat", filters, unit)]
    if not filters.category:
        parts.append(_survey_answers("csat", filters, unit))
    return _score_counts(parts)


def _survey_answers(kind: str, filters: Filters, unit: str) -> Select:
    return (
        select(
            period(SurveyResponse.created_at, unit).label("period"),
            SurveyResponse.score.label("score"),
        )
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(Survey.kind == kind, _in_range(SurveyResponse.created_at, filters))
    )


def survey_counts(kind: str, filters: Filters, unit: str) -> pd.DataFrame:
    """Answers of one kind (nps, ces) per (period, score): surveys and historic responses.

    Survey answers have no category, so a category filter keeps historic responses only.
    """
    parts = [_historic(kind, filters, unit)]
    if not filters.category:
        parts.append(_survey_answers(kind, filters, unit))
    return _score_counts(parts)


def csat_offered(filters: Filters) -> tuple[int, int]:
    """(ratings given, requests solved) in the range: the CSAT response rate's parts."""
    solved = select(func.count(SupportRequest.id)).where(
        _in_range(SupportRequest.solved_at, filters)
    )
    rated = (
        select(func.count(SupportRating.id))
        .join(SupportRequest, SupportRequest.id == SupportRating.request_id)
        .where(_in_range(SupportRequest.solved_at, filters))
    )
    if filters.category:
        solved = solved.where(SupportRequest.category == filters.category)
        rated = rated.where(SupportRequest.category == filters.category)
    return int(db.session.scalar(rated) or 0), int(db.session.scalar(solved) or 0)


# ---------------------------------------------------------------------------------------------
# Suggestions (the category filter is a tag)


def _tagged(statement: Select, suggestion_id, tag: str | None) -> Select:
    if not tag:
        return statement
    return statement.where(
        suggestion_id.in_(
            select(suggestion_tag.c.suggestion_id)
            .join(Tag, Tag.id == suggestion_tag.c.tag_id)
            .where(Tag.name == tag)
        )
    )


def suggestion_volume(filters: Filters, unit: str = "month") -> pd.DataFrame:
    """New suggestions per (period, tag); an untagged one counts under "untagged"."""
    label = period(Suggestion.created_at, unit)
    tag = func.coalesce(Tag.name, literal("untagged"))
    statement = (
        select(label, tag, func.count(distinct(Suggestion.id)))
        .select_from(Suggestion)
        .outerjoin(suggestion_tag, suggestion_tag.c.suggestion_id == Suggestion.id)
        .outerjoin(Tag, Tag.id == suggestion_tag.c.tag_id)
        .where(_in_range(Suggestion.created_at, filters), Suggestion.status != "duplicate")
        .group_by(label, tag)
        .order_by(label, tag)
    )
    if filters.category:
        statement = statement.where(Tag.name == filters.category)
    return _frame(statement, ["period", "tag", "count"])


def _days(hours: ColumnElement) -> ColumnElement:
    """Hours as days rounded to 4 places (about 9 seconds), where both databases agree."""
    days = hours / 24.0
    if _dialect() == "postgresql":
        days = cast(days, Numeric)  # PostgreSQL rounds to places only a numeric
    return func.round(days, 4)


def _stays(filters: Filters) -> Select:
    """(suggestion_id, status, days) per stay of a suggestion created in the range.

    A stay ends at the next change; the current stay has days NULL. The first stay is "open",
    from creation to the first change. Days are rounded to 4 places (about 9 seconds), where
    SQLite's julianday() and PostgreSQL agree.
    """
    change = SuggestionStatusChange
    entered = change.created_at
    left = func.lead(change.created_at).over(
        partition_by=change.suggestion_id, order_by=(change.created_at, change.id)
    )
    changes = (
        select(
            change.suggestion_id.label("suggestion_id"),
            change.to_status.label("status"),
            _days(hours_between(entered, left)).label("days"),
        )
        .join(Suggestion, Suggestion.id == change.suggestion_id)
        .where(_in_range(Suggestion.created_at, filters))
    )
    first_change = (
        select(func.min(change.created_at))
        .where(change.suggestion_id == Suggestion.id)
        .scalar_subquery()
    )
    opened = select(
        Suggestion.id.label("suggestion_id"),
        literal("open").label("status"),
        _days(hours_between(Suggestion.created_at, first_change)).label("days"),
    ).where(_in_range(Suggestion.created_at, filters))
    changes = _tagged(changes, change.suggestion_id, filters.category)
    opened = _tagged(opened, Suggestion.id, filters.category)
    return union_all(opened, changes)


def status_stays(filters: Filters) -> pd.DataFrame:
    """One row per stay of a suggestion (created in the range) in a status, with its days
    (NaN for the current stay): what metrics.status_funnel reads."""
    rows = _stays(filters).subquery()
    frame = _frame(select(rows.c.suggestion_id, rows.c.status, rows.c.days),
                   ["suggestion_id", "status", "days"])  # fmt: skip
    return frame.astype({"days": "float64"})


def status_funnel(filters: Filters, order: Sequence[str]) -> pd.DataFrame:
    """metrics.status_funnel of status_stays, computed in the database: per status in order,
    the suggestions that reached it and the median days of the stays that ended.

    The median is the middle stay, or the mean of the two middle ones, by rank in a window
    (SQLite has no percentile function), so one row per status leaves the database instead of
    one per stay.
    """
    stays = _stays(filters).subquery()
    # Ended stays first, by days; n counts them, so their ranks are 1..n. Both windows have
    # the same order (n over the whole partition), so the stays are sorted once.
    by_days = (stays.c.days.is_(None), stays.c.days)
    ranked = select(
        stays.c.status.label("status"),
        stays.c.suggestion_id.label("suggestion_id"),
        stays.c.days.label("days"),
        func.row_number().over(partition_by=stays.c.status, order_by=by_days).label("rank"),
        func.count(stays.c.days)
        .over(partition_by=stays.c.status, order_by=by_days, rows=(None, None))
        .label("n"),
    ).subquery()
    # The middle ranks of n are those with n <= 2 * rank <= n + 2: one when n is odd, two when
    # it is even.
    middle_days = case(
        (
            and_(
                ranked.c.days.is_not(None), (2 * ranked.c.rank).between(ranked.c.n, ranked.c.n + 2)
            ),
            ranked.c.days,
        )
    )
    statement = select(
        ranked.c.status, func.count(distinct(ranked.c.suggestion_id)), func.avg(middle_days)
    ).group_by(ranked.c.status)
    rows = {status: (reached, days) for status, reached, days in db.session.execute(statement)}
    counts = {status: reached for status, (reached, _) in rows.items()}
    middle = {status: float(days) for status, (_, days) in rows.items() if days is not None}
    return pd.DataFrame(
        {
            "status": list(order),
            "reached": [int(counts.get(status, 0)) for status in order],
            "median_days": [middle.get(status, np.nan) for status in order],
        }
    )


def votes_by_status(filters: Filters) -> pd.DataFrame:
    """Votes per status, over suggestions created in the range."""
    statement = (
        select(Suggestion.status, func.coalesce(func.sum(Suggestion.vote_count), 0))
        .where(_in_range(Suggestion.created_at, filters))
        .group_by(Suggestion.status)
        .order_by(Suggestion.status)
    )
    statement = _tagged(statement, Suggestion.id, filters.category)
    return _frame(statement, ["status", "votes"])


# ---------------------------------------------------------------------------------------------
# Support (the category filter is the request's category)


def _support(statement: Select, filters: Filters) -> Select:
    if filters.category:
        statement = statement.where(SupportRequest.category == filters.category)
    return statement


def support_volume(filters: Filters, unit: str = "week") -> pd.DataFrame:
    """New requests per (period, category)."""
    label = period(SupportRequest.created_at, unit)
    statement = (
        select(label, SupportRequest.category, func.count())
        .where(_in_range(SupportRequest.created_at, filters))
        .group_by(label, SupportRequest.category)
        .order_by(label, SupportRequest.category)
    )
    return _frame(_support(statement, filters), ["period", "category", "count"])


def support_durations(filters: Filters) -> pd.DataFrame:
    """Per request filed in the range: priority, hours to first response and to solve."""
    statement = select(
        SupportRequest.priority,
        hours_between(SupportRequest.created_at, SupportRequest.first_response_at),
        hours_between(SupportRequest.created_at, SupportRequest.solved_at),
    ).where(_in_range(SupportRequest.created_at, filters))
    frame = _frame(
        _support(statement, filters), ["priority", "first_response_hours", "resolution_hours"]
    )
    # SQLite's julianday() is exact to about a millisecond; hours to 4 places are exact enough.
    hours = ["first_response_hours", "resolution_hours"]
    return frame.astype({column: "float64" for column in hours}).round(dict.fromkeys(hours, 4))


def sla_attainment(filters: Filters) -> pd.DataFrame:
    """Per priority: requests with a first response / solve, and how many were on time."""
    request = SupportRequest

    def on_time(done, due):
        return func.coalesce(func.sum(case((done <= due, 1), else_=0)), 0)

    statement = (
        select(
            request.priority,
            func.count(request.first_response_at),
            on_time(request.first_response_at, request.first_response_due_at),
            func.count(request.solved_at),
            on_time(request.solved_at, request.resolution_due_at),
        )
        .where(_in_range(request.created_at, filters))
        .group_by(request.priority)
    )
    return _frame(
        _support(statement, filters),
        ["priority", "responded", "responded_on_time", "solved", "solved_on_time"],
    )


def support_flow(filters: Filters, unit: str = "week") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Requests created and solved per period up to the range's end (all history before it)."""
    created_label = period(SupportRequest.created_at, unit)
    created = (
        select(created_label, func.count())
        .where(SupportRequest.created_at < filters.end_at)
        .group_by(created_label)
    )
    solved_label = period(SupportRequest.solved_at, unit)
    solved = (
        select(solved_label, func.count())
        .where(SupportRequest.solved_at < filters.end_at)
        .group_by(solved_label)
    )
    return (
        _frame(_support(created, filters), ["period", "count"]),
        _frame(_support(solved, filters), ["period", "count"]),
    )


def deflection_sessions(filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Per period of the form session's start: sessions shown matches, and those deflected.

    The three tests are uncorrelated IN lists, each read once: as correlated EXISTS, the
    "filed" test scanned every support request for each session, minutes at 30,000 sessions
    and 50,000 requests. Each list is read from an index alone (events by kind and session,
    requests by session and creation).
    """
    session = DeflectionSession

    def with_event(kind: str):
        return select(DeflectionEvent.session_id).where(DeflectionEvent.kind == kind)

    filed = (
        select(SupportRequest.deflection_session_id)
        .join(session, session.id == SupportRequest.deflection_session_id)
        .where(SupportRequest.created_at < session.window_ends_at)
    )
    label = period(session.started_at, unit)
    deflected = case(
        (and_(session.id.in_(with_event("opened")), session.id.not_in(filed)), 1), else_=0
    )
    statement = (
        select(label, func.count(), func.coalesce(func.sum(deflected), 0))
        .where(_in_range(session.started_at, filters), session.id.in_(with_event("shown")))
        .group_by(label)
        .order_by(label)
    )
    return _frame(statement, ["period", "shown", "deflected"])


# ---------------------------------------------------------------------------------------------
# Engagement (the category filter is a question tag)


def _question_tagged(post_id, tag: str | None) -> ColumnElement | None:
    if not tag:
        return None
    return post_id.in_(
        select(question_tag.c.question_id)
        .join(Tag, Tag.id == question_tag.c.tag_id)
        .where(Tag.name == tag)
    )


def active_contributors(filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Distinct members who asked, answered, commented or voted, per period.

    Comments and votes are joined to their post only to find its thread's tags: without a
    tag filter the join would select the same rows (the foreign key holds) and, on SQLite,
    turned a covering index read of the votes into a post lookup per vote.
    """
    posts = select(period(Post.created_at, unit).label("period"),
                   Post.author_id.label("user_id")).where(
        _in_range(Post.created_at, filters), Post.deleted_at.is_(None)
    )  # fmt: skip
    comments = select(period(Comment.created_at, unit).label("period"),
                      Comment.author_id.label("user_id")).where(
        _in_range(Comment.created_at, filters)
    )  # fmt: skip
    votes = select(period(Vote.created_at, unit).label("period"),
                   Vote.voter_id.label("user_id")).where(
        _in_range(Vote.created_at, filters)
    )  # fmt: skip
    tagged = _question_tagged(func.coalesce(Post.parent_id, Post.id), filters.category)
    if tagged is not None:
        posts = posts.where(tagged)
        comments = comments.join(Post, Post.id == Comment.post_id).where(tagged)
        votes = votes.join(Post, Post.id == Vote.post_id).where(tagged)
    rows = union_all(posts, comments, votes).subquery()
    statement = (
        select(rows.c.period, func.count(distinct(rows.c.user_id)))
        .group_by(rows.c.period)
        .order_by(rows.c.period)
    )
    return _frame(statement, ["period", "active"])


def questions_answered(filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Per period of asking: questions, answered within 24 hours, with an accepted answer."""
    answer = Post.__table__.alias("answer")
    first_answer = (
        select(func.min(answer.c.created_at))
        .where(
            answer.c.parent_id == Post.id,
            answer.c.kind == "answer",
            answer.c.deleted_at.is_(None),
        )
        .scalar_subquery()
    )
    within = hours_between(Post.created_at, first_answer) <= 24
    question = Post.__table__
    label = period(Post.created_at, unit)
    accepted = question.c.accepted_answer_id.is_not(None)
    statement = (
        select(
            label,
            func.count(),
            func.coalesce(func.sum(case((within, 1), else_=0)), 0),
            func.coalesce(func.sum(case((accepted, 1), else_=0)), 0),
        )
        .where(
            Post.kind == "question", Post.deleted_at.is_(None), _in_range(Post.created_at, filters)
        )
        .group_by(label)
        .order_by(label)
    )
    tagged = _question_tagged(Post.id, filters.category)
    if tagged is not None:
        statement = statement.where(tagged)
    return _frame(statement, ["period", "questions", "answered_24h", "accepted"])


POINT_BUCKETS = ((1, 1), (2, 10), (11, 50), (51, 200), (201, 1000), (1001, None))


def points_distribution() -> pd.DataFrame:
    """How many active members have totals in each bucket (1, 2-10, ..., over 1000)."""
    whens = []
    for low, high in POINT_BUCKETS:
        label = f"{low}" if low == high else (f"{low}+" if high is None else f"{low}-{high}")
        test = UserScore.total >= low if high is None else UserScore.total.between(low, high)
        whens.append((test, label))
    bucket = case(*whens, else_="1")
    statement = (
        select(bucket, func.count())
        .join(User, User.id == UserScore.user_id)
        .where(User.role == Role.MEMBER, User.suspended_at.is_(None))
        .group_by(bucket)
    )
    frame = _frame(statement, ["bucket", "members"])
    order = [label for _, label in whens]
    return (
        frame.set_index("bucket").reindex(order, fill_value=0).reset_index()
        if len(frame)
        else pd.DataFrame({"bucket": order, "members": [0] * len(order)})
    )


# ---------------------------------------------------------------------------------------------
# Sentiment (the category is a support category, "survey" or "suggestion")

SENTIMENT_SOURCES = ("survey", "suggestion")


def sentiment_sums(filters: Filters, unit: str = "week") -> pd.DataFrame:
    """Per (period, category): how many texts were scored and the sum of their scores.

    Support ratings count under their request's category, survey answers under "survey",
    suggestion comments under "suggestion", and historic responses under their category, or
    "survey" when they have none. Only sums leave the database, never a person's score.
    """
    scored = [
        select(
            period(SurveyResponse.created_at, unit).label("period"),
            literal("survey").label("category"),
            SurveyResponse.sentiment.label("sentiment"),
        ).where(
            _in_range(SurveyResponse.created_at, filters), SurveyResponse.sentiment.is_not(None)
        ),
        select(
            period(SupportRating.created_at, unit).label("period"),
            SupportRequest.category.label("category"),
            SupportRating.sentiment.label("sentiment"),
        )
        .join(SupportRequest, SupportRequest.id == SupportRating.request_id)
        .where(_in_range(SupportRating.created_at, filters), SupportRating.sentiment.is_not(None)),
        select(
            period(SuggestionComment.created_at, unit).label("period"),
            literal("suggestion").label("category"),
            SuggestionComment.sentiment.label("sentiment"),
        ).where(
            _in_range(SuggestionComment.created_at, filters),
            SuggestionComment.sentiment.is_not(None),
        ),
        select(
            period(HistoricResponse.responded_at, unit).label("period"),
            func.coalesce(HistoricResponse.category, literal("survey")).label("category"),
            HistoricResponse.sentiment.label("sentiment"),
        ).where(
            _in_range(HistoricResponse.responded_at, filters),
            HistoricResponse.sentiment.is_not(None),
        ),
    ]
    rows = union_all(*scored).subquery()
    statement = (
        select(rows.c.period, rows.c.category, func.count(), func.sum(rows.c.sentiment))
        .group_by(rows.c.period, rows.c.category)
        .order_by(rows.c.period, rows.c.category)
    )
    if filters.category:
        statement = statement.where(rows.c.category == filters.category)
    frame = _frame(statement, ["period", "category", "n", "total"])
    return frame.astype({"n": "int64", "total": "float64"})


def categories() -> dict[str, list[str]]:
    """The choices of the category filter: support categories, the tags in use, and the
    sentiment dashboard's sources (support categories, surveys, suggestions)."""
    tags = list(db.session.scalars(select(Tag.name).order_by(Tag.name)))
    return {
        "support": list(CATEGORIES),
        "tags": tags,
        "sentiment": [*CATEGORIES, *SENTIMENT_SOURCES],
    }
