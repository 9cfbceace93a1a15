"""The follow-up queue: low satisfaction scores that a lead should act on, and what was done.

A support-request rating (kind "csat") or a survey answer (kind "survey") lands here when its
score is low for its scale. add() writes in the caller's transaction, so the rating and its
follow-up are saved together; resolve() owns its transaction. The comments are private customer
feedback: only leads and admins ever see this queue.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from kudos.database import dialect_insert
from kudos.extensions import db
from kudos.models import Role, User, UTCDateTime, utcnow

log = logging.getLogger(__name__)

KINDS = ("csat", "survey")
# The lowest and highest score of each scale, and the highest score that still counts as low.
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
LOW_UP_TO = {"nps": 6, "csat": 3, "ces": 3}
LINK_MAX = 200
NOTE_MAX = 2_000
PER_PAGE = 25
FILTERS = ("all", "open", "done")
LEADS = (Role.LEAD, Role.ADMIN)


class FollowUp(db.Model):
    """A low score waiting for a lead (or handled by one), with the respondent's comment."""

    __tablename__ = "follow_up"
    __table_args__ = (
        UniqueConstraint("kind", "source_id"),
        CheckConstraint("kind IN ('csat', 'survey')", name="kind_valid"),
        CheckConstraint("scale IN ('csat', 'nps', 'ces')", name="scale_valid"),
        CheckConstraint("(done_at IS NULL) = (action_note IS NULL)", name="done_has_note"),
        Index("ix_follow_up_done_at_created_at", "done_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    score: Mapped[int]
    scale: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(LINK_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Kept when the lead's account goes, so the record of what was done stays.
    done_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    action_note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id], lazy="raise")

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def __repr__(self) -> str:
        return f"<FollowUp {self.id} {self.kind}:{self.source_id} {self.scale} {self.score}>"


class FollowUpError(Exception):
    """A request about the follow-up queue that cannot be carried out, with the reason."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def is_low(scale: str, score: int) -> bool:
    """Tell whether a score is low enough on its scale to need a lead's follow-up."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    lowest, highest = SCALES[scale]
    if not lowest <= score <= highest:
        raise ValueError(f"score {score} is outside the {scale} scale {lowest}-{highest}")
    return score <= LOW_UP_TO[scale]


def add(
    kind: str,
    source_id: int,
    user_id: int,
    scale: str,
    score: int,
    comment: str | None,
    link: str,
    at: datetime | None = None,
) -> FollowUp | None:
    """Queue a low score for the leads in the caller's transaction; return None when not low.

    Only flushes: the caller commits the rating and its follow-up together. Adding the same
    (kind, source_id) twice returns the row already queued.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown follow-up kind {kind!r}; expected one of {', '.join(KINDS)}")
    if not is_low(scale, score):
        return None
    inserted = db.session.execute(
        dialect_insert(FollowUp)
        .values(
            kind=kind,
            source_id=source_id,
            user_id=user_id,
            score=score,
            scale=scale,
            comment=(comment or "").strip() or None,
            link=link[:LINK_MAX],
            created_at=at or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["kind", "source_id"])
        .returning(FollowUp.id)
    ).scalar()
    if inserted is None:
        return db.session.scalars(
            select(FollowUp).where(FollowUp.kind == kind, FollowUp.source_id == source_id)
        ).one()
    log.info("Queued follow-up %s for %s %s (%s %s)", inserted, kind, source_id, scale, score)
    return db.session.get(FollowUp, inserted)


def _check_lead(user: User) -> None:
    if getattr(user, "role", None) not in LEADS:
        raise FollowUpError("Only leads and admins can work the follow-up queue.", status=403)


def clean_note(raw: str | None) -> str:
    """Return what the lead did, without surrounding blank space, or refuse it."""
    note = (raw or "").strip()
    if not note:
        raise FollowUpError("Say what was done about this score.", "note")
    if len(note) > NOTE_MAX:
        raise FollowUpError(f"A note has at most {NOTE_MAX} characters.", "note")
    return note


def _with_people():
    return select(FollowUp).options(selectinload(FollowUp.user), selectinload(FollowUp.done_by))


def get(followup_id: int) -> FollowUp:
    """Return one follow-up with its respondent and lead, or refuse with a 404."""
    followup = db.session.scalars(_with_people().where(FollowUp.id == followup_id)).one_or_none()
    if followup is None:
        raise FollowUpError("There is no such follow-up.", status=404)
    return followup


def page_of(
    viewer: User, state: str = "all", page: int = 1, per_page: int = PER_PAGE
) -> Pagination:
    """Return one page of the queue for a lead: open ones first, then oldest first."""
    _check_lead(viewer)
    if state not in FILTERS:
        raise FollowUpError(f"Show all, open or done follow-ups, not “{state}”.", "state")
    query = _with_people()
    if state == "open":
        query = query.where(FollowUp.done_at.is_(None))
    elif state == "done":
        query = query.where(FollowUp.done_at.is_not(None))
    query = query.order_by(FollowUp.done_at.is_not(None), FollowUp.created_at, FollowUp.id)
    return db.paginate(query, page=max(1, page), per_page=per_page, error_out=False)


def resolve(
    followup_id: int, lead: User, note: str | None, *, at: datetime | None = None
) -> FollowUp:
    """Record what a lead did about a low score; the follow-up then counts as done."""
    _check_lead(lead)
    note = clean_note(note)
    followup = get(followup_id)
    # The condition makes a second lead's simultaneous click a refusal, not an overwrite.
    changed = db.session.execute(
        update(FollowUp)
        .where(FollowUp.id == followup_id, FollowUp.done_at.is_(None))
        .values(done_at=at or utcnow(), done_by_id=lead.id, action_note=note)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise FollowUpError("This follow-up was already recorded as done.", status=409)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("Lead %s resolved follow-up %s", lead.id, followup_id)
    return get(followup.id)
