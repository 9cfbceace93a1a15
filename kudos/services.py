"""Account use cases: registration, sign-in with rate limiting, settings, administration."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from kudos.extensions import db
from kudos.models import LoginFailure, Role, User, utcnow

log = logging.getLogger(__name__)

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256
DISPLAY_NAME_MAX_LENGTH = 80


class AccountError(Exception):
    """A request about an account that cannot be carried out, with the reason for the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class LoginThrottled(Exception):
    """Too many failed sign-ins for this account or address; retry after the given time."""

    def __init__(self, until: datetime):
        super().__init__(f"locked until {until.isoformat()}")
        self.until = until

    @property
    def retry_after(self) -> int:
        return max(1, int((self.until - utcnow()).total_seconds()) + 1)


def normalize_email(raw: str) -> str:
    """Return the canonical (lower-case) form of an email address, or raise AccountError."""
    try:
        checked = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError(f"That email address is not valid: {exc}", "email") from exc
    return checked.normalized.lower()


def clean_display_name(raw: str) -> str:
    """Return a display name without surrounding spaces, or raise AccountError."""
    name = " ".join((raw or "").split())
    if not name:
        raise AccountError("Enter a display name.", "display_name")
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise AccountError(
            f"A display name has at most {DISPLAY_NAME_MAX_LENGTH} characters.", "display_name"
        )
    return name


def check_password_policy(password: str, field: str = "password") -> None:
    """Raise AccountError when a new password is too short or too long."""
    if len(password or "") < PASSWORD_MIN_LENGTH:
        raise AccountError(f"A password needs at least {PASSWORD_MIN_LENGTH} characters.", field)
    if len(password) > PASSWORD_MAX_LENGTH:
        raise AccountError(f"A password has at most {PASSWORD_MAX_LENGTH} characters.", field)


def email_taken(email: str) -> bool:
    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def create_user(
    email: str, display_name: str, password: str | None, role: str = Role.MEMBER
) -> User:
    """Create an account (password None: one that cannot log in yet) and commit it."""
    email = normalize_email(email)
    display_name = clean_display_name(display_name)
    if role not in {r.value for r in Role}:
        raise AccountError(f"Unknown role {role!r}: use member, lead or admin.", "role")
    if password is not None:
        check_password_policy(password)
    if email_taken(email):
        raise AccountError("An account with that email address already exists.", "email")
    user = User(email=email, display_name=display_name, role=Role(role).value)
    if password is not None:
        user.set_password(password)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as exc:
        # Two registrations raced past the check above; the unique key settled it.
        db.session.rollback()
        raise AccountError("An account with that email address already exists.", "email") from exc
    log.info("Created account %s (%s)", user.id, user.role)
    return user


def register(email: str, display_name: str, password: str) -> User:
    """Sign a new member up."""
    return create_user(email, display_name, password, Role.MEMBER)


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["LOGIN_RATE_WINDOW"])


def _locked_until(column, value: str, now: datetime) -> datetime | None:
    """Return when the lock on one key lifts, or None when it is not locked."""
    limit = current_app.config["LOGIN_RATE_LIMIT"]
    # The lock lifts when the limit-th most recent failure leaves the window.
    nth = db.session.scalar(
        select(LoginFailure.at)
        .where(column == value, LoginFailure.at > now - _window())
        .order_by(LoginFailure.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    return nth + _window() if nth is not None else None


def login_lock(email: str, address: str) -> datetime | None:
    """Return until when sign-in is refused for this account or address, or None."""
    now = utcnow()
    locks = [
        _locked_until(LoginFailure.email, email.strip().lower(), now),
        _locked_until(LoginFailure.address, address, now),
    ]
    locks = [lock for lock in locks if lock is not None]
    return max(locks) if locks else None


def _record_failure(email: str, address: str) -> None:
    now = utcnow()
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - _window()))
    db.session.add(LoginFailure(email=email[:254], address=address, at=now))
    db.session.commit()


def authenticate(email: str, password: str, address: str) -> User:
    """Return the user these credentials belong to, or raise LoginThrottled or AccountError."""
    key = (email or "").strip().lower()
    until = login_lock(key, address)
    if until is not None:
        raise LoginThrottled(until)
    user = db.session.scalar(select(User).where(User.email == key))
    if user is None or not user.check_password(password or ""):
        _record_failure(key, address)
        raise AccountError("Email or password is incorrect.")
    if user.is_suspended:
        raise AccountError(
            "This account is suspended. Contact an administrator to have it restored."
        )
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == key))
    db.session.commit()
    return user


def change_display_name(user: User, display_name: str) -> User:
    """Rename an account."""
    user.display_name = clean_display_name(display_name)
    db.session.commit()
    return user


def change_password(user: User, current_password: str, new_password: str) -> User:
    """Set a new password after checking the current one; other sessions end."""
    if not user.check_password(current_password or ""):
        raise AccountError("The current password is not correct.", "current_password")
    check_password_policy(new_password, "new_password")
    user.set_password(new_password)
    db.session.commit()
    return user


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def search_users(query: str, page: int, per_page: int):
    """Page through accounts whose email or display name contains query."""
    statement = select(User).order_by(User.created_at.desc(), User.id.desc())
    query = (query or "").strip()
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            or_(User.email.like(pattern), func.lower(User.display_name).like(pattern))
        )
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def _refuse_self(actor: User, user: User, action: str) -> None:
    if actor.id == user.id:
        raise AccountError(f"You cannot {action} your own account.")


def set_role(actor: User, user: User, role: str) -> User:
    """Give an account another role."""
    if role not in {r.value for r in Role}:
        raise AccountError(f"Unknown role {role!r}: use member, lead or admin.", "role")
    _refuse_self(actor, user, "change the role of")
    user.role = role
    db.session.commit()
    log.info("User %s set role of %s to %s", actor.id, user.id, role)
    return user


def suspend(actor: User, user: User) -> User:
    """Suspend an account: it can no longer log in and its sessions end."""
    _refuse_self(actor, user, "suspend")
    if user.suspended_at is None:
        user.suspended_at = utcnow()
        db.session.commit()
        log.info("User %s suspended %s", actor.id, user.id)
    return user


def restore(actor: User, user: User) -> User:
    """Lift a suspension."""
    if user.suspended_at is not None:
        user.suspended_at = None
        db.session.commit()
        log.info("User %s restored %s", actor.id, user.id)
    return user


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0
