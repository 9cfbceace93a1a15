"""Suggestions use cases: submit, vote, comment, follow, change status, merge.

Each public function that writes owns its transaction: it validates, writes the rows, their
points (through gamify's engine), the followers' notifications and the badge checks, then
commits, or raises FeedbackError and leaves the database unchanged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update

from feedback import sentiment
from feedback.models import (
    STATUSES,
    TITLE_MAX,
    TITLE_MIN,
    Suggestion,
    SuggestionComment,
    SuggestionFollow,
    SuggestionStatusChange,
    SuggestionVote,
    status_label,
)
from gamify import badges, engine, privileges
from gamify.models import PointEvent, Tag
from kudos.database import commit, dialect_insert, lock_row, retry_transient
from kudos.extensions import db
from kudos.models import User, utcnow
from kudos.notifications import notify

log = logging.getLogger(__name__)

DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 20_000
COMMENT_MIN, COMMENT_MAX = 2, 2_000
NOTE_MAX = 2_000
TAGS_MAX = 5
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.+#-]{0,34}$")
# Statuses a lead can set by hand; "duplicate" comes only from merging.
SETTABLE_STATUSES = tuple(status for status in STATUSES if status != "duplicate")
PLANNED_OR_LATER = ("planned", "in_progress", "completed")
BULK_MAX = 100
# Which status earns the author which award; the award stands while the status holds.
AWARDS = {
    "suggestion_planned": ("planned", PLANNED_OR_LATER),
    "suggestion_completed": ("completed", ("completed",)),
}


class FeedbackError(Exception):
    """A request the suggestions board cannot carry out, with the reason for the user."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


class NotFound(FeedbackError):
    def __init__(self, message: str = "There is no such suggestion."):
        super().__init__(message, status=404)


# ---------------------------------------------------------------------------------------------
# Validation


def clean_title(raw: str | None) -> str:
    title = " ".join((raw or "").split())
    if len(title) < TITLE_MIN:
        raise FeedbackError(f"A title needs at least {TITLE_MIN} characters.", "title")
    if len(title) > TITLE_MAX:
        raise FeedbackError(
            f"A title has at most {TITLE_MAX} characters; this one has {len(title)}.", "title"
        )
    return title


def clean_description(raw: str | None) -> str:
    text = (raw or "").strip()
    if len(text) < DESCRIPTION_MIN:
        raise FeedbackError(
            f"Describe the suggestion in at least {DESCRIPTION_MIN} characters.", "description"
        )
    if len(text) > DESCRIPTION_MAX:
        raise FeedbackError(
            f"A description has at most {DESCRIPTION_MAX} characters.", "description"
        )
    return text


def clean_note(raw: str | None) -> str | None:
    note = (raw or "").strip()
    if len(note) > NOTE_MAX:
        raise FeedbackError(f"A note has at most {NOTE_MAX} characters.", "note")
    return note or None


def parse_tags(raw: str | Iterable[str] | None) -> list[str]:
    """Split tags typed as "aws, iam kubernetes" into a clean, ordered, distinct list."""
    parts = re.split(r"[\s,]+", raw or "") if isinstance(raw, str) or raw is None else list(raw)
    tags: list[str] = []
    for part in parts:
        name = part.strip().lower()
        if name and name not in tags:
            tags.append(name)
    return tags


def clean_tags(raw: str | Iterable[str] | None) -> list[str]:
    tags = parse_tags(raw)
    if len(tags) > TAGS_MAX:
        raise FeedbackError(f"Use at most {TAGS_MAX} tags; you gave {len(tags)}.", "tags")
    bad = [tag for tag in tags if not TAG_PATTERN.match(tag)]
    if bad:
        raise FeedbackError(
            "Tags use lower-case letters, digits and . + # - (up to 35 characters): "
            f"{', '.join(bad)} is not valid.",
            "tags",
        )
    return tags


def check_status(raw: str | None) -> str:
    """Return a status a lead may set, or refuse an unknown one (or "duplicate")."""
    if raw == "duplicate":
        raise FeedbackError(
            "A suggestion becomes a duplicate by merging it into its original.", "status"
        )
    if raw not in SETTABLE_STATUSES:
        choices = ", ".join(status_label(status) for status in SETTABLE_STATUSES)
        raise FeedbackError(f"There is no status “{raw}”; choose one of {choices}.", "status")
    return raw


def _tags_by_name(names: list[str], user: User) -> list[Tag]:
    """Return the Tag rows for names; new tags only for users who may create them."""
    existing = {tag.name: tag for tag in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    new = [name for name in names if name not in existing]
    if new and not privileges.allowed(user, "create_tags"):
        raise FeedbackError(
            f"There is no tag {', '.join(new)}; choose existing tags (a lead can add new ones).",
            "tags",
        )
    tags = []
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        tags.append(tag)
    return tags


def _require_lead(user: User) -> None:
    if not user.is_staff:
        raise FeedbackError("Only leads can triage suggestions.", status=403)


# ---------------------------------------------------------------------------------------------
# Plumbing


def get(suggestion_id: int) -> Suggestion:
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None:
        raise NotFound()
    return suggestion


def _lock(suggestion_id: int) -> Suggestion:
    """Hold the suggestion for this transaction and read it fresh (NotFound if missing)."""
    suggestion = lock_row(Suggestion, suggestion_id, Suggestion.vote_count)
    if suggestion is None:
        db.session.rollback()
        raise NotFound()
    return suggestion


def _follow(suggestion_id: int, user_ids: Iterable[int], at: datetime) -> None:
    """Make users follow a suggestion, leaving alone anyone who chose to unfollow it."""
    rows = [
        {"suggestion_id": suggestion_id, "user_id": user_id, "created_at": at}
        for user_id in sorted(set(user_ids))
    ]
    if rows:
        db.session.execute(
            dialect_insert(SuggestionFollow)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["suggestion_id", "user_id"])
        )


def add_followers(suggestion_id: int, user_ids: Iterable[int], at: datetime) -> None:
    """Make users follow a suggestion in the caller's transaction (a support request that
    needs this feature, for example); whoever unfollowed it stays unfollowed."""
    _follow(suggestion_id, user_ids, at)


def _recount_votes(suggestion_id: int) -> None:
    count = select(func.count(SuggestionVote.id)).where(
        SuggestionVote.suggestion_id == suggestion_id
    )
    db.session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion_id)
        .values(vote_count=count.scalar_subquery())
    )


# ---------------------------------------------------------------------------------------------
# Points


def _awards(suggestion_id: int, action: str) -> tuple[PointEvent | None, int]:
    """Return the award of action still standing on a suggestion, and how many were made."""
    originals = list(
        db.session.scalars(
            select(PointEvent)
            .where(
                PointEvent.source_type == "suggestion",
                PointEvent.source_id == suggestion_id,
                PointEvent.action == action,
                PointEvent.reverses_id.is_(None),
            )
            .order_by(PointEvent.id)
        )
    )
    if not originals:
        return None, 0
    undone = set(
        db.session.scalars(
            select(PointEvent.reverses_id).where(
                PointEvent.reverses_id.in_([event.id for event in originals])
            )
        )
    )
    standing = [event for event in originals if event.id not in undone]
    return (standing[-1] if standing else None), len(originals)


def _sync_points(suggestion: Suggestion, actor_id: int | None, at: datetime) -> None:
    """Pay the author the awards the status earns, and take back those it no longer does."""
    for action, (word, statuses) in AWARDS.items():
        standing, made = _awards(suggestion.id, action)
        if suggestion.status in statuses and standing is None:
            # A new generation each time: re-planning after a reversal is a new event.
            engine.record(
                action,
                suggestion.author_id,
                key=f"suggestion:{suggestion.id}:{word}:{made}",
                source_type="suggestion",
                source_id=suggestion.id,
                actor_id=actor_id,
                at=at,
            )
        elif suggestion.status not in statuses and standing is not None:
            engine.reverse(
                standing.event_key,
                reason=f"suggestion moved to {status_label(suggestion.status)}",
                actor_id=actor_id,
                at=at,
            )


# ---------------------------------------------------------------------------------------------
# Writing


@retry_transient()
def submit(
    author: User,
    title: str,
    description: str,
    tags: str | Iterable[str] | None = None,
    *,
    at: datetime | None = None,
) -> Suggestion:
    """Post a new suggestion; its author follows it and earns the submission points."""
    at = at or utcnow()
    title, description, names = clean_title(title), clean_description(description), clean_tags(tags)
    try:
        suggestion = Suggestion(
            author_id=author.id,
            title=title,
            description=description,
            status="open",
            created_at=at,
            updated_at=at,
            vote_count=0,
            comment_count=0,
        )
        suggestion.tags = _tags_by_name(names, author)
        db.session.add(suggestion)
        db.session.flush()
        _follow(suggestion.id, [author.id], at)
        engine.record(
            "suggestion_submitted",
            author.id,
            key=f"suggestion:{suggestion.id}:submitted",
            source_type="suggestion",
            source_id=suggestion.id,
            at=at,
        )
        badges.on_event("suggestion", suggestion_id=suggestion.id, at=at)
    except FeedbackError:
        db.session.rollback()
        raise
    commit()
    log.info("User %s submitted suggestion %s", author.id, suggestion.id)
    return suggestion


@dataclass(frozen=True)
class VoteState:
    suggestion_id: int
    vote_count: int
    voted: bool


def _closed_message(suggestion: Suggestion, verb: str) -> str:
    if suggestion.status == "duplicate":
        return f"This suggestion was merged into #{suggestion.duplicate_of_id}; {verb} there."
    return f"This suggestion is {suggestion.status_label}; it takes no more votes."


@retry_transient()
def vote(voter: User, suggestion_id: int, *, at: datetime | None = None) -> VoteState:
    """Cast a member's vote (once); the voter then follows the suggestion."""
    at = at or utcnow()
    suggestion = _lock(suggestion_id)
    if suggestion.is_closed:
        db.session.rollback()
        raise FeedbackError(_closed_message(suggestion, "vote"), status=409)
    inserted = db.session.execute(
        dialect_insert(SuggestionVote)
        .values(suggestion_id=suggestion.id, voter_id=voter.id, created_at=at)
        .on_conflict_do_nothing(index_elements=["suggestion_id", "voter_id"])
        .returning(SuggestionVote.id)
    ).first()
    if inserted:
        db.session.execute(
            update(Suggestion)
            .where(Suggestion.id == suggestion.id)
            .values(vote_count=Suggestion.vote_count + 1)
        )
        _follow(suggestion.id, [voter.id], at)
        badges.on_event("suggestion_vote", suggestion_id=suggestion.id, at=at)
    commit()
    return _vote_state(suggestion_id, voter.id)


@retry_transient()
def unvote(voter: User, suggestion_id: int) -> VoteState:
    """Withdraw a member's vote (a decided suggestion keeps its votes)."""
    suggestion = _lock(suggestion_id)
    if suggestion.is_closed:
        db.session.rollback()
        raise FeedbackError(
            _closed_message(suggestion, "vote").replace("takes no more votes", "its votes stay"),
            status=409,
        )
    removed = db.session.execute(
        delete(SuggestionVote).where(
            SuggestionVote.suggestion_id == suggestion.id, SuggestionVote.voter_id == voter.id
        )
    ).rowcount
    if removed:
        db.session.execute(
            update(Suggestion)
            .where(Suggestion.id == suggestion.id)
            .values(vote_count=Suggestion.vote_count - 1)
        )
    commit()
    return _vote_state(suggestion_id, voter.id)


def voted(user_id: int, suggestion_id: int) -> bool:
    return (
        db.session.scalar(
            select(SuggestionVote.id).where(
                SuggestionVote.suggestion_id == suggestion_id, SuggestionVote.voter_id == user_id
            )
        )
        is not None
    )


def _vote_state(suggestion_id: int, voter_id: int) -> VoteState:
    count = db.session.scalar(select(Suggestion.vote_count).where(Suggestion.id == suggestion_id))
    return VoteState(suggestion_id, count or 0, voted(voter_id, suggestion_id))


def comment(
    author: User, suggestion_id: int, body: str, *, at: datetime | None = None
) -> SuggestionComment:
    """Comment on a suggestion (followers are not notified of comments)."""
    at = at or utcnow()
    text = (body or "").strip()
    if len(text) < COMMENT_MIN:
        raise FeedbackError(f"A comment needs at least {COMMENT_MIN} characters.", "body")
    if len(text) > COMMENT_MAX:
        raise FeedbackError(f"A comment has at most {COMMENT_MAX} characters.", "body")
    suggestion = get(suggestion_id)
    row = SuggestionComment(
        suggestion_id=suggestion.id,
        author_id=author.id,
        body=text,
        sentiment=sentiment.score(text),
        created_at=at,
    )
    db.session.add(row)
    db.session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion.id)
        .values(comment_count=Suggestion.comment_count + 1)
    )
    commit()
    return row


def follow(user: User, suggestion_id: int, *, at: datetime | None = None) -> bool:
    """Follow a suggestion's status changes (again); return True."""
    at = at or utcnow()
    get(suggestion_id)
    _follow(suggestion_id, [user.id], at)
    db.session.execute(
        update(SuggestionFollow)
        .where(SuggestionFollow.suggestion_id == suggestion_id, SuggestionFollow.user_id == user.id)
        .values(unfollowed_at=None)
    )
    commit()
    return True


def unfollow(user: User, suggestion_id: int, *, at: datetime | None = None) -> bool:
    """Stop hearing about a suggestion; a later vote does not make the member follow again."""
    at = at or utcnow()
    get(suggestion_id)
    _follow(suggestion_id, [user.id], at)
    db.session.execute(
        update(SuggestionFollow)
        .where(
            SuggestionFollow.suggestion_id == suggestion_id,
            SuggestionFollow.user_id == user.id,
            SuggestionFollow.unfollowed_at.is_(None),
        )
        .values(unfollowed_at=at)
    )
    commit()
    return False


def is_following(user_id: int, suggestion_id: int) -> bool:
    return (
        db.session.scalar(
            select(SuggestionFollow.user_id).where(
                SuggestionFollow.suggestion_id == suggestion_id,
                SuggestionFollow.user_id == user_id,
                SuggestionFollow.unfollowed_at.is_(None),
            )
        )
        is not None
    )


def _notify_followers(
    suggestion: Suggestion, change: SuggestionStatusChange, text: str, actor_id: int | None
) -> None:
    followers = db.session.scalars(
        select(SuggestionFollow.user_id).where(
            SuggestionFollow.suggestion_id == suggestion.id,
            SuggestionFollow.unfollowed_at.is_(None),
        )
    ).all()
    for user_id in followers:
        if user_id != actor_id:
            notify(
                user_id,
                "suggestion_status",
                text,
                link=f"/suggestions/{suggestion.id}",
                key=f"suggestion-status:{change.id}:{user_id}",
                at=change.created_at,
            )


def _apply_status(
    suggestion: Suggestion,
    lead: User,
    to: str,
    note: str | None,
    at: datetime,
    *,
    duplicate_of: Suggestion | None = None,
) -> SuggestionStatusChange:
    """Move a (locked) suggestion to a status: history row, points, followers, badges."""
    if suggestion.status == "duplicate":
        raise FeedbackError(
            f"#{suggestion.id} was merged into #{suggestion.duplicate_of_id}; "
            "change the original instead.",
            "status",
            status=409,
        )
    if suggestion.status == to:
        raise FeedbackError(f"#{suggestion.id} is already {status_label(to)}.", "status")
    change = SuggestionStatusChange(
        suggestion_id=suggestion.id,
        changed_by_id=lead.id,
        from_status=suggestion.status,
        to_status=to,
        note=note,
        created_at=at,
    )
    db.session.add(change)
    suggestion.status = to
    suggestion.duplicate_of_id = duplicate_of.id if duplicate_of is not None else None
    suggestion.status_changed_at = at
    suggestion.updated_at = at
    db.session.flush()
    _sync_points(suggestion, lead.id, at)
    if duplicate_of is not None:
        text = f"“{suggestion.title}” was merged into “{duplicate_of.title}”"
    else:
        text = f"“{suggestion.title}” is now {status_label(to)}"
    text = f"{text}: {note}" if note else f"{text}."
    _notify_followers(suggestion, change, text, lead.id)
    badges.on_event("suggestion_status", suggestion_id=suggestion.id, at=at)
    return change


@retry_transient()
def change_status(
    suggestion_id: int, lead: User, to: str, note: str | None = None, *, at: datetime | None = None
) -> SuggestionStatusChange:
    """Move a suggestion to another status with the lead's note, and tell its followers."""
    at = at or utcnow()
    _require_lead(lead)
    to, note = check_status(to), clean_note(note)
    suggestion = _lock(suggestion_id)
    try:
        change = _apply_status(suggestion, lead, to, note, at)
    except FeedbackError:
        db.session.rollback()
        raise
    commit()
    log.info("Lead %s moved suggestion %s to %s", lead.id, suggestion_id, to)
    return change


@retry_transient()
def bulk_change_status(
    suggestion_ids: Iterable[int],
    lead: User,
    to: str,
    note: str | None = None,
    *,
    at: datetime | None = None,
) -> list[int]:
    """Move several suggestions at once, all or none; return the ids that changed.

    Suggestions already in that status are skipped; a merged duplicate refuses the batch.
    """
    at = at or utcnow()
    _require_lead(lead)
    to, note = check_status(to), clean_note(note)
    ids = sorted(set(suggestion_ids))
    if not ids:
        raise FeedbackError("Choose at least one suggestion.", "suggestions")
    if len(ids) > BULK_MAX:
        raise FeedbackError(f"Change at most {BULK_MAX} suggestions at once.", "suggestions")
    changed = []
    try:
        for suggestion_id in ids:
            suggestion = _lock(suggestion_id)
            if suggestion.status != to:
                _apply_status(suggestion, lead, to, note, at)
                changed.append(suggestion_id)
    except FeedbackError:
        db.session.rollback()
        raise
    commit()
    return changed


def set_tags(
    suggestion_id: int, lead: User, tags: str | Iterable[str] | None, *, at: datetime | None = None
) -> Suggestion:
    """Replace a suggestion's tags (leads)."""
    _require_lead(lead)
    names = clean_tags(tags)
    suggestion = get(suggestion_id)
    suggestion.tags = _tags_by_name(names, lead)
    suggestion.updated_at = at or utcnow()
    commit()
    return suggestion


@retry_transient()
def merge(
    duplicate_id: int,
    original_id: int,
    lead: User,
    note: str | None = None,
    *,
    at: datetime | None = None,
) -> Suggestion:
    """Merge a duplicate into its original: votes move (once per member), followers follow.

    The duplicate keeps its history and links to the original; its author and voters follow
    the original (unless they unfollowed it); a member who voted on both keeps one vote.
    """
    at = at or utcnow()
    _require_lead(lead)
    note = clean_note(note)
    if duplicate_id == original_id:
        raise FeedbackError("A suggestion cannot be merged into itself.", "original")
    # Lock both in id order, so that two merges of the same pair cannot deadlock.
    first, second = sorted((duplicate_id, original_id))
    locked = {first: _lock(first), second: _lock(second)}
    duplicate, original = locked[duplicate_id], locked[original_id]
    try:
        if duplicate.status == "duplicate":
            raise FeedbackError(
                f"#{duplicate.id} is already merged into #{duplicate.duplicate_of_id}.", "original"
            )
        if original.status == "duplicate":
            if _leads_to(original, duplicate.id):
                raise FeedbackError(
                    f"#{original.id} is a duplicate of #{duplicate.id}: merging #{duplicate.id} "
                    "into it would make a cycle.",
                    "original",
                )
            raise FeedbackError(
                f"#{original.id} is itself a duplicate; merge into #{original.duplicate_of_id}.",
                "original",
            )
        already = select(SuggestionVote.voter_id).where(SuggestionVote.suggestion_id == original.id)
        voters = list(
            db.session.scalars(
                select(SuggestionVote.voter_id).where(SuggestionVote.suggestion_id == duplicate.id)
            )
        )
        db.session.execute(
            update(SuggestionVote)
            .where(
                SuggestionVote.suggestion_id == duplicate.id,
                SuggestionVote.voter_id.not_in(already),
            )
            .values(suggestion_id=original.id, merged_from_id=duplicate.id)
        )
        # Whoever voted on both keeps the vote they cast on the original.
        db.session.execute(
            delete(SuggestionVote).where(SuggestionVote.suggestion_id == duplicate.id)
        )
        _recount_votes(original.id)
        _recount_votes(duplicate.id)
        _follow(original.id, [duplicate.author_id, *voters], at)
        note = note or f"Merged into #{original.id}: {original.title}"
        _apply_status(duplicate, lead, "duplicate", note, at, duplicate_of=original)
        original.updated_at = at
        badges.on_event("suggestion_vote", suggestion_id=original.id, at=at)
    except FeedbackError:
        db.session.rollback()
        raise
    commit()
    log.info("Lead %s merged suggestion %s into %s", lead.id, duplicate_id, original_id)
    return db.session.get(Suggestion, original_id)


def _leads_to(suggestion: Suggestion, target_id: int) -> bool:
    """Tell whether following duplicate_of links from suggestion reaches target_id."""
    seen = set()
    current = suggestion
    while current is not None and current.duplicate_of_id is not None:
        if current.duplicate_of_id == target_id:
            return True
        if current.id in seen:
            return False
        seen.add(current.id)
        current = db.session.get(Suggestion, current.duplicate_of_id)
    return False
