"""Models of the suggestions board: suggestions, votes, comments, status history, followers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gamify.models import Tag
from kudos.extensions import db
from kudos.models import User, UTCDateTime, utcnow

STATUSES = (
    "open",
    "under_review",
    "planned",
    "in_progress",
    "completed",
    "declined",
    "duplicate",
)
# Decided suggestions take no votes: the decision is made (or they live on in the original).
CLOSED_STATUSES = ("completed", "declined", "duplicate")
TITLE_MIN, TITLE_MAX = 10, 150

_STATUS_LIST = ", ".join(f"'{status}'" for status in STATUSES)

suggestion_tag = Table(
    "suggestion_tag",
    db.metadata,
    Column("suggestion_id", ForeignKey("suggestion.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_suggestion_tag_tag_id", "tag_id"),
)


class Suggestion(db.Model):
    """An idea for the Cloud Foundation, voted on by members and triaged by leads."""

    __tablename__ = "suggestion"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_LIST})", name="status_valid"),
        CheckConstraint(
            f"length(title) >= {TITLE_MIN} AND length(title) <= {TITLE_MAX}", name="title_length"
        ),
        CheckConstraint("vote_count >= 0", name="vote_count_nonnegative"),
        CheckConstraint("comment_count >= 0", name="comment_count_nonnegative"),
        # A duplicate always names its original, and only a duplicate does.
        CheckConstraint(
            "(status = 'duplicate' AND duplicate_of_id IS NOT NULL)"
            " OR (status <> 'duplicate' AND duplicate_of_id IS NULL)",
            name="duplicate_shape",
        ),
        CheckConstraint(
            "duplicate_of_id IS NULL OR duplicate_of_id <> id", name="not_own_duplicate"
        ),
        Index("ix_suggestion_status_vote_count", "status", "vote_count"),
        # Covers the dashboards' reads by creation date: status and votes need no row lookup.
        Index("ix_suggestion_created_at_status_vote_count", "created_at", "status", "vote_count"),
        Index("ix_suggestion_author_id", "author_id"),
        Index("ix_suggestion_duplicate_of_id", "duplicate_of_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestion.id", ondelete="RESTRICT")
    )
    vote_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    tags: Mapped[list[Tag]] = relationship(secondary=suggestion_tag, order_by=Tag.name)
    duplicate_of: Mapped[Suggestion | None] = relationship(
        foreign_keys=[duplicate_of_id], remote_side=[id]
    )

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def status_label(self) -> str:
        return status_label(self.status)


def status_label(status: str | None) -> str:
    """Say a status the way a member reads it ("in progress")."""
    return (status or "").replace("_", " ")


class SuggestionVote(db.Model):
    """A member's vote; one per member and suggestion, removed when withdrawn."""

    __tablename__ = "suggestion_vote"
    __table_args__ = (
        UniqueConstraint("suggestion_id", "voter_id"),
        Index("ix_suggestion_vote_voter_id", "voter_id"),
        Index("ix_suggestion_vote_suggestion_id_created_at", "suggestion_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The duplicate this vote was cast on before it was merged here.
    merged_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestion.id", ondelete="SET NULL")
    )

    voter: Mapped[User] = relationship()


class SuggestionComment(db.Model):
    __tablename__ = "suggestion_comment"
    __table_args__ = (
        Index("ix_suggestion_comment_suggestion_id_created_at", "suggestion_id", "created_at"),
        Index("ix_suggestion_comment_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(Text)
    # VADER compound score of the body (feedback.sentiment), for aggregate trends only.
    sentiment: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()


class SuggestionStatusChange(db.Model):
    """One step of a suggestion's status history: who moved it, when, from, to, and why."""

    __tablename__ = "suggestion_status_change"
    __table_args__ = (
        CheckConstraint(f"from_status IN ({_STATUS_LIST})", name="from_status_valid"),
        CheckConstraint(f"to_status IN ({_STATUS_LIST})", name="to_status_valid"),
        CheckConstraint("from_status <> to_status", name="changes_status"),
        Index(
            "ix_suggestion_status_change_suggestion_id_created_at", "suggestion_id", "created_at"
        ),
        Index("ix_suggestion_status_change_to_status_created_at", "to_status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id", ondelete="CASCADE"))
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    changed_by: Mapped[User | None] = relationship()

    @property
    def from_label(self) -> str:
        return status_label(self.from_status)

    @property
    def to_label(self) -> str:
        return status_label(self.to_status)


class SuggestionFollow(db.Model):
    """Someone who hears about a suggestion's status changes; unfollowing keeps the row."""

    __tablename__ = "suggestion_follow"
    __table_args__ = (Index("ix_suggestion_follow_user_id", "user_id"),)

    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestion.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the member unfollowed: a later vote does not make them follow again.
    unfollowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
