"""Reading the suggestions board: lists (top, newest, trending), search, similar titles, the
suggestion page, the triage queue, the roadmap, the changelog and the feedback leaderboards.

Counts are aggregated in SQL; only Fider's trending formula is applied in Python, to one row
per suggestion, because SQLite may be built without pow().
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from feedback.models import (
    CLOSED_STATUSES,
    STATUSES,
    Suggestion,
    SuggestionComment,
    SuggestionStatusChange,
    SuggestionVote,
    suggestion_tag,
)
from feedback.suggestions import FeedbackError, NotFound, is_following, voted
from gamify.models import PointEvent, Tag
from gamify.search import STOP_WORDS
from kudos.extensions import db
from kudos.models import Role, User, utcnow
from kudos.paging import Paged

SORTS = ("top", "newest", "trending")
TRENDING_WINDOW = timedelta(days=30)
ROADMAP_COMPLETED_DAYS = 90
SIMILAR_LIMIT = 6


def trending_score(votes_30d: int, comments_30d: int, hours_since_created: float) -> float:
    """Fider's trending formula: recent votes and comments, damped by age."""
    hours = max(0.0, hours_since_created)
    return ((votes_30d * 5 + comments_30d * 3) - 1) / math.pow(hours + 2, 1.4)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(
    statement: Select,
    *,
    status: str | None = None,
    tag: str | None = None,
    query: str | None = None,
) -> Select:
    if status:
        statement = statement.where(Suggestion.status == status)
    else:
        # Merged duplicates live on in their originals.
        statement = statement.where(Suggestion.status != "duplicate")
    if tag:
        statement = statement.where(
            Suggestion.id.in_(
                select(suggestion_tag.c.suggestion_id)
                .join(Tag, Tag.id == suggestion_tag.c.tag_id)
                .where(Tag.name == tag)
            )
        )
    for word in (query or "").split()[:10]:
        pattern = f"%{_escape_like(word)}%"
        statement = statement.where(
            or_(
                Suggestion.title.ilike(pattern, escape="\\"),
                Suggestion.description.ilike(pattern, escape="\\"),
            )
        )
    return statement


@dataclass
class Page(Paged):
    """One page of suggestions, with the attributes the pager macro reads."""

    items: list[Suggestion]
    page: int
    per_page: int
    total: int
    scores: dict[int, float] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.total else 0


def _load(ids: list[int]) -> list[Suggestion]:
    """Load suggestions with their tags and authors, in the order of ids."""
    if not ids:
        return []
    rows = db.session.scalars(
        select(Suggestion)
        .where(Suggestion.id.in_(ids))
        .options(selectinload(Suggestion.tags), selectinload(Suggestion.author))
    )
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def trending(
    *,
    status: str | None = None,
    tag: str | None = None,
    query: str | None = None,
    now: datetime | None = None,
) -> list[tuple[int, float]]:
    """Return (id, score) of matching suggestions, best trending first.

    Votes and comments of the last 30 days are counted in SQL (one grouped query); the score
    is the same formula in Python on both databases (SQLite may lack pow()).
    """
    now = now or utcnow()
    since = now - TRENDING_WINDOW
    votes = (
        select(func.count(SuggestionVote.id))
        .where(SuggestionVote.suggestion_id == Suggestion.id, SuggestionVote.created_at >= since)
        .scalar_subquery()
    )
    comments = (
        select(func.count(SuggestionComment.id))
        .where(
            SuggestionComment.suggestion_id == Suggestion.id,
            SuggestionComment.created_at >= since,
        )
        .scalar_subquery()
    )
    statement = _filtered(
        select(Suggestion.id, Suggestion.created_at, votes, comments),
        status=status,
        tag=tag,
        query=query,
    )
    scored = [
        (
            suggestion_id,
            trending_score(v, c, (now - created_at).total_seconds() / 3600),
            created_at,
        )
        for suggestion_id, created_at, v, c in db.session.execute(statement)
    ]
    scored.sort(key=lambda row: (-row[1], -row[2].timestamp(), -row[0]))
    return [(suggestion_id, score) for suggestion_id, score, _ in scored]


def list_suggestions(
    sort: str = "top",
    page: int = 1,
    per_page: int = 20,
    *,
    status: str | None = None,
    tag: str | None = None,
    query: str | None = None,
    now: datetime | None = None,
) -> Page:
    """Page through suggestions: top, newest or trending; by status, tag and words."""
    if sort not in SORTS:
        raise FeedbackError(f"Sort by {', '.join(SORTS)}.")
    if status and status not in STATUSES:
        raise FeedbackError(f"There is no status “{status}”.", "status")
    page = max(1, page)
    if sort == "trending":
        ranked = trending(status=status, tag=tag, query=query, now=now)
        chosen = ranked[(page - 1) * per_page : page * per_page]
        return Page(_load([i for i, _ in chosen]), page, per_page, len(ranked), dict(chosen))
    statement = _filtered(select(Suggestion.id), status=status, tag=tag, query=query)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    if sort == "top":
        order = (Suggestion.vote_count.desc(), Suggestion.created_at.desc(), Suggestion.id.desc())
    else:
        order = (Suggestion.created_at.desc(), Suggestion.id.desc())
    ids = list(
        db.session.scalars(statement.order_by(*order).limit(per_page).offset((page - 1) * per_page))
    )
    return Page(_load(ids), page, per_page, total)


def similar(title: str, limit: int = SIMILAR_LIMIT) -> list[Suggestion]:
    """Return suggestions whose titles share words with title, declined ones included."""
    words = []
    for word in re.findall(r"[^\W_]+", (title or "").lower()):
        if len(word) >= 3 and word not in STOP_WORDS and word not in words:
            words.append(word)
    words = words[:8]
    if not words:
        return []
    hits = [Suggestion.title.ilike(f"%{_escape_like(word)}%", escape="\\") for word in words]
    candidates = db.session.scalars(
        select(Suggestion)
        .where(Suggestion.status != "duplicate", or_(*hits))
        .order_by(Suggestion.vote_count.desc(), Suggestion.id.desc())
        .limit(200)
    ).all()

    def matched(suggestion: Suggestion) -> int:
        text = suggestion.title.lower()
        return sum(1 for word in words if word in text)

    ranked = sorted(candidates, key=lambda s: (-matched(s), -s.vote_count, -s.id))
    return ranked[:limit]


@dataclass
class SuggestionPage:
    suggestion: Suggestion
    comments: list[SuggestionComment]
    history: list[SuggestionStatusChange]
    duplicates: list[Suggestion]
    voted: bool = False
    following: bool = False


def suggestion_page(suggestion_id: int, viewer: User | None) -> SuggestionPage:
    """Load everything the suggestion page shows in a fixed number of queries."""
    suggestion = db.session.scalar(
        select(Suggestion)
        .where(Suggestion.id == suggestion_id)
        .options(
            selectinload(Suggestion.tags),
            selectinload(Suggestion.author),
            selectinload(Suggestion.duplicate_of),
        )
    )
    if suggestion is None:
        raise NotFound()
    comments = list(
        db.session.scalars(
            select(SuggestionComment)
            .where(SuggestionComment.suggestion_id == suggestion.id)
            .options(selectinload(SuggestionComment.author))
            .order_by(SuggestionComment.created_at, SuggestionComment.id)
        )
    )
    history = list(
        db.session.scalars(
            select(SuggestionStatusChange)
            .where(SuggestionStatusChange.suggestion_id == suggestion.id)
            .options(selectinload(SuggestionStatusChange.changed_by))
            .order_by(SuggestionStatusChange.created_at, SuggestionStatusChange.id)
        )
    )
    duplicates = list(
        db.session.scalars(
            select(Suggestion)
            .where(Suggestion.duplicate_of_id == suggestion.id)
            .order_by(Suggestion.id)
        )
    )
    page = SuggestionPage(suggestion, comments, history, duplicates)
    if viewer is not None:
        page.voted = voted(viewer.id, suggestion.id)
        page.following = is_following(viewer.id, suggestion.id)
    return page


def untriaged(page: int = 1, per_page: int = 50):
    """Page through open suggestions no lead has looked at yet: most votes, then oldest."""
    changed = select(SuggestionStatusChange.suggestion_id)
    statement = (
        select(Suggestion)
        .where(Suggestion.status == "open", Suggestion.id.not_in(changed))
        .options(selectinload(Suggestion.tags), selectinload(Suggestion.author))
        .order_by(Suggestion.vote_count.desc(), Suggestion.created_at, Suggestion.id)
    )
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


@dataclass(frozen=True)
class Roadmap:
    planned: list[Suggestion]
    in_progress: list[Suggestion]
    completed: list[Suggestion]


def roadmap(now: datetime | None = None) -> Roadmap:
    """Planned and in-progress suggestions, and those completed in the last 90 days."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(Suggestion)
        .where(
            or_(
                Suggestion.status.in_(("planned", "in_progress")),
                and_(
                    Suggestion.status == "completed",
                    Suggestion.status_changed_at >= now - timedelta(days=ROADMAP_COMPLETED_DAYS),
                ),
            )
        )
        .options(selectinload(Suggestion.tags))
        .order_by(Suggestion.vote_count.desc(), Suggestion.id)
    ).all()
    by_status: dict[str, list[Suggestion]] = {"planned": [], "in_progress": [], "completed": []}
    for row in rows:
        by_status[row.status].append(row)
    by_status["completed"].sort(key=lambda s: (s.status_changed_at, s.id), reverse=True)
    return Roadmap(**by_status)


@dataclass(frozen=True)
class ChangelogEntry:
    suggestion: Suggestion
    completed_at: datetime
    note: str | None


def changelog() -> list[tuple[date, list[ChangelogEntry]]]:
    """Completed suggestions by month of completion, newest first, with the lead's note."""
    changes = db.session.execute(
        select(SuggestionStatusChange, Suggestion)
        .join(Suggestion, Suggestion.id == SuggestionStatusChange.suggestion_id)
        .where(Suggestion.status == "completed", SuggestionStatusChange.to_status == "completed")
        .order_by(SuggestionStatusChange.created_at.desc(), SuggestionStatusChange.id.desc())
    ).all()
    seen: set[int] = set()
    months: dict[date, list[ChangelogEntry]] = {}
    for change, suggestion in changes:
        if suggestion.id in seen:
            continue  # completed more than once: the latest completion counts
        seen.add(suggestion.id)
        month = change.created_at.date().replace(day=1)
        months.setdefault(month, []).append(
            ChangelogEntry(suggestion, change.created_at, change.note)
        )
    return list(months.items())


@dataclass(frozen=True)
class Contributor:
    user_id: int
    display_name: str
    points: int


def top_by_votes(limit: int = 10) -> list[Suggestion]:
    """The open suggestions (not yet decided) with the most votes."""
    return list(
        db.session.scalars(
            select(Suggestion)
            .where(Suggestion.status.not_in(CLOSED_STATUSES))
            .order_by(Suggestion.vote_count.desc(), Suggestion.created_at, Suggestion.id)
            .limit(limit)
        )
    )


# How many of the most active suggestions top_trending scores first, to bound the others' age.
TRENDING_BUSIEST = 50


def top_trending(limit: int = 10, now: datetime | None = None) -> list[tuple[Suggestion, float]]:
    """The open suggestions with the best trending score.

    Only a suggestion with a vote or a comment in the last 30 days scores above 0 (5 votes +
    3 comments - 1 over a positive number), and few of those can make the list. The most
    active are scored first; the limit-th best of their scores is a floor that any other must
    reach, and as the others are at most as active as the least active of them, (hours + 2)
    ** 1.4 <= that activity / floor bounds their age. So only the younger ones are read next,
    not every suggestion.
    """
    now = now or utcnow()
    since = now - TRENDING_WINDOW
    votes = (
        select(SuggestionVote.suggestion_id, func.count().label("n"))
        .where(SuggestionVote.created_at >= since)
        .group_by(SuggestionVote.suggestion_id)
        .subquery()
    )
    comments = (
        select(SuggestionComment.suggestion_id, func.count().label("n"))
        .where(SuggestionComment.created_at >= since)
        .group_by(SuggestionComment.suggestion_id)
        .subquery()
    )
    vote_count, comment_count = func.coalesce(votes.c.n, 0), func.coalesce(comments.c.n, 0)
    active = (
        select(Suggestion.id, Suggestion.created_at, vote_count, comment_count)
        .outerjoin(votes, votes.c.suggestion_id == Suggestion.id)
        .outerjoin(comments, comments.c.suggestion_id == Suggestion.id)
        .where(
            Suggestion.status.not_in(CLOSED_STATUSES),
            or_(votes.c.n.is_not(None), comments.c.n.is_not(None)),
        )
    )
    scored: dict[int, tuple[float, datetime]] = {}

    def score(statement: Select) -> list[int]:
        activities = []
        for suggestion_id, created_at, v, c in db.session.execute(statement):
            hours = (now - created_at).total_seconds() / 3600
            scored[suggestion_id] = (trending_score(v, c, hours), created_at)
            activities.append(v * 5 + c * 3 - 1)
        return activities

    busiest = max(limit, TRENDING_BUSIEST)
    activities = score(
        active.order_by((vote_count * 5 + comment_count * 3).desc(), Suggestion.id).limit(busiest)
    )
    if len(activities) == busiest:
        floor = sorted((s for s, _ in scored.values()), reverse=True)[limit - 1]
        oldest = (min(activities) / floor) ** (1 / 1.4) - 2
        # The few younger ones are counted one by one (an index search each), and a minute's
        # margin covers rounding; one read twice is scored the same.
        recent_votes = (
            select(func.count(SuggestionVote.id))
            .where(
                SuggestionVote.suggestion_id == Suggestion.id, SuggestionVote.created_at >= since
            )
            .scalar_subquery()
        )
        recent_comments = (
            select(func.count(SuggestionComment.id))
            .where(
                SuggestionComment.suggestion_id == Suggestion.id,
                SuggestionComment.created_at >= since,
            )
            .scalar_subquery()
        )
        score(
            select(Suggestion.id, Suggestion.created_at, recent_votes, recent_comments).where(
                Suggestion.status.not_in(CLOSED_STATUSES),
                Suggestion.created_at >= now - timedelta(hours=oldest, minutes=1),
            )
        )
    ranked = sorted(scored.items(), key=lambda row: (-row[1][0], -row[1][1].timestamp(), -row[0]))
    chosen = [(suggestion_id, s) for suggestion_id, (s, _) in ranked if s > 0][:limit]
    scores = dict(chosen)
    return [(row, scores[row.id]) for row in _load([i for i, _ in chosen])]


def top_contributors(
    period: str = "all", limit: int = 10, today: date | None = None
) -> list[Contributor]:
    """Members with the most points from feedback actions, this month or all time.

    Feedback actions are the suggestion awards and the survey and CSAT answers. Like every
    public board, it ranks members only (no staff, no suspended accounts); a tie goes to whoever
    reached the score first.
    """
    if period not in ("month", "all"):
        raise FeedbackError("Contributors are ranked this month or all time.")
    points = func.sum(PointEvent.applied)
    statement = (
        select(User.id, User.display_name, points)
        .join(PointEvent, PointEvent.user_id == User.id)
        .where(
            or_(
                PointEvent.action.like("suggestion\\_%", escape="\\"),
                PointEvent.action == "survey_answered",
            ),
            User.role == Role.MEMBER,
            User.suspended_at.is_(None),
        )
        .group_by(User.id, User.display_name)
        .having(points > 0)
        .order_by(points.desc(), func.max(PointEvent.id), User.id)
        .limit(limit)
    )
    if period == "month":
        start = (today or utcnow().date()).replace(day=1)
        statement = statement.where(PointEvent.day >= start)
    return [Contributor(*row) for row in db.session.execute(statement)]


def all_tags() -> list[str]:
    """Names of the tags used on suggestions, for the filter."""
    return list(
        db.session.scalars(
            select(Tag.name).where(Tag.id.in_(select(suggestion_tag.c.tag_id))).order_by(Tag.name)
        )
    )
