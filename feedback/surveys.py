"""Surveys: leads ask an NPS, CSAT or CES question for a period; members answer it once.

The models and their use cases share a module, as announcements do. Each writing use case owns
its transaction: an answer, its +1 through gamify's engine and, for a low score, its entry in
the follow-up queue are saved together or not at all. Bad input raises SurveyError with the
user's message and leaves the database unchanged. A member's answer is never shown to another
member: pages give members only their own answer, and leads see aggregates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from feedback import followups, sentiment
from gamify import badges, engine
from kudos.database import commit, dialect_insert, retry_transient
from kudos.extensions import db
from kudos.models import Role, User, UTCDateTime, utcnow

log = logging.getLogger(__name__)

KINDS = {
    "nps": "NPS (0 to 10)",
    "csat": "CSAT (1 to 5)",
    "ces": "CES (1 to 7)",
}
SCALES = followups.SCALES
QUESTION_MAX = 300
COMMENT_MAX = 2_000
HOME_COUNT = 3
PER_PAGE = 25
RUNNERS = (Role.LEAD, Role.ADMIN)


class Survey(db.Model):
    """A question on one scale, open to every member from opens_at until closes_at."""

    __tablename__ = "survey"
    __table_args__ = (
        CheckConstraint("kind IN ('nps', 'csat', 'ces')", name="kind_valid"),
        CheckConstraint("length(question) > 0", name="question_not_empty"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opens"),
        Index("ix_survey_opens_at_closes_at", "opens_at", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(String(QUESTION_MAX))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when a lead ends the survey before closes_at; closes_at keeps the planned end.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="raise")
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id], lazy="raise")

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def scores(self) -> range:
        lowest, highest = SCALES[self.kind]
        return range(lowest, highest + 1)

    @property
    def last_day(self) -> date:
        """The last UTC day on which the survey was planned to take answers."""
        return (self.closes_at - timedelta(days=1)).date()

    @property
    def ends_at(self) -> datetime:
        """When the survey stops taking answers: its planned end, or when a lead closed it."""
        return min(self.closes_at, self.closed_at) if self.closed_at else self.closes_at

    def state(self, at: datetime | None = None) -> str:
        """Return "scheduled", "open" or "closed" at a moment (now by default)."""
        at = at or utcnow()
        if at >= self.ends_at:
            return "closed"
        return "open" if at >= self.opens_at else "scheduled"

    def __repr__(self) -> str:
        return f"<Survey {self.id} {self.kind} {self.question!r}>"


class SurveyResponse(db.Model):
    """One member's answer to one survey: a score on the survey's scale and an optional comment."""

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("survey_id", "user_id"),
        CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
        Index("ix_survey_response_user_id", "user_id"),
        Index("ix_survey_response_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    # VADER compound score of the comment (feedback.sentiment); None without a comment.
    sentiment: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<SurveyResponse {self.id} survey {self.survey_id} score {self.score}>"


class SurveyError(Exception):
    """A request about surveys that cannot be carried out, with the reason for the user."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Results:
    """What a lead sees of a survey's answers: how many, and how many gave each score."""

    count: int
    distribution: list[tuple[int, int]]


# ---------------------------------------------------------------------------------------------
# Validation


def start_of(day: date) -> datetime:
    """Return the UTC midnight that begins a day."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def clean_kind(raw: str | None) -> str:
    kind = (raw or "").strip().lower()
    if kind not in KINDS:
        raise SurveyError(
            f"There is no survey kind “{raw or ''}”; choose NPS, CSAT or CES.", "kind"
        )
    return kind


def clean_question(raw: str | None) -> str:
    question = " ".join((raw or "").split())
    if not question:
        raise SurveyError("Write the question the survey asks.", "question")
    if len(question) > QUESTION_MAX:
        raise SurveyError(f"A question has at most {QUESTION_MAX} characters.", "question")
    return question


def clean_period(opens_on: date | None, closes_on: date | None, at: datetime) -> tuple:
    """Turn the first and last day of a survey into the moments it opens and closes."""
    if opens_on is None:
        raise SurveyError("Choose the day the survey opens.", "opens_on")
    if closes_on is None:
        raise SurveyError("Choose the last day of the survey.", "closes_on")
    if closes_on < opens_on:
        raise SurveyError("The survey must close after it opens.", "closes_on")
    opens_at, closes_at = start_of(opens_on), start_of(closes_on + timedelta(days=1))
    if closes_at <= at:
        raise SurveyError("The last day of the survey is already over.", "closes_on")
    return opens_at, closes_at


def clean_score(raw: int | str | None, survey: Survey) -> int:
    lowest, highest = SCALES[survey.kind]
    reason = f"Choose a score from {lowest} to {highest}."
    if isinstance(raw, bool):
        raise SurveyError(reason, "score")
    try:
        score = int(str(raw).strip()) if raw is not None else None
    except ValueError:
        score = None
    if score is None or not lowest <= score <= highest:
        raise SurveyError(reason, "score")
    return score


def clean_comment(raw: str | None) -> str | None:
    comment = (raw or "").strip()
    if len(comment) > COMMENT_MAX:
        raise SurveyError(f"A comment has at most {COMMENT_MAX} characters.", "comment")
    return comment or None


def _check_runner(user: User) -> None:
    if getattr(user, "role", None) not in RUNNERS:
        raise SurveyError("Only leads and admins can run surveys.", status=403)


# ---------------------------------------------------------------------------------------------
# Plumbing


def _open_at(at: datetime):
    return (
        (Survey.opens_at <= at)
        & (Survey.closes_at > at)
        & ((Survey.closed_at.is_(None)) | (Survey.closed_at > at))
    )


# ---------------------------------------------------------------------------------------------
# Reading


def _with_people():
    return select(Survey).options(selectinload(Survey.created_by), selectinload(Survey.closed_by))


def get(survey_id: int) -> Survey:
    """Return one survey, or refuse with a 404."""
    survey = db.session.scalars(_with_people().where(Survey.id == survey_id)).one_or_none()
    if survey is None:
        raise SurveyError("There is no such survey.", status=404)
    return survey


def open_for(user: User, *, at: datetime | None = None, limit: int | None = None) -> list[Survey]:
    """Return the open surveys the user has not answered yet, closing soonest first."""
    at = at or utcnow()
    answered = exists().where(
        SurveyResponse.survey_id == Survey.id, SurveyResponse.user_id == user.id
    )
    query = _with_people().where(_open_at(at), ~answered).order_by(Survey.closes_at, Survey.id)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def response_of(user: User, survey_id: int) -> SurveyResponse | None:
    """Return the user's own answer to a survey, if any (never anyone else's)."""
    return db.session.scalars(
        select(SurveyResponse).where(
            SurveyResponse.survey_id == survey_id, SurveyResponse.user_id == user.id
        )
    ).one_or_none()


def page_of(viewer: User, page: int = 1, per_page: int = PER_PAGE) -> Pagination:
    """Return one page of every survey for a lead, newest first."""
    _check_runner(viewer)
    query = _with_people().order_by(Survey.opens_at.desc(), Survey.id.desc())
    return db.paginate(query, page=max(1, page), per_page=per_page, error_out=False)


def response_counts(survey_ids: list[int]) -> dict[int, int]:
    """Return how many members answered each of these surveys."""
    if not survey_ids:
        return {}
    rows = db.session.execute(
        select(SurveyResponse.survey_id, func.count(SurveyResponse.id))
        .where(SurveyResponse.survey_id.in_(survey_ids))
        .group_by(SurveyResponse.survey_id)
    ).all()
    return {survey_id: dict(rows).get(survey_id, 0) for survey_id in survey_ids}


def results(viewer: User, survey_id: int) -> tuple[Survey, Results]:
    """Return a survey with its response count and score distribution, for a lead."""
    _check_runner(viewer)
    survey = get(survey_id)
    rows = dict(
        db.session.execute(
            select(SurveyResponse.score, func.count(SurveyResponse.id))
            .where(SurveyResponse.survey_id == survey_id)
            .group_by(SurveyResponse.score)
        ).all()
    )
    distribution = [(score, rows.get(score, 0)) for score in survey.scores]
    return survey, Results(sum(rows.values()), distribution)


# ---------------------------------------------------------------------------------------------
# Writing


def create(
    lead: User,
    kind: str | None,
    question: str | None,
    opens_on: date | None,
    closes_on: date | None,
    *,
    at: datetime | None = None,
) -> Survey:
    """Open a survey from the first to the last day given (whole UTC days)."""
    at = at or utcnow()
    _check_runner(lead)
    kind, question = clean_kind(kind), clean_question(question)
    opens_at, closes_at = clean_period(opens_on, closes_on, at)
    survey = Survey(
        kind=kind,
        question=question,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by_id=lead.id,
        created_at=at,
    )
    db.session.add(survey)
    commit()
    log.info("User %s created %s survey %s", lead.id, kind, survey.id)
    return survey


def close(lead: User, survey_id: int, *, at: datetime | None = None) -> Survey:
    """End a survey now, before its last day; answers given so far stay."""
    at = at or utcnow()
    _check_runner(lead)
    survey = get(survey_id)
    if survey.state(at) == "closed":
        raise SurveyError("This survey is already closed.", status=409)
    changed = db.session.execute(
        update(Survey)
        .where(Survey.id == survey_id, Survey.closed_at.is_(None))
        .values(closed_at=at, closed_by_id=lead.id)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise SurveyError("This survey is already closed.", status=409)
    commit()
    log.info("User %s closed survey %s early", lead.id, survey_id)
    return get(survey_id)


def _not_open_message(survey: Survey, state: str) -> str:
    if state == "scheduled":
        return f"This survey opens on {survey.opens_at.strftime('%-d %B %Y')}; answer it then."
    return "This survey is closed; it takes no more answers."


@retry_transient()
def answer(
    member: User,
    survey_id: int,
    score: int | str | None,
    comment: str | None = None,
    *,
    at: datetime | None = None,
) -> SurveyResponse:
    """Record a member's one answer to an open survey, its +1, and a follow-up if it is low."""
    at = at or utcnow()
    survey = get(survey_id)
    state = survey.state(at)
    if state != "open":
        raise SurveyError(_not_open_message(survey, state), status=409)
    score, comment = clean_score(score, survey), clean_comment(comment)
    already = "You have already answered this survey; thank you."
    if response_of(member, survey_id) is not None:
        raise SurveyError(already, status=409)
    # The unique key decides between simultaneous submits: the loser inserts nothing.
    response_id = db.session.execute(
        dialect_insert(SurveyResponse)
        .values(
            survey_id=survey_id,
            user_id=member.id,
            score=score,
            comment=comment,
            sentiment=sentiment.score(comment),
            created_at=at,
        )
        .on_conflict_do_nothing(index_elements=["survey_id", "user_id"])
        .returning(SurveyResponse.id)
    ).scalar()
    if response_id is None:
        db.session.rollback()
        raise SurveyError(already, status=409)
    engine.record(
        "survey_answered",
        member.id,
        key=f"survey-response:{response_id}",
        source_type="survey_response",
        source_id=response_id,
        at=at,
    )
    badges.on_event("feedback_response", user_id=member.id, at=at)
    followups.add(
        "survey",
        response_id,
        member.id,
        survey.kind,
        score,
        comment,
        f"/surveys/{survey_id}",
        at,
    )
    commit()
    log.info("User %s answered survey %s", member.id, survey_id)
    return db.session.get(SurveyResponse, response_id)
