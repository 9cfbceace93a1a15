"""Announcements: news that leads post in Markdown and everyone reads on the home page.

The model and its use cases share a module because the feature is small; the services own the
transaction and refuse bad input with an AnnouncementError that carries the user's message.
Deleting is a hard delete: nothing refers to an announcement, and the log keeps who did it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from kudos.database import commit
from kudos.extensions import db
from kudos.models import Role, User, UTCDateTime, utcnow

log = logging.getLogger(__name__)

TITLE_MAX = 150
BODY_MAX = 20_000
HOME_COUNT = 5
PER_PAGE = 10
WRITERS = (Role.LEAD, Role.ADMIN)


class Announcement(db.Model):
    """A piece of news from the Cloud Foundation, with who wrote and who last edited it."""

    __tablename__ = "announcement"
    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint("length(body) > 0", name="body_not_empty"),
        Index("ix_announcement_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    # Kept when the author's account goes, so the news stays on the page.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="raise")
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id], lazy="raise")

    def __repr__(self) -> str:
        return f"<Announcement {self.id} {self.title!r}>"


class AnnouncementError(Exception):
    """A request about announcements that cannot be carried out, with the reason for the user."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def clean_title(raw: str | None) -> str:
    """Return the title with its whitespace collapsed, or refuse it."""
    title = " ".join((raw or "").split())
    if not title:
        raise AnnouncementError("Give the announcement a title.", "title")
    if len(title) > TITLE_MAX:
        raise AnnouncementError(f"A title has at most {TITLE_MAX} characters.", "title")
    return title


def clean_body(raw: str | None) -> str:
    """Return the Markdown body without surrounding blank space, or refuse it."""
    body = (raw or "").strip()
    if not body:
        raise AnnouncementError("Write the text of the announcement.", "body")
    if len(body) > BODY_MAX:
        raise AnnouncementError(f"The text has at most {BODY_MAX} characters.", "body")
    return body


def _check_writer(user: User) -> None:
    if getattr(user, "role", None) not in WRITERS:
        raise AnnouncementError("Only leads and admins can post announcements.", status=403)


def _with_people():
    return select(Announcement).options(
        selectinload(Announcement.author), selectinload(Announcement.updated_by)
    )


def get(announcement_id: int) -> Announcement:
    """Return one announcement with its author and editor, or refuse with a 404."""
    announcement = db.session.scalars(
        _with_people().where(Announcement.id == announcement_id)
    ).one_or_none()
    if announcement is None:
        raise AnnouncementError("There is no such announcement.", status=404)
    return announcement


def newest(limit: int = HOME_COUNT) -> list[Announcement]:
    """Return the latest announcements, newest first, for the home page."""
    query = _with_people().order_by(Announcement.created_at.desc(), Announcement.id.desc())
    return list(db.session.scalars(query.limit(limit)))


def page_of(page: int = 1, per_page: int = PER_PAGE) -> Pagination:
    """Return one page of all announcements, newest first."""
    query = _with_people().order_by(Announcement.created_at.desc(), Announcement.id.desc())
    return db.paginate(query, page=max(1, page), per_page=per_page, error_out=False)


def create(
    author: User, title: str | None, body: str | None, *, at: datetime | None = None
) -> Announcement:
    """Post an announcement as a lead or admin."""
    _check_writer(author)
    announcement = Announcement(
        title=clean_title(title),
        body=clean_body(body),
        author_id=author.id,
        created_at=at or utcnow(),
    )
    db.session.add(announcement)
    commit()
    log.info("User %s posted announcement %s", author.id, announcement.id)
    return announcement


def edit(
    editor: User,
    announcement_id: int,
    title: str | None,
    body: str | None,
    *,
    at: datetime | None = None,
) -> Announcement:
    """Change an announcement's title and text, recording when and by whom."""
    _check_writer(editor)
    title, body = clean_title(title), clean_body(body)
    announcement = get(announcement_id)
    if (title, body) == (announcement.title, announcement.body):
        return announcement  # nothing to record
    announcement.title = title
    announcement.body = body
    announcement.updated_at = at or utcnow()
    announcement.updated_by_id = editor.id
    commit()
    log.info("User %s edited announcement %s", editor.id, announcement_id)
    return announcement


def delete(user: User, announcement_id: int) -> None:
    """Remove an announcement for good."""
    _check_writer(user)
    announcement = get(announcement_id)
    db.session.delete(announcement)
    commit()
    log.info("User %s deleted announcement %s (%r)", user.id, announcement_id, announcement.title)
