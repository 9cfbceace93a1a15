"""Models of the Q&A and of the engagement engine (ledger, rollups, rules)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kudos.extensions import db
from kudos.models import User, UTCDateTime, utcnow

# ---------------------------------------------------------------------------------------------
# The engine

PERIODS = ("week", "month", "quarter", "year")


class PointRule(db.Model):
    """A rule version set by an admin; version 1 of every rule is the code's default."""

    __tablename__ = "point_rule"
    __table_args__ = (UniqueConstraint("action", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    points: Mapped[int]
    capped: Mapped[bool] = mapped_column(Boolean)
    daily_limit: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class PointEvent(db.Model):
    """One immutable ledger row: who got how many points, why, and under which rule."""

    __tablename__ = "point_event"
    __table_args__ = (
        Index("ix_point_event_user_id_day", "user_id", "day"),
        Index("ix_point_event_user_id_action_day", "user_id", "action", "day"),
        Index("ix_point_event_question_id", "question_id"),
        Index("ix_point_event_source", "source_type", "source_id"),
        CheckConstraint("applied * requested >= 0", name="applied_same_sign"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))
    rule_version: Mapped[int]
    requested: Mapped[int]
    applied: Mapped[int]
    # True when the row counts towards the daily cap (its rule is capped).
    capped: Mapped[bool] = mapped_column(Boolean)
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source_type: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int | None]
    question_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # The event that caused this row; unique so that a retry can never pay twice.
    event_key: Mapped[str] = mapped_column(String(120), unique=True)
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("point_event.id", ondelete="RESTRICT"), unique=True
    )
    note: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    question: Mapped[Question | None] = relationship(foreign_keys=[question_id])


class PointDay(db.Model):
    """Per user and UTC day: net points, and the part that counts towards the daily cap."""

    __tablename__ = "point_day"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    points: Mapped[int] = mapped_column(default=0)
    capped_points: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PointPeriod(db.Model):
    """Per user and calendar period (UTC week, month, quarter, year): points and when reached."""

    __tablename__ = "point_period"
    __table_args__ = (
        CheckConstraint("period IN ('week', 'month', 'quarter', 'year')", name="period_valid"),
        # In board order (points down, then who reached them first), so that a board, a
        # rank's neighbours and the ties before a rank are each read in one index range.
        Index(
            "ix_point_period_rank",
            "period",
            "start",
            text("points DESC"),
            "reached_at",
            "user_id",
        ),
    )

    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    points: Mapped[int] = mapped_column(default=0)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BoardVersion(db.Model):
    """One row counting the commits that changed a leaderboard (see gamify/board_cache.py)."""

    __tablename__ = "board_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class UserScore(db.Model):
    """A user's total (everyone starts at 1), kept equal to 1 + the sum of their ledger."""

    __tablename__ = "user_score"
    __table_args__ = (
        CheckConstraint("total >= 1", name="total_floor"),
        Index("ix_user_score_rank", text("total DESC"), "reached_at", "user_id"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    total: Mapped[int] = mapped_column(default=1)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# ---------------------------------------------------------------------------------------------
# Community Q&A

question_tag = Table(
    "question_tag",
    db.metadata,
    Column("question_id", ForeignKey("post.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_question_tag_tag_id", "tag_id"),
)


class Tag(db.Model):
    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(35), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    question_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AnswerTagScore(db.Model):
    """Per member and tag: the summed score of their live answers to live questions in it.

    What the tag badges measure, kept by the Q&A services in the transaction that changes it
    (a vote, a deletion, a retag; see gamify.tag_scores), so that a vote's badge check reads
    a row per tag instead of every answer its author ever wrote.
    """

    __tablename__ = "answer_tag_score"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[int] = mapped_column(default=0)


class Post(db.Model):
    """A question or an answer (one table, as on Stack Exchange)."""

    __tablename__ = "post"
    __table_args__ = (
        CheckConstraint("kind IN ('question', 'answer')", name="kind_valid"),
        CheckConstraint(
            "(kind = 'question' AND parent_id IS NULL AND title IS NOT NULL)"
            " OR (kind = 'answer' AND parent_id IS NOT NULL)",
            name="shape_valid",
        ),
        Index("ix_post_kind_created_at", "kind", "created_at"),
        Index("ix_post_kind_last_activity_at", "kind", "last_activity_at"),
        Index("ix_post_parent_id", "parent_id"),
        Index("ix_post_author_id", "author_id"),
    )
    __mapper_args__ = {"polymorphic_on": "kind"}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    title: Mapped[str | None] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    author: Mapped[User] = relationship(foreign_keys=[author_id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Question(Post):
    __mapper_args__ = {"polymorphic_identity": "question"}

    accepted_answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("post.id", ondelete="SET NULL")
    )
    answer_count: Mapped[int] = mapped_column(default=0, nullable=True)
    view_count: Mapped[int] = mapped_column(default=0, nullable=True)

    tags: Mapped[list[Tag]] = relationship(secondary=question_tag, order_by=Tag.name)


class Answer(Post):
    __mapper_args__ = {"polymorphic_identity": "answer"}

    question: Mapped[Question] = relationship(
        foreign_keys=[Post.parent_id], remote_side=[Post.id], viewonly=True
    )


class Vote(db.Model):
    """An up (+1) or down (-1) vote; a retracted vote is kept, and a new vote is a new row."""

    __tablename__ = "vote"
    __table_args__ = (
        CheckConstraint("value IN (-1, 1)", name="value_valid"),
        Index(
            "uq_vote_active",
            "post_id",
            "voter_id",
            unique=True,
            sqlite_where=text("retracted_at IS NULL"),
            postgresql_where=text("retracted_at IS NULL"),
        ),
        Index("ix_vote_voter_id_created_at", "voter_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    value: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Comment(db.Model):
    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_post_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User] = relationship()


class PostRevision(db.Model):
    """What a post looked like after each edit (revision 1 is the original)."""

    __tablename__ = "post_revision"
    __table_args__ = (UniqueConstraint("post_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    number: Mapped[int]
    editor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    title: Mapped[str | None] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    editor: Mapped[User] = relationship()


# ---------------------------------------------------------------------------------------------
# Badges

TIERS = ("bronze", "silver", "gold")


class Badge(db.Model):
    """A badge definition: what it is called and which criterion, with which parameters."""

    __tablename__ = "badge"
    __table_args__ = (CheckConstraint("tier IN ('bronze', 'silver', 'gold')", name="tier_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    tier: Mapped[str] = mapped_column(String(6))
    group: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300))
    criterion: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BadgeAward(db.Model):
    """One badge given to one user for one source (a post, a tag, or "" for once-badges)."""

    __tablename__ = "badge_award"
    __table_args__ = (
        UniqueConstraint("user_id", "badge_id", "source_key"),
        Index("ix_badge_award_badge_id_awarded_at", "badge_id", "awarded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    badge_id: Mapped[int] = mapped_column(ForeignKey("badge.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    source_key: Mapped[str] = mapped_column(String(80), default="")
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="SET NULL"))
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Salt of the hashed recipient email in the Open Badges assertion.
    salt: Mapped[str] = mapped_column(String(32))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(300))
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    badge: Mapped[Badge] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


# ---------------------------------------------------------------------------------------------
# Imported communities

LINK_KINDS = ("duplicate", "linked")


class PostLink(db.Model):
    """A question marked as a duplicate of another, or linked to it (as on Stack Exchange)."""

    __tablename__ = "post_link"
    __table_args__ = (
        CheckConstraint("kind IN ('duplicate', 'linked')", name="kind_valid"),
        CheckConstraint("post_id <> related_id", name="not_self"),
        UniqueConstraint("post_id", "related_id", "kind"),
        Index("ix_post_link_related_id", "related_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    related_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ImportedRow(db.Model):
    """Which local row an imported object became: re-importing the same dump finds it here."""

    __tablename__ = "imported_row"

    source: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    original_id: Mapped[int] = mapped_column(primary_key=True)
    local_id: Mapped[int]
