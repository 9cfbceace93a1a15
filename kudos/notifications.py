"""In-app notifications: the one system every feature uses to tell a user something."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from kudos.database import dialect_insert
from kudos.extensions import db
from kudos.models import Notification, utcnow

PER_PAGE = 30


def notify(
    user_id: int,
    kind: str,
    text: str,
    *,
    link: str | None = None,
    key: str | None = None,
    read: bool = False,
    at: datetime | None = None,
) -> None:
    """Queue a notification in the caller's transaction; a repeated key is ignored.

    read=True files it as already read (backfilled badges must not flood anyone); at dates it
    (the time of the event, for events loaded with their own time such as demo data).
    """
    insert = dialect_insert(Notification)
    now = at or utcnow()
    statement = insert.values(
        user_id=user_id,
        kind=kind,
        text=text[:300],
        link=link,
        key=key,
        created_at=now,
        read_at=now if read else None,
    )
    if key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["key"])
    db.session.execute(statement)


def unread_count(user_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def get_for(user_id: int, notification_id: int) -> Notification | None:
    """Return one of the user's notifications (None for someone else's)."""
    return db.session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )


def page_for(user_id: int, page: int, per_page: int = PER_PAGE):
    """Page through a user's notifications, newest first."""
    statement = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; return how many changed."""
    statement = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    changed = db.session.execute(statement.values(read_at=utcnow())).rowcount
    db.session.commit()
    return changed
