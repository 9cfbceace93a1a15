"""Models of support requests: requests, replies and internal notes, status history, CSAT
ratings, SLA targets, and the deflection events logged while a member fills in the form."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.models import Suggestion
from kudos.extensions import db
from kudos.models import User, UTCDateTime, utcnow

CATEGORIES = {
    "accounts": "Accounts and landing zones",
    "networking": "Networking",
    "iam": "IAM and access",
    "billing": "Billing and cost",
    "kubernetes": "Kubernetes",
    "ci_cd": "CI/CD and pipelines",
    "observability": "Logging and monitoring",
    "other": "Something else",
}
PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "open", "pending", "solved", "closed")
# Requests that still need work from the Cloud Foundation.
ACTIVE_STATUSES = ("new", "open", "pending")
SUBJECT_MIN, SUBJECT_MAX = 5, 150
RATING_MIN, RATING_MAX = 1, 5
# A rating at or below this asks for a reason and lands in the leads' follow-up queue.
LOW_RATING = 3
DEFLECTION_KINDS = ("shown", "opened", "solved", "submitted")
DEFLECTION_TARGETS = ("", "question", "suggestion")


def _listed(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


class SupportRequest(db.Model):
    """A member's request for help, worked by leads; its times feed the SLA and analytics."""

    __tablename__ = "support_request"
    __table_args__ = (
        CheckConstraint(f"category IN ({_listed(CATEGORIES)})", name="category_valid"),
        CheckConstraint(f"priority IN ({_listed(PRIORITIES)})", name="priority_valid"),
        CheckConstraint(f"status IN ({_listed(STATUSES)})", name="status_valid"),
        CheckConstraint(
            f"length(subject) >= {SUBJECT_MIN} AND length(subject) <= {SUBJECT_MAX}",
            name="subject_length",
        ),
        Index("ix_support_request_requester_id_created_at", "requester_id", "created_at"),
        Index("ix_support_request_status_created_at", "status", "created_at"),
        Index("ix_support_request_assignee_id", "assignee_id"),
        Index("ix_support_request_suggestion_id", "suggestion_id"),
        Index("ix_support_request_created_at", "created_at"),
        # The deflection dashboard's "filed a request from the session" test reads only these.
        Index(
            "ix_support_request_deflection_session_id_created_at",
            "deflection_session_id",
            "created_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(24))
    priority: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default="new")
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # "Needs a feature": the suggestion this request waits for.
    suggestion_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestion.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The SLA targets in force when the request was filed (or its priority last changed).
    first_response_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolution_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deflection_session_id: Mapped[str | None] = mapped_column(
        ForeignKey("deflection_session.id", ondelete="SET NULL")
    )

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    suggestion: Mapped[Suggestion | None] = relationship()

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class SupportMessage(db.Model):
    """A public reply (the requester sees it) or an internal note (staff only)."""

    __tablename__ = "support_message"
    __table_args__ = (
        CheckConstraint("length(body) > 0", name="body_not_empty"),
        Index("ix_support_message_request_id_created_at", "request_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()


class SupportStatusChange(db.Model):
    """One step of a request's status history (for the backlog over time and the audit)."""

    __tablename__ = "support_status_change"
    __table_args__ = (
        CheckConstraint(f"from_status IN ({_listed(STATUSES)})", name="from_status_valid"),
        CheckConstraint(f"to_status IN ({_listed(STATUSES)})", name="to_status_valid"),
        CheckConstraint("from_status <> to_status", name="changes_status"),
        Index("ix_support_status_change_request_id_created_at", "request_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id", ondelete="CASCADE"))
    # None for the system (autoclose).
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    from_status: Mapped[str] = mapped_column(String(8))
    to_status: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    changed_by: Mapped[User | None] = relationship()


class SupportRating(db.Model):
    """The requester's CSAT rating of a solved request: one per request."""

    __tablename__ = "support_rating"
    __table_args__ = (
        UniqueConstraint("request_id"),
        CheckConstraint(f"score >= {RATING_MIN} AND score <= {RATING_MAX}", name="score_range"),
        CheckConstraint(
            f"score > {LOW_RATING} OR (reason IS NOT NULL AND length(reason) > 0)",
            name="low_score_has_reason",
        ),
        Index("ix_support_rating_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    # VADER compound score of reason and comment (feedback.sentiment); None without text.
    sentiment: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SlaTarget(db.Model):
    """An admin's SLA target for one priority, in calendar hours (defaults apply without one)."""

    __tablename__ = "sla_target"
    __table_args__ = (
        CheckConstraint(f"priority IN ({_listed(PRIORITIES)})", name="priority_valid"),
        CheckConstraint("first_response_hours > 0", name="first_response_positive"),
        CheckConstraint("resolution_hours >= first_response_hours", name="resolution_after"),
    )

    priority: Mapped[str] = mapped_column(String(8), primary_key=True)
    first_response_hours: Mapped[int] = mapped_column(Integer)
    resolution_hours: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class DeflectionSession(db.Model):
    """One visit to the request form: what it showed and what the member did with it."""

    __tablename__ = "deflection_session"
    __table_args__ = (Index("ix_deflection_session_started_at", "started_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A request filed from this session before then means the matches did not deflect it.
    window_ends_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeflectionEvent(db.Model):
    """Something that happened in a form session; each (kind, target) is logged once."""

    __tablename__ = "deflection_event"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_listed(DEFLECTION_KINDS)})", name="kind_valid"),
        CheckConstraint(f"target_type IN ({_listed(DEFLECTION_TARGETS)})", name="target_valid"),
        UniqueConstraint("session_id", "kind", "target_type", "target_id"),
        Index("ix_deflection_event_kind_created_at", "kind", "created_at"),
        Index("ix_deflection_event_kind_session_id", "kind", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("deflection_session.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    # "" and 0 when the event has no target (solved, submitted), so the unique key holds.
    target_type: Mapped[str] = mapped_column(String(10), default="")
    target_id: Mapped[int] = mapped_column(Integer, default=0)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_request.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
