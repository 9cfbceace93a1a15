"""Support request use cases: file, reply, note, assign, change status, rate, autoclose; the
SLA targets and states; and the deflection log of the request form.

Each public function that writes owns its transaction: it validates, writes its rows, the
requester's notifications, the points and the follow-ups, then commits, or raises
SupportError and leaves the database unchanged. Internal notes never reach the requester:
no notification mentions them and every reader for the requester filters them out in SQL.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from feedback import boards, followups, sentiment
from feedback import suggestions as suggestion_services
from feedback.models import Suggestion
from feedback.support_models import (
    ACTIVE_STATUSES,
    CATEGORIES,
    DEFLECTION_TARGETS,
    LOW_RATING,
    PRIORITIES,
    RATING_MAX,
    RATING_MIN,
    STATUSES,
    SUBJECT_MAX,
    SUBJECT_MIN,
    DeflectionEvent,
    DeflectionSession,
    SlaTarget,
    SupportMessage,
    SupportRating,
    SupportRequest,
    SupportStatusChange,
)
from gamify import badges, engine
from gamify.models import Question
from gamify.search import similar_questions
from kudos.database import commit, dialect_insert, lock_row, retry_transient
from kudos.extensions import db
from kudos.models import Role, User, utcnow
from kudos.notifications import notify

log = logging.getLogger(__name__)

DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 20_000
MESSAGE_MAX = 20_000
COMMENT_MAX = 2_000
SLA_HOURS_MAX = 24 * 90
# Calendar hours: (first response, resolution) per priority, until an admin changes them.
DEFAULT_SLA = {"urgent": (1, 8), "high": (4, 24), "normal": (8, 72), "low": (24, 120)}
# A request is at risk when less than this share of its target time is left.
AT_RISK_SHARE = 0.25
AUTOCLOSE_AFTER = timedelta(days=7)
DEFLECTION_WINDOW = timedelta(days=7)
MATCH_LIMIT = 5
# The statuses a lead may move a request to from each status; closed is final.
TRANSITIONS = {
    "new": ("open", "pending", "solved", "closed"),
    "open": ("pending", "solved", "closed"),
    "pending": ("open", "solved", "closed"),
    "solved": ("open", "closed"),
    "closed": (),
}


class SupportError(Exception):
    """A request the help desk cannot carry out, with the reason for the user."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


class NotFound(SupportError):
    def __init__(self, message: str = "There is no such support request."):
        super().__init__(message, status=404)


# ---------------------------------------------------------------------------------------------
# Validation


def _require_staff(user: User) -> None:
    if not user.is_staff:
        raise SupportError("Only leads can work support requests.", status=403)


def clean_subject(raw: str | None) -> str:
    subject = " ".join((raw or "").split())
    if len(subject) < SUBJECT_MIN:
        raise SupportError(f"A subject needs at least {SUBJECT_MIN} characters.", "subject")
    if len(subject) > SUBJECT_MAX:
        raise SupportError(
            f"A subject has at most {SUBJECT_MAX} characters; this one has {len(subject)}.",
            "subject",
        )
    return subject


def clean_text(raw: str | None, field: str, what: str, low: int, high: int) -> str:
    text = (raw or "").strip()
    if len(text) < low:
        raise SupportError(f"{what} needs at least {low} characters.", field)
    if len(text) > high:
        raise SupportError(f"{what} has at most {high} characters.", field)
    return text


def check_category(raw: str | None) -> str:
    if raw not in CATEGORIES:
        raise SupportError(
            f"There is no category “{raw}”; choose one of {', '.join(CATEGORIES.values())}.",
            "category",
        )
    return raw


def check_priority(raw: str | None) -> str:
    if raw not in PRIORITIES:
        raise SupportError(
            f"There is no priority “{raw}”; choose one of {', '.join(PRIORITIES)}.", "priority"
        )
    return raw


def check_status(raw: str | None) -> str:
    if raw not in STATUSES:
        raise SupportError(
            f"There is no status “{raw}”; choose one of {', '.join(STATUSES)}.", "status"
        )
    return raw


# ---------------------------------------------------------------------------------------------
# SLA


@dataclass(frozen=True)
class Sla:
    priority: str
    first_response_hours: int
    resolution_hours: int


def sla_targets() -> dict[str, Sla]:
    """Return the SLA target in force for every priority (an admin's, else the default)."""
    stored = {row.priority: row for row in db.session.scalars(select(SlaTarget))}
    targets = {}
    for priority in PRIORITIES:
        row = stored.get(priority)
        first, resolution = (
            (row.first_response_hours, row.resolution_hours) if row else DEFAULT_SLA[priority]
        )
        targets[priority] = Sla(priority, first, resolution)
    return targets


def set_sla_target(
    admin: User, priority: str, first_response_hours: int | None, resolution_hours: int | None
) -> Sla:
    """Change one priority's targets; they apply to requests filed from now on."""
    if not admin.is_admin:
        raise SupportError("Only admins can change the SLA targets.", status=403)
    priority = check_priority(priority)
    for value, field, what in (
        (first_response_hours, "first_response_hours", "first response"),
        (resolution_hours, "resolution_hours", "resolution"),
    ):
        if value is None or not 1 <= value <= SLA_HOURS_MAX:
            raise SupportError(
                f"The {what} target is a whole number of hours from 1 to {SLA_HOURS_MAX}.", field
            )
    if resolution_hours < first_response_hours:
        raise SupportError(
            "The resolution target cannot be shorter than the first response target.",
            "resolution_hours",
        )
    now = utcnow()
    db.session.execute(
        dialect_insert(SlaTarget)
        .values(
            priority=priority,
            first_response_hours=first_response_hours,
            resolution_hours=resolution_hours,
            updated_at=now,
            updated_by_id=admin.id,
        )
        .on_conflict_do_update(
            index_elements=["priority"],
            set_={
                "first_response_hours": first_response_hours,
                "resolution_hours": resolution_hours,
                "updated_at": now,
                "updated_by_id": admin.id,
            },
        )
    )
    commit()
    log.info("Admin %s set the %s SLA to %s h / %s h", admin.id, priority, first_response_hours,
             resolution_hours)  # fmt: skip
    return sla_targets()[priority]


def _set_dues(request: SupportRequest) -> None:
    target = sla_targets()[request.priority]
    request.first_response_due_at = request.created_at + timedelta(
        hours=target.first_response_hours
    )
    request.resolution_due_at = request.created_at + timedelta(hours=target.resolution_hours)


@dataclass(frozen=True)
class SlaState:
    """Where a request stands against one target: met, breached, at_risk, on_track."""

    first_response: str
    resolution: str

    @property
    def worst(self) -> str:
        for state in ("breached", "at_risk", "on_track"):
            if state in (self.first_response, self.resolution):
                return state
        return "met"


def _target_state(
    done_at: datetime | None, due_at: datetime, window: timedelta, running: bool, now: datetime
) -> str:
    if done_at is not None:
        return "met" if done_at <= due_at else "breached"
    if not running:
        return "met"
    if now > due_at:
        return "breached"
    if due_at - now < window * AT_RISK_SHARE:
        return "at_risk"
    return "on_track"


def sla_state(request: SupportRequest, now: datetime | None = None) -> SlaState:
    """Tell where a request stands against its first-response and resolution targets.

    A target is breached once its due time has passed without the event (a reply exactly at
    the due time meets it), and at risk when less than a quarter of its window is left.
    """
    now = now or utcnow()
    running = request.status in ACTIVE_STATUSES
    first_window = request.first_response_due_at - request.created_at
    resolution_window = request.resolution_due_at - request.created_at
    return SlaState(
        _target_state(
            request.first_response_at, request.first_response_due_at, first_window, running, now
        ),
        _target_state(
            request.solved_at, request.resolution_due_at, resolution_window, running, now
        ),
    )


def _sla_condition(state: str, now: datetime):
    """SQL for the active requests in an SLA state (breached or at_risk)."""
    active = SupportRequest.status.in_(ACTIVE_STATUSES)
    waiting = SupportRequest.first_response_at.is_(None)
    breached = or_(
        and_(waiting, SupportRequest.first_response_due_at < now),
        SupportRequest.resolution_due_at < now,
    )
    if state == "breached":
        return and_(active, breached)
    # At risk uses the current targets' windows, per priority.
    risky = []
    for priority, target in sla_targets().items():
        first = now + timedelta(hours=target.first_response_hours * AT_RISK_SHARE)
        resolution = now + timedelta(hours=target.resolution_hours * AT_RISK_SHARE)
        risky.append(
            and_(
                SupportRequest.priority == priority,
                or_(
                    and_(waiting, SupportRequest.first_response_due_at < first),
                    SupportRequest.resolution_due_at < resolution,
                ),
            )
        )
    return and_(active, ~breached, or_(*risky))


# ---------------------------------------------------------------------------------------------
# Deflection


@dataclass
class Matches:
    questions: list[Question]
    suggestions: list[Suggestion]


def start_session(user: User, *, at: datetime | None = None) -> str:
    """Open a form session for the member and return its id (kept in the form)."""
    session_id, at = secrets.token_hex(16), at or utcnow()
    db.session.add(
        DeflectionSession(
            id=session_id, user_id=user.id, started_at=at, window_ends_at=at + DEFLECTION_WINDOW
        )
    )
    commit()
    return session_id


def _own_session(user: User, session_id: str | None) -> DeflectionSession | None:
    if not session_id or len(session_id) > 32:
        return None
    session = db.session.get(DeflectionSession, session_id)
    return session if session is not None and session.user_id == user.id else None


def _log(
    session_id: str,
    kind: str,
    target_type: str = "",
    target_id: int = 0,
    *,
    request_id: int | None = None,
    at: datetime | None = None,
) -> None:
    db.session.execute(
        dialect_insert(DeflectionEvent)
        .values(
            session_id=session_id,
            kind=kind,
            target_type=target_type,
            target_id=target_id,
            request_id=request_id,
            created_at=at or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["session_id", "kind", "target_type", "target_id"])
    )


def matches(text: str) -> Matches:
    """Find answered questions and suggestions that may already solve what text describes."""
    questions = [
        question
        for question in similar_questions(text, limit=MATCH_LIMIT * 3)
        if question.accepted_answer_id is not None or (question.answer_count or 0) > 0
    ][:MATCH_LIMIT]
    return Matches(questions, boards.similar(text, limit=MATCH_LIMIT))


def show_matches(
    user: User, session_id: str | None, text: str, *, at: datetime | None = None
) -> Matches:
    """Find matches for the subject typed so far and log them as shown in the session."""
    found = matches(text) if len((text or "").strip()) >= 3 else Matches([], [])
    session = _own_session(user, session_id)
    if session is not None and (found.questions or found.suggestions):
        for question in found.questions:
            _log(session.id, "shown", "question", question.id, at=at)
        for suggestion in found.suggestions:
            _log(session.id, "shown", "suggestion", suggestion.id, at=at)
        commit()
    return found


def open_match(
    user: User, session_id: str, target_type: str, target_id: int, *, at: datetime | None = None
) -> str:
    """Log that the member opened a shown match, and return where it lives."""
    if target_type not in DEFLECTION_TARGETS or not target_type:
        raise SupportError("There is no such suggestion to open.", status=404)
    model = Question if target_type == "question" else Suggestion
    if db.session.get(model, target_id) is None:
        raise SupportError("There is no such suggestion to open.", status=404)
    session = _own_session(user, session_id)
    if session is not None:
        _log(session.id, "opened", target_type, target_id, at=at)
        commit()
    return f"/questions/{target_id}" if target_type == "question" else f"/suggestions/{target_id}"


def mark_solved(user: User, session_id: str, *, at: datetime | None = None) -> bool:
    """Log that a shown answer solved the member's problem; False for a foreign session."""
    session = _own_session(user, session_id)
    if session is None:
        return False
    _log(session.id, "solved", at=at)
    commit()
    return True


@dataclass(frozen=True)
class Deflection:
    sessions: int
    deflected: int

    @property
    def rate(self) -> float | None:
        return self.deflected / self.sessions if self.sessions else None


def deflection(start: datetime, end: datetime) -> Deflection:
    """Deflection of form sessions started in [start, end), as PRODUCT.md defines it.

    Sessions in which matches were shown, the member opened one and did not file a request
    on the form within 7 days, over the sessions in which matches were shown.
    """
    shown = (
        select(DeflectionEvent.session_id)
        .where(DeflectionEvent.kind == "shown")
        .distinct()
        .subquery()
    )
    sessions = (
        select(DeflectionSession.id, DeflectionSession.window_ends_at)
        .join(shown, shown.c.session_id == DeflectionSession.id)
        .where(DeflectionSession.started_at >= start, DeflectionSession.started_at < end)
        .subquery()
    )
    total = db.session.scalar(select(func.count()).select_from(sessions)) or 0
    opened = select(DeflectionEvent.id).where(
        DeflectionEvent.session_id == sessions.c.id, DeflectionEvent.kind == "opened"
    )
    filed = select(SupportRequest.id).where(
        SupportRequest.deflection_session_id == sessions.c.id,
        SupportRequest.created_at < sessions.c.window_ends_at,
    )
    deflected = (
        db.session.scalar(
            select(func.count()).select_from(sessions).where(opened.exists(), ~filed.exists())
        )
        or 0
    )
    return Deflection(total, deflected)


# ---------------------------------------------------------------------------------------------
# Reading


def get_visible(request_id: int, viewer: User) -> SupportRequest:
    """Return a request its requester or a lead may see; anyone else gets NotFound."""
    request = db.session.scalar(
        select(SupportRequest)
        .where(SupportRequest.id == request_id)
        .options(
            selectinload(SupportRequest.requester),
            selectinload(SupportRequest.assignee),
            selectinload(SupportRequest.suggestion),
        )
    )
    if request is None or not (viewer.is_staff or request.requester_id == viewer.id):
        raise NotFound()
    return request


def messages_for(request: SupportRequest, viewer: User) -> list[SupportMessage]:
    """The conversation the viewer may read: internal notes for staff only."""
    statement = (
        select(SupportMessage)
        .where(SupportMessage.request_id == request.id)
        .options(selectinload(SupportMessage.author))
        .order_by(SupportMessage.created_at, SupportMessage.id)
    )
    if not viewer.is_staff:
        statement = statement.where(SupportMessage.internal.is_(False))
    return list(db.session.scalars(statement))


def history_of(request: SupportRequest) -> list[SupportStatusChange]:
    return list(
        db.session.scalars(
            select(SupportStatusChange)
            .where(SupportStatusChange.request_id == request.id)
            .options(selectinload(SupportStatusChange.changed_by))
            .order_by(SupportStatusChange.created_at, SupportStatusChange.id)
        )
    )


def rating_of(request_id: int) -> SupportRating | None:
    return db.session.scalar(select(SupportRating).where(SupportRating.request_id == request_id))


def own_requests(user: User, page: int, per_page: int):
    """A member's own requests, newest first."""
    return db.paginate(
        select(SupportRequest)
        .where(SupportRequest.requester_id == user.id)
        .options(selectinload(SupportRequest.assignee))
        .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    category: str | None = None
    priority: str | None = None
    assignee: str | None = None  # a user id, "me" or "none"
    sla: str | None = None  # breached or at_risk


def check_filter(
    status: str | None,
    category: str | None,
    priority: str | None,
    assignee: str | None,
    sla: str | None,
) -> QueueFilter:
    """Validate the queue's filters, naming the one that is wrong."""
    if status and status not in (*STATUSES, "active"):
        raise SupportError(f"There is no status “{status}”.", "status")
    if category:
        check_category(category)
    if priority:
        check_priority(priority)
    if assignee and assignee not in ("me", "none") and not assignee.isdigit():
        raise SupportError("Filter by an assignee, “me” or “none”.", "assignee")
    if sla and sla not in ("breached", "at_risk"):
        raise SupportError("The SLA filter is “breached” or “at_risk”.", "sla")
    return QueueFilter(status or None, category or None, priority or None, assignee or None,
                       sla or None)  # fmt: skip


def queue(viewer: User, filters: QueueFilter, page: int, per_page: int, *, now=None):
    """The leads' queue: active requests first by due time, with the filters applied."""
    _require_staff(viewer)
    now = now or utcnow()
    statement = select(SupportRequest).options(
        selectinload(SupportRequest.requester), selectinload(SupportRequest.assignee)
    )
    if filters.status == "active" or filters.status is None:
        statement = statement.where(SupportRequest.status.in_(ACTIVE_STATUSES))
    else:
        statement = statement.where(SupportRequest.status == filters.status)
    if filters.category:
        statement = statement.where(SupportRequest.category == filters.category)
    if filters.priority:
        statement = statement.where(SupportRequest.priority == filters.priority)
    if filters.assignee == "me":
        statement = statement.where(SupportRequest.assignee_id == viewer.id)
    elif filters.assignee == "none":
        statement = statement.where(SupportRequest.assignee_id.is_(None))
    elif filters.assignee:
        statement = statement.where(SupportRequest.assignee_id == int(filters.assignee))
    if filters.sla:
        statement = statement.where(_sla_condition(filters.sla, now))
    statement = statement.order_by(SupportRequest.resolution_due_at, SupportRequest.id)
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def staff_members() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_((Role.LEAD, Role.ADMIN)), User.suspended_at.is_(None))
            .order_by(User.display_name)
        )
    )


# ---------------------------------------------------------------------------------------------
# Writing


def _lock(request_id: int) -> SupportRequest:
    """Hold the request for this transaction and read it fresh (NotFound if missing)."""
    request = lock_row(SupportRequest, request_id, SupportRequest.updated_at)
    if request is None:
        db.session.rollback()
        raise NotFound()
    return request


def _link(request: SupportRequest) -> str:
    return f"/support/{request.id}"


def _tell_requester(request: SupportRequest, kind: str, text: str, key: str, at: datetime):
    notify(request.requester_id, kind, text, link=_link(request), key=key, at=at)


@retry_transient()
def file_request(
    requester: User,
    subject: str,
    description: str,
    category: str,
    priority: str,
    *,
    session_id: str | None = None,
    at: datetime | None = None,
) -> SupportRequest:
    """File a request; its SLA due times are set from the targets in force now."""
    at = at or utcnow()
    subject = clean_subject(subject)
    description = clean_text(
        description, "description", "A description", DESCRIPTION_MIN, DESCRIPTION_MAX
    )
    category, priority = check_category(category), check_priority(priority)
    session = _own_session(requester, session_id)
    request = SupportRequest(
        requester_id=requester.id,
        subject=subject,
        description=description,
        category=category,
        priority=priority,
        status="new",
        created_at=at,
        updated_at=at,
        deflection_session_id=session.id if session else None,
    )
    _set_dues(request)
    db.session.add(request)
    db.session.flush()
    if session is not None:
        _log(session.id, "submitted", request_id=request.id, at=at)
    commit()
    log.info("User %s filed support request %s", requester.id, request.id)
    return request


def _move(request: SupportRequest, actor: User | None, to: str, at: datetime) -> None:
    """Move a locked request to a status with its history row, times and notifications."""
    change = SupportStatusChange(
        request_id=request.id,
        changed_by_id=actor.id if actor else None,
        from_status=request.status,
        to_status=to,
        created_at=at,
    )
    db.session.add(change)
    request.status = to
    request.updated_at = at
    if to == "solved":
        request.solved_at = at
    elif to in ACTIVE_STATUSES:
        request.solved_at = None  # reopened: the resolution time is the final solve
    if to == "closed":
        request.closed_at = at
    db.session.flush()
    change_id = change.id
    if actor is not None and actor.id == request.requester_id:
        return
    if to == "solved" and rating_of(request.id) is None:
        text = f"Your request “{request.subject}” is solved. How did we do? Rate the help you got."
        _tell_requester(request, "support_solved", text, f"support-status:{change_id}", at)
    else:
        _tell_requester(
            request,
            "support_status",
            f"Your request “{request.subject}” is now {to}.",
            f"support-status:{change_id}",
            at,
        )


@retry_transient()
def reply(
    request_id: int,
    author: User,
    body: str,
    *,
    internal: bool = False,
    status: str | None = None,
    at: datetime | None = None,
) -> SupportMessage:
    """Add a public reply or (staff) an internal note, optionally moving the status.

    A lead's first public reply sets the first response time (notes never do). A new request
    answered publicly becomes open; a requester's reply reopens a pending or solved one.
    """
    at = at or utcnow()
    body = clean_text(body, "body", "A reply", 2, MESSAGE_MAX)
    if status:
        status = check_status(status)
    request = _lock(request_id)
    try:
        if not (author.is_staff or author.id == request.requester_id):
            raise NotFound()
        if internal and not author.is_staff:
            raise SupportError("Only leads can write internal notes.", status=403)
        if status and not author.is_staff:
            raise SupportError("Only leads can change a request's status.", status=403)
        if request.status == "closed":
            raise SupportError(
                "This request is closed; file a new one and mention this one.", status=409
            )
        message = SupportMessage(
            request_id=request.id, author_id=author.id, body=body, internal=internal, created_at=at
        )
        db.session.add(message)
        request.updated_at = at
        staff_reply = author.is_staff and author.id != request.requester_id
        if staff_reply and not internal and request.first_response_at is None:
            request.first_response_at = at
        db.session.flush()
        if staff_reply and not internal:
            _tell_requester(
                request,
                "support_reply",
                f"{author.display_name} replied to your request “{request.subject}”.",
                f"support-reply:{message.id}",
                at,
            )
        target = status
        if target is None and staff_reply and not internal and request.status == "new":
            target = "open"
        if target is None and not author.is_staff and request.status in ("pending", "solved"):
            target = "open"
        if target and target != request.status:
            _check_transition(request, target)
            _move(request, author, target, at)
    except SupportError:
        db.session.rollback()
        raise
    commit()
    return message


def _check_transition(request: SupportRequest, to: str) -> None:
    if to not in TRANSITIONS[request.status]:
        if request.status == "closed":
            raise SupportError("A closed request stays closed.", "status", status=409)
        raise SupportError(f"A {request.status} request cannot move to {to}.", "status")


@retry_transient()
def change_status(
    request_id: int, lead: User, to: str, *, at: datetime | None = None
) -> SupportRequest:
    """Move a request to another status (leads); solving asks the requester for a rating."""
    at = at or utcnow()
    _require_staff(lead)
    to = check_status(to)
    request = _lock(request_id)
    try:
        if request.status == to:
            raise SupportError(f"The request is already {to}.", "status")
        _check_transition(request, to)
        _move(request, lead, to, at)
    except SupportError:
        db.session.rollback()
        raise
    commit()
    log.info("Lead %s moved support request %s to %s", lead.id, request_id, to)
    return request


@retry_transient()
def assign(
    request_id: int, lead: User, assignee_id: int | None, *, at: datetime | None = None
) -> SupportRequest:
    """Give a request to a lead (or to nobody); the new assignee is told."""
    at = at or utcnow()
    _require_staff(lead)
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if assignee_id and (assignee is None or not assignee.is_staff or assignee.is_suspended):
        raise SupportError("Assign the request to an active lead.", "assignee")
    request = _lock(request_id)
    request.assignee_id = assignee.id if assignee else None
    request.updated_at = at
    if assignee is not None and assignee.id != lead.id:
        notify(
            assignee.id,
            "support_assigned",
            f"{lead.display_name} assigned you the request “{request.subject}”.",
            link=_link(request),
            at=at,
        )
    commit()
    return request


@retry_transient()
def set_priority(
    request_id: int, lead: User, priority: str, *, at: datetime | None = None
) -> SupportRequest:
    """Change a request's priority; its SLA due times follow the new priority's targets."""
    _require_staff(lead)
    priority = check_priority(priority)
    request = _lock(request_id)
    request.priority = priority
    request.updated_at = at or utcnow()
    _set_dues(request)
    commit()
    return request


@retry_transient()
def link_suggestion(
    request_id: int, lead: User, suggestion_id: int | None, *, at: datetime | None = None
) -> SupportRequest:
    """Record that a request needs a feature; its requester then follows that suggestion."""
    at = at or utcnow()
    _require_staff(lead)
    request = _lock(request_id)
    try:
        if suggestion_id:
            suggestion = db.session.get(Suggestion, suggestion_id)
            if suggestion is None:
                raise SupportError(f"There is no suggestion #{suggestion_id}.", "suggestion")
            if suggestion.status == "duplicate":
                suggestion = db.session.get(Suggestion, suggestion.duplicate_of_id)
            request.suggestion_id = suggestion.id
            suggestion_services.add_followers(suggestion.id, [request.requester_id], at)
            _tell_requester(
                request,
                "support_linked",
                f"Your request “{request.subject}” needs a new feature: you now follow the "
                f"suggestion “{suggestion.title}”.",
                f"support-link:{request.id}:{suggestion.id}",
                at,
            )
        else:
            request.suggestion_id = None
        request.updated_at = at
    except SupportError:
        db.session.rollback()
        raise
    commit()
    return request


@retry_transient()
def rate(
    request_id: int,
    user: User,
    score: int | None,
    comment: str | None = None,
    reason: str | None = None,
    *,
    at: datetime | None = None,
) -> SupportRating:
    """Rate a solved request once (1 to 5; a reason when 3 or lower), for +1 point.

    A low rating joins the leads' follow-up queue in the same transaction.
    """
    at = at or utcnow()
    if score is None or not RATING_MIN <= score <= RATING_MAX:
        raise SupportError(f"Rate from {RATING_MIN} to {RATING_MAX}.", "score")
    comment = (comment or "").strip() or None
    reason = (reason or "").strip() or None
    if comment and len(comment) > COMMENT_MAX:
        raise SupportError(f"A comment has at most {COMMENT_MAX} characters.", "comment")
    if reason and len(reason) > COMMENT_MAX:
        raise SupportError(f"A reason has at most {COMMENT_MAX} characters.", "reason")
    if score <= LOW_RATING and not reason:
        raise SupportError(
            f"Tell us what went wrong: a rating of {score} needs a reason.", "reason"
        )
    request = _lock(request_id)
    try:
        if request.requester_id != user.id:
            if user.is_staff:
                raise SupportError("Only the requester rates a request.", status=403)
            raise NotFound()
        if request.status not in ("solved", "closed"):
            raise SupportError("You can rate a request once it is solved.", "score", status=409)
        inserted = db.session.execute(
            dialect_insert(SupportRating)
            .values(
                request_id=request.id,
                user_id=user.id,
                score=score,
                comment=comment,
                reason=reason,
                sentiment=sentiment.score_parts(reason, comment),
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["request_id"])
            .returning(SupportRating.id)
        ).first()
        if inserted is None:
            raise SupportError("You have already rated this request.", "score", status=409)
        rating_id = inserted[0]
        engine.record(
            "survey_answered",
            user.id,
            key=f"support-rating:{rating_id}",
            source_type="support_rating",
            source_id=rating_id,
            at=at,
        )
        badges.on_event("feedback_response", user_id=user.id, at=at)
        followups.add(
            kind="csat",
            source_id=rating_id,
            user_id=user.id,
            scale="csat",
            score=score,
            comment="\n\n".join(part for part in (reason, comment) if part) or None,
            link=_link(request),
            at=at,
        )
    except SupportError:
        db.session.rollback()
        raise
    commit()
    log.info("User %s rated support request %s: %s", user.id, request_id, score)
    return db.session.get(SupportRating, rating_id)


def autoclose(*, now: datetime | None = None) -> int:
    """Close every request solved 7 days ago or more; safe to run again (from cron)."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(SupportRequest.id)
            .where(
                SupportRequest.status == "solved",
                SupportRequest.solved_at <= now - AUTOCLOSE_AFTER,
            )
            .order_by(SupportRequest.id)
        )
    )
    closed = 0
    for request_id in ids:
        request = _lock(request_id)
        if request.status == "solved" and request.solved_at <= now - AUTOCLOSE_AFTER:
            db.session.add(
                SupportStatusChange(
                    request_id=request.id,
                    changed_by_id=None,
                    from_status="solved",
                    to_status="closed",
                    created_at=now,
                )
            )
            request.status = "closed"
            request.closed_at = now
            request.updated_at = now
            closed += 1
        commit()
    if closed:
        log.info("Closed %s solved support requests", closed)
    return closed
