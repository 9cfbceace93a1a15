"""Badges: the catalog as data, criteria as small pure functions, awards, backfill, progress.

A badge row names a criterion and its parameters. A criterion is a pure function over plain
facts (a score, a number of days, vote counts) whose keyword-only arguments are the badge's
parameters, so a definition can be checked against its signature before it is saved. Beside
the pure function each criterion knows which events can change it, how to gather its facts for
the users an event touches, and how to find every past qualifier with SQL aggregates.

`on_event` runs inside the caller's transaction and never commits; every write it makes is an
insert that ignores a conflict (awards, notifications, catalog rows), so a duplicate or a
concurrent award is "already done", never an error that would spoil the caller's work.
"""

from __future__ import annotations

import inspect
import logging
import re
import secrets
import typing
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from types import SimpleNamespace
from typing import Any, Literal, NamedTuple

from flask import current_app, has_request_context, url_for
from sqlalchemy import (
    Date,
    and_,
    bindparam,
    case,
    event,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import selectinload

from gamify import tag_scores
from gamify.models import TIERS, Badge, BadgeAward, Post, Tag, Vote
from kudos.database import dialect_insert, prepared, run
from kudos.extensions import db
from kudos.models import User, UserVisit, utcnow
from kudos.notifications import notify

log = logging.getLogger(__name__)

post_t = Post.__table__
GROUPS = ("Questions", "Answers", "Participation", "Moderation", "Tags", "Feedback")
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
AWARDS_CHUNK = 500


class BadgeError(Exception):
    """A badge request that cannot be carried out, with the reason for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadgeDefinitionError(BadgeError, ValueError):
    """A badge definition that names an unknown criterion or wrong parameters."""


class UnknownBadge(BadgeError, LookupError):
    pass


# ---------------------------------------------------------------------------------------------
# Criteria: pure functions over plain facts. Keyword-only arguments are the badge parameters.


def post_score(score: int, *, min_score: int) -> bool:
    """Tell whether a question's or an answer's score reached the badge's threshold."""
    return score >= min_score


def answer_score_at_least(score: int, threshold: int) -> bool:
    """Tell whether an answer's score reached threshold (Teacher 1, Nice Answer 10 ...)."""
    return post_score(score, min_score=threshold)


def asked_and_accepted(accepted_questions: int) -> bool:
    """Tell whether a member has a question with someone else's answer accepted."""
    return accepted_questions >= 1


def votes_cast(
    upvotes: int, downvotes: int, *, min_votes: int, direction: Literal["up", "down", "any"]
) -> bool:
    """Tell whether a member has cast enough votes of the badge's direction."""
    counted = {"up": upvotes, "down": downvotes, "any": upvotes + downvotes}[direction]
    return counted >= min_votes


def enlightened(
    is_first_answer: bool, accepted: bool, answer_score: int, *, min_score: int = 10
) -> bool:
    """Tell whether an answer was the first to its question, is accepted and scored enough."""
    return is_first_answer and accepted and answer_score >= min_score


def necromancer(
    answer_score: int, days_after_question: int, *, min_score: int = 5, min_days: int = 60
) -> bool:
    """Tell whether a late answer (min_days after its question) reached min_score."""
    return days_after_question >= min_days and answer_score >= min_score


def consecutive_days(days: Iterable[date]) -> int:
    """Return the length of the longest run of consecutive days (order and repeats ignored)."""
    longest = run = 0
    previous = None
    for day in sorted(set(days)):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    return longest


def current_streak(days: Iterable[date], today: date) -> int:
    """Return the run of consecutive days that ends today, or yesterday if today is missing."""
    seen = set(days)
    day = today if today in seen else today - timedelta(days=1)
    streak = 0
    while day in seen:
        streak += 1
        day -= timedelta(days=1)
    return streak


def visit_streak(longest_streak: int, *, min_days: int) -> bool:
    """Tell whether a member visited on min_days consecutive UTC days."""
    return longest_streak >= min_days


def tag_answer_score(total: int, *, min_total: int) -> bool:
    """Tell whether the summed score of a member's answers in one tag reached min_total."""
    return total >= min_total


def days_between(earlier: datetime, later: datetime) -> int:
    """Return the whole days from earlier to later (59 days 23 h is 59)."""
    return (later - earlier).days


# ---------------------------------------------------------------------------------------------
# Criterion registry


class Candidate(NamedTuple):
    """A user who qualifies for a badge, for one source (a post, a tag, or "" once)."""

    user_id: int
    badge: Badge
    source_key: str
    post_id: int | None


class Progress(NamedTuple):
    """How far a user is from a badge they have not earned yet."""

    badge: Badge
    current: int
    target: int
    label: str


_REQUIRED = inspect.Parameter.empty


@dataclass(frozen=True)
class Param:
    name: str
    kind: type | tuple[str, ...]  # int, or the allowed strings of a Literal
    default: Any = _REQUIRED


@dataclass(frozen=True)
class Criterion:
    """A pure check plus what it takes to apply it to events, to the past and to progress.

    evaluate(event, badges) and backfill(badge, params) return Candidates; progress(facts,
    badge, params, held) returns (current, target, label) or None.
    """

    name: str
    check: Callable[..., bool]
    describe: Callable[[Mapping[str, Any], bool], str]
    events: frozenset[str] = frozenset()
    evaluate: Callable[..., list[Candidate]] | None = None
    backfill: Callable[..., list[Candidate]] | None = None
    progress: Callable[..., tuple[int, int, str] | None] | None = None
    # True when a member can earn it again for another source (a tag) and sees progress for it.
    per_source: bool = False
    params: tuple[Param, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "params", _params_of(self.check))


def _params_of(check: Callable[..., bool]) -> tuple[Param, ...]:
    """Read a criterion's parameters (names, types, defaults) from its keyword-only arguments."""
    hints = typing.get_type_hints(check)
    found = []
    for parameter in inspect.signature(check).parameters.values():
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        hint = hints.get(parameter.name, int)
        kind = typing.get_args(hint) if typing.get_origin(hint) is Literal else hint
        found.append(Param(parameter.name, kind, parameter.default))
    return tuple(found)


CRITERIA: dict[str, Criterion] = {}


def register_criterion(criterion: Criterion) -> None:
    """Make a criterion available to badge definitions (feature packages add their own)."""
    CRITERIA[criterion.name] = criterion


def validate(criterion: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check params against the criterion's signature; return them with defaults filled in."""
    spec = CRITERIA.get(criterion)
    if spec is None:
        known = ", ".join(sorted(CRITERIA))
        raise BadgeDefinitionError(f"There is no badge criterion “{criterion}” (known: {known}).")
    given = dict(params or {})
    accepted = {param.name: param for param in spec.params}
    takes = ", ".join(accepted) or "no parameters"
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise BadgeDefinitionError(
            f"The criterion {criterion} has no parameter {', '.join(unknown)}; it takes {takes}."
        )
    missing = [name for name, param in accepted.items() if param.default is _REQUIRED]
    missing = [name for name in missing if name not in given]
    if missing:
        raise BadgeDefinitionError(
            f"The criterion {criterion} needs the parameter {', '.join(missing)}; it takes {takes}."
        )
    result = {}
    for name, param in accepted.items():
        value = given.get(name, param.default)
        if isinstance(param.kind, tuple):
            if value not in param.kind:
                choices = ", ".join(param.kind)
                raise BadgeDefinitionError(
                    f"The parameter {name} of {criterion} is one of {choices}, not {value!r}."
                )
        elif param.kind is int and (not isinstance(value, int) or isinstance(value, bool)):
            raise BadgeDefinitionError(
                f"The parameter {name} of {criterion} is a whole number, not {value!r}."
            )
        elif param.kind is int and value < 0:
            raise BadgeDefinitionError(f"The parameter {name} of {criterion} cannot be negative.")
        result[name] = value
    return result


def effective_params(badge: Badge) -> dict[str, Any] | None:
    """Return a stored badge's parameters with defaults, or None when they no longer fit."""
    try:
        return validate(badge.criterion, badge.params)
    except BadgeDefinitionError as error:
        log.warning("Badge %s is skipped: %s", badge.slug, error.message)
        return None


# ---------------------------------------------------------------------------------------------
# The catalog


@dataclass(frozen=True)
class BadgeSpec:
    slug: str
    name: str
    tier: str
    group: str
    description: str
    criterion: str
    params: Mapping[str, Any] = field(default_factory=dict)
    multiple: bool = False
    enabled: bool = True


CATALOG: list[BadgeSpec] = [
    BadgeSpec(
        "student",
        "Student",
        "bronze",
        "Questions",
        "Asked a question that others found useful.",
        "question_score",
        {"min_score": 1},
    ),
    BadgeSpec(
        "scholar",
        "Scholar",
        "bronze",
        "Questions",
        "Asked a question and accepted the answer that solved it.",
        "asked_and_accepted",
    ),
    BadgeSpec(
        "nice-question",
        "Nice Question",
        "bronze",
        "Questions",
        "Asked a question that the community voted up to a score of 10.",
        "question_score",
        {"min_score": 10},
        multiple=True,
    ),
    BadgeSpec(
        "good-question",
        "Good Question",
        "silver",
        "Questions",
        "Asked a question that the community voted up to a score of 25.",
        "question_score",
        {"min_score": 25},
        multiple=True,
    ),
    BadgeSpec(
        "great-question",
        "Great Question",
        "gold",
        "Questions",
        "Asked a question that the community voted up to a score of 100.",
        "question_score",
        {"min_score": 100},
        multiple=True,
    ),
    BadgeSpec(
        "teacher",
        "Teacher",
        "bronze",
        "Answers",
        "Answered a question, and someone found the answer useful.",
        "answer_score",
        {"min_score": 1},
    ),
    BadgeSpec(
        "nice-answer",
        "Nice Answer",
        "bronze",
        "Answers",
        "Wrote an answer that the community voted up to a score of 10.",
        "answer_score",
        {"min_score": 10},
        multiple=True,
    ),
    BadgeSpec(
        "good-answer",
        "Good Answer",
        "silver",
        "Answers",
        "Wrote an answer that the community voted up to a score of 25.",
        "answer_score",
        {"min_score": 25},
        multiple=True,
    ),
    BadgeSpec(
        "great-answer",
        "Great Answer",
        "gold",
        "Answers",
        "Wrote an answer that the community voted up to a score of 100.",
        "answer_score",
        {"min_score": 100},
        multiple=True,
    ),
    BadgeSpec(
        "enlightened",
        "Enlightened",
        "silver",
        "Answers",
        "Was first to answer a question, and that answer was accepted and well voted.",
        "first_answer_accepted",
        {"min_score": 10},
    ),
    BadgeSpec(
        "necromancer",
        "Necromancer",
        "silver",
        "Answers",
        "Brought an old question back to life with an answer the community liked.",
        "late_answer",
        {"min_score": 5, "min_days": 60},
        multiple=True,
    ),
    BadgeSpec(
        "supporter",
        "Supporter",
        "bronze",
        "Moderation",
        "Cast a first upvote: thanked someone for a useful post.",
        "votes_cast",
        {"min_votes": 1, "direction": "up"},
    ),
    BadgeSpec(
        "critic",
        "Critic",
        "bronze",
        "Moderation",
        "Cast a first downvote: told the community what is not useful.",
        "votes_cast",
        {"min_votes": 1, "direction": "down"},
    ),
    BadgeSpec(
        "civic-duty",
        "Civic Duty",
        "silver",
        "Moderation",
        "Voted 300 times to sort good posts from bad ones.",
        "votes_cast",
        {"min_votes": 300, "direction": "any"},
    ),
    BadgeSpec(
        "enthusiast",
        "Enthusiast",
        "silver",
        "Participation",
        "Visited the community 30 days in a row.",
        "visit_streak",
        {"min_days": 30},
    ),
    BadgeSpec(
        "fanatic",
        "Fanatic",
        "gold",
        "Participation",
        "Visited the community 100 days in a row.",
        "visit_streak",
        {"min_days": 100},
    ),
    BadgeSpec(
        "tag-bronze",
        "Bronze tag badge",
        "bronze",
        "Tags",
        "Answers in one tag earned a total score of 100.",
        "tag_answer_score",
        {"min_total": 100},
        multiple=True,
    ),
    BadgeSpec(
        "tag-silver",
        "Silver tag badge",
        "silver",
        "Tags",
        "Answers in one tag earned a total score of 400.",
        "tag_answer_score",
        {"min_total": 400},
        multiple=True,
    ),
    BadgeSpec(
        "tag-gold",
        "Gold tag badge",
        "gold",
        "Tags",
        "Answers in one tag earned a total score of 1000.",
        "tag_answer_score",
        {"min_total": 1000},
        multiple=True,
    ),
]


def add_to_catalog(spec: BadgeSpec) -> None:
    """Declare a catalog badge (a feature package adds its own after registering criteria)."""
    _check_spec(spec)
    CATALOG[:] = [entry for entry in CATALOG if entry.slug != spec.slug] + [spec]


def _check_spec(spec: BadgeSpec) -> None:
    _check_fields(spec.slug, spec.name, spec.tier, spec.group, spec.description)
    validate(spec.criterion, spec.params)


def _check_fields(slug: str, name: str, tier: str, group: str, description: str) -> None:
    if not SLUG_PATTERN.match(slug or ""):
        raise BadgeDefinitionError(
            f"A badge slug uses lower-case letters, digits and hyphens: “{slug}” does not."
        )
    if not (name or "").strip() or len(name) > 80:
        raise BadgeDefinitionError("A badge name has 1 to 80 characters.")
    if tier not in TIERS:
        raise BadgeDefinitionError(f"A badge tier is bronze, silver or gold, not “{tier}”.")
    if not (group or "").strip() or len(group) > 40:
        raise BadgeDefinitionError("A badge group has 1 to 40 characters.")
    if not (description or "").strip() or len(description) > 300:
        raise BadgeDefinitionError("A badge description has 1 to 300 characters.")


def _catalog_values(spec: BadgeSpec) -> dict[str, Any]:
    return {
        "slug": spec.slug,
        "name": spec.name,
        "tier": spec.tier,
        "group": spec.group,
        "description": spec.description,
        "criterion": spec.criterion,
        "params": validate(spec.criterion, spec.params),
        "multiple": spec.multiple,
        "enabled": spec.enabled,
        "created_at": utcnow(),
    }


def _insert_missing(specs: Iterable[BadgeSpec]) -> int:
    rows = [_catalog_values(spec) for spec in specs]
    if not rows:
        return 0
    statement = (
        dialect_insert(Badge)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["slug"])
        .returning(Badge.id)
    )
    return len(db.session.execute(statement).all())


def sync_catalog() -> int:
    """Insert missing catalog badges and refresh the wording of existing ones; return added.

    Criterion, parameters and enabled stay as an admin may have set them. No commit.
    """
    existing = {badge.slug: badge for badge in db.session.scalars(select(Badge))}
    added = _insert_missing(spec for spec in CATALOG if spec.slug not in existing)
    for spec in CATALOG:
        badge = existing.get(spec.slug)
        if badge is not None:
            badge.name, badge.description = spec.name, spec.description
            badge.tier, badge.group = spec.tier, spec.group
    db.session.flush()
    return added


def all_badges() -> list[Badge]:
    """Return every badge row, first inserting catalog badges the database lacks (cheap)."""
    badges = list(db.session.scalars(select(Badge).order_by(Badge.id)))
    have = {badge.slug for badge in badges}
    if _insert_missing(spec for spec in CATALOG if spec.slug not in have):
        badges = list(db.session.scalars(select(Badge).order_by(Badge.id)))
    return badges


def _event_badges() -> list[Badge]:
    """Return every badge as a plain row, for the events on the hot path (see all_badges)."""
    rows = run(_event_sql().badges, {}).all()
    if {spec.slug for spec in CATALOG} - {row.slug for row in rows}:
        return all_badges()
    return rows


def _catalog_order(badges: Iterable[Badge]) -> list[Badge]:
    position = {spec.slug: index for index, spec in enumerate(CATALOG)}
    groups = {name: index for index, name in enumerate(GROUPS)}
    return sorted(
        badges,
        key=lambda b: (
            groups.get(b.group, len(groups)),
            position.get(b.slug, len(position)),
            TIERS.index(b.tier),
            b.name,
        ),
    )


def define_badge(
    slug: str,
    name: str,
    tier: str,
    group: str,
    description: str,
    criterion: str,
    params: Mapping[str, Any] | None = None,
    *,
    multiple: bool = False,
    enabled: bool = True,
) -> Badge:
    """Create or change a badge definition, refusing unknown criteria or parameters; commit."""
    _check_fields(slug, name, tier, group, description)
    checked = validate(criterion, params)
    badge = db.session.scalar(select(Badge).where(Badge.slug == slug))
    if badge is None:
        badge = Badge(slug=slug)
        db.session.add(badge)
    badge.name, badge.tier, badge.group, badge.description = name.strip(), tier, group, description
    badge.criterion, badge.params = criterion, checked
    badge.multiple, badge.enabled = multiple, enabled
    db.session.commit()
    return badge


@event.listens_for(Badge, "before_insert")
@event.listens_for(Badge, "before_update")
def _refuse_invalid_definition(mapper, connection, badge: Badge) -> None:
    """Refuse to save a badge whose criterion or parameters do not fit, whoever saves it."""
    validate(badge.criterion, badge.params)


def describe(badge: Badge) -> str:
    """Say in plain words what earns a badge."""
    spec = CRITERIA.get(badge.criterion)
    params = effective_params(badge) if spec else None
    if spec is None or params is None:
        return badge.description
    return spec.describe(params, badge.multiple)


# ---------------------------------------------------------------------------------------------
# Awarding


def award_title(badge: Badge, source_key: str = "") -> str:
    """Name an award the way a member reads it: "Nice Answer", "bronze tag badge in aws"."""
    if source_key.startswith("tag:"):
        return f"{badge.tier} tag badge in {source_key[4:]}"
    return badge.name


def _path(endpoint: str, anchor: str | None = None, **values) -> str:
    """Build a local path, also without a request, so that the CLI's backfill can link too."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return f"{path}#{anchor}" if anchor else path


class PostLink(NamedTuple):
    path: str
    title: str


def post_links(post_ids: Iterable[int | None]) -> dict[int, PostLink]:
    """Return the page path and question title of each live post (one query)."""
    ids = sorted({post_id for post_id in post_ids if post_id is not None})
    if not ids:
        return {}
    question = post_t.alias("q")
    rows = db.session.execute(
        select(post_t.c.id, post_t.c.kind, question.c.id, question.c.title)
        .join(
            question,
            question.c.id == func.coalesce(post_t.c.parent_id, post_t.c.id),
        )
        .where(post_t.c.id.in_(ids), post_t.c.deleted_at.is_(None), question.c.deleted_at.is_(None))
    )
    links = {}
    for post_id, kind, question_id, title in rows:
        anchor = f"post-{post_id}" if kind == "answer" else None
        path = _path("gamify.question", anchor, question_id=question_id)
        links[post_id] = PostLink(path, f"answer to {title}" if kind == "answer" else title)
    return links


def post_paths(post_ids: Iterable[int | None]) -> dict[int, str]:
    """Return the page path of each live post (answers point into their question's page)."""
    return {post_id: link.path for post_id, link in post_links(post_ids).items()}


def _notify_awards(awards: list[tuple[int, str, int, Badge, str, int | None]], read: bool) -> None:
    """Tell each user about their new award, linked to the post that earned it if any."""
    paths = post_paths(post_id for *_, post_id in awards)
    for _id, award_uuid, user_id, badge, source_key, post_id in awards:
        if source_key.startswith("tag:"):
            text = f"You earned the {award_title(badge, source_key)}."
        else:
            text = f"You earned the {badge.name} badge."
        link = paths.get(post_id) or _path("badges.detail", slug=badge.slug)
        notify(user_id, "badge", text, link=link, key=f"badge:{award_uuid}", read=read)


def _award_rows(candidates: list[Candidate], at: datetime, read: bool) -> list[int]:
    """Insert awards that do not exist yet (conflicts ignored) and notify; return new ids."""
    created: list[int] = []
    for start in range(0, len(candidates), AWARDS_CHUNK):
        chunk = candidates[start : start + AWARDS_CHUNK]
        badges = {candidate.badge.id: candidate.badge for candidate in chunk}
        rows = [
            {
                "uuid": str(uuid.uuid4()),
                "badge_id": candidate.badge.id,
                "user_id": candidate.user_id,
                "source_key": candidate.source_key,
                "post_id": candidate.post_id,
                "awarded_at": at,
                "salt": secrets.token_hex(16),
            }
            for candidate in chunk
        ]
        statement = (
            dialect_insert(BadgeAward)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["user_id", "badge_id", "source_key"])
            .returning(
                BadgeAward.id,
                BadgeAward.uuid,
                BadgeAward.user_id,
                BadgeAward.badge_id,
                BadgeAward.source_key,
                BadgeAward.post_id,
            )
        )
        inserted = db.session.execute(statement).all()
        _notify_awards(
            [(row[0], row[1], row[2], badges[row[3]], row[4], row[5]) for row in inserted], read
        )
        created.extend(row[0] for row in inserted)
    return created


def _normalized(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Give once-badges the empty source key and drop repeats, keeping the first of each."""
    seen: set[tuple[int, int, str]] = set()
    result = []
    for candidate in candidates:
        if not candidate.badge.multiple:
            candidate = candidate._replace(source_key="")
        key = (candidate.user_id, candidate.badge.id, candidate.source_key)
        if key not in seen:
            seen.add(key)
            result.append(candidate)
    return result


def _not_held(candidates: list[Candidate]) -> list[Candidate]:
    """Drop candidates whose award exists already (one query), sparing needless inserts."""
    if not candidates:
        return []
    keys = [(c.user_id, c.badge.id, c.source_key) for c in candidates]
    wanted = {
        "users": sorted({user_id for user_id, _, _ in keys}),
        "badges": sorted({badge_id for _, badge_id, _ in keys}),
    }
    held = {tuple(row) for row in run(_event_sql().held, wanted)}
    return [c for c, key in zip(candidates, keys, strict=True) if key not in held]


def _badge_by_slug(slug: str) -> Badge:
    badge = next((b for b in all_badges() if b.slug == slug), None)
    if badge is None:
        raise UnknownBadge(f"There is no badge “{slug}”.")
    return badge


def award(
    user_id: int,
    badge: Badge | str,
    source_key: str = "",
    post_id: int | None = None,
    backfill: bool = False,
    *,
    at: datetime | None = None,
) -> BadgeAward | None:
    """Give a user a badge once per source; return the new award, None if already held.

    Runs in the caller's transaction (no commit). A once-badge ignores source_key.
    """
    if isinstance(badge, str):
        badge = _badge_by_slug(badge)
    (candidate,) = _normalized([Candidate(user_id, badge, source_key, post_id)])
    created = _award_rows([candidate], at or utcnow(), read=backfill)
    return db.session.get(BadgeAward, created[0]) if created else None


# ---------------------------------------------------------------------------------------------
# Events


@dataclass(frozen=True)
class PostFacts:
    id: int
    kind: str
    author_id: int
    parent_id: int | None
    score: int
    created_at: datetime
    deleted: bool
    accepted_answer_id: int | None


class EventFacts:
    """What an event's criteria read, each loaded once and fresh from the database."""

    def __init__(self, kind: str, ids: Mapping[str, Any]):
        self.kind = kind
        self.ids = dict(ids)
        self._posts: dict[int, PostFacts | None] = {}

    def post(self, post_id: int | None) -> PostFacts | None:
        if post_id is None:
            return None
        if post_id not in self._posts:
            # The question a vote's post belongs to, when the caller knows it, comes along.
            wanted = {post_id, self.ids.get("question_id")} - {None} - self._posts.keys()
            for row in run(_event_sql().posts, {"ids": sorted(wanted)}):
                self._posts[row.id] = PostFacts(*row)
            for missing in wanted - self._posts.keys():
                self._posts[missing] = None
        return self._posts[post_id]

    def lowered(self) -> bool:
        """Tell whether this is a vote that left its post's score lower or the same.

        Every score criterion only grows with the score, and awards are never taken back, so
        such a vote cannot meet one that an earlier event (or the backfill) had not.
        """
        return self.kind == "vote" and not self.ids.get("raised", True)

    @property
    def target(self) -> PostFacts | None:
        """The post the event is about (the voted post, the new answer or question)."""
        ids = self.ids
        return self.post(ids.get("post_id") or ids.get("answer_id") or ids.get("question_id"))

    def live_answer(self) -> tuple[PostFacts, PostFacts] | None:
        """Return (answer, question) when the event is about a live answer of a live question."""
        answer = self.target
        if answer is None or answer.kind != "answer" or answer.deleted:
            return None
        question = self.post(answer.parent_id)
        if question is None or question.deleted:
            return None
        return answer, question

    @cached_property
    def first_answer_id(self) -> int | None:
        pair = self.live_answer()
        if pair is None:
            return None
        return db.session.scalar(
            select(post_t.c.id)
            .where(post_t.c.parent_id == pair[1].id, post_t.c.deleted_at.is_(None))
            .order_by(post_t.c.created_at, post_t.c.id)
            .limit(1)
        )

    def vote_counts(self, voter_id: int) -> tuple[int, int]:
        return _vote_counts(voter_id)

    def tag_totals(self, user_id: int, question_id: int) -> dict[str, int]:
        return tag_scores.totals(user_id, question_id)


@prepared
def _event_sql(insert) -> SimpleNamespace:
    """The statements that evaluating an event runs, built once (see kudos.database.prepared)."""
    awards = BadgeAward.__table__
    return SimpleNamespace(
        badges=select(Badge.__table__).order_by(Badge.__table__.c.id),
        posts=select(
            post_t.c.id,
            post_t.c.kind,
            post_t.c.author_id,
            post_t.c.parent_id,
            post_t.c.score,
            post_t.c.created_at,
            post_t.c.deleted_at.is_not(None),
            post_t.c.accepted_answer_id,
        ).where(post_t.c.id.in_(bindparam("ids", expanding=True))),
        vote_counts=select(
            func.coalesce(func.sum(case((Vote.value == 1, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Vote.value == -1, 1), else_=0)), 0),
        ).where(Vote.voter_id == bindparam("voter"), Vote.retracted_at.is_(None)),
        # Narrowed by user and badge, the leading columns of the unique key's index: SQLite
        # does not search an index for a row-value IN list, and would read every award.
        held=select(awards.c.user_id, awards.c.badge_id, awards.c.source_key).where(
            awards.c.user_id.in_(bindparam("users", expanding=True)),
            awards.c.badge_id.in_(bindparam("badges", expanding=True)),
        ),
    )


def _vote_counts(voter_id: int) -> tuple[int, int]:
    upvotes, downvotes = run(_event_sql().vote_counts, {"voter": voter_id}).one()
    return int(upvotes), int(downvotes)


def _tag_totals(user_id: int) -> dict[str, int]:
    """The user's answer score in each tag they answered in, from the posts."""
    scores = tag_scores.live_answer_scores(user_id).subquery()
    rows = db.session.execute(
        select(Tag.name, scores.c.score).join(scores, scores.c.tag_id == Tag.id)
    )
    return {name: int(total or 0) for name, total in rows}


def _visit_days(user_id: int, first: date, last: date) -> list[date]:
    return list(
        db.session.scalars(
            select(UserVisit.day)
            .where(UserVisit.user_id == user_id, UserVisit.day >= first, UserVisit.day <= last)
            .order_by(UserVisit.day)
        )
    )


def _with_params(badges: list[Badge]):
    for badge in badges:
        params = effective_params(badge)
        if params is not None:
            yield badge, params


def _evaluate_post_score(kind: str):
    def evaluate(facts: EventFacts, badges: list[Badge]) -> list[Candidate]:
        if facts.lowered():
            return []
        post = facts.target
        if post is None or post.kind != kind or post.deleted:
            return []
        if kind == "answer" and facts.live_answer() is None:
            return []
        return [
            Candidate(post.author_id, badge, f"post:{post.id}", post.id)
            for badge, params in _with_params(badges)
            if post_score(post.score, **params)
        ]

    return evaluate


def _evaluate_asked_and_accepted(facts: EventFacts, badges: list[Badge]) -> list[Candidate]:
    pair = facts.live_answer()
    if pair is None:
        return []
    answer, question = pair
    counted = int(
        question.accepted_answer_id == answer.id and answer.author_id != question.author_id
    )
    return [
        Candidate(question.author_id, badge, "", question.id)
        for badge, params in _with_params(badges)
        if asked_and_accepted(counted, **params)
    ]


def _evaluate_votes_cast(facts: EventFacts, badges: list[Badge]) -> list[Candidate]:
    voter_id = facts.ids.get("voter_id")
    if voter_id is None or not facts.ids.get("cast", True):  # a withdrawal lowers the counts
        return []
    upvotes, downvotes = facts.vote_counts(voter_id)
    return [
        Candidate(voter_id, badge, "", None)
        for badge, params in _with_params(badges)
        if votes_cast(upvotes, downvotes, **params)
    ]


def _evaluate_enlightened(facts: EventFacts, badges: list[Badge]) -> list[Candidate]:
    pair = None if facts.lowered() else facts.live_answer()
    if pair is None:
        return []
    answer, question = pair
    accepted = question.accepted_answer_id == answer.id
    if not accepted:
        return []
    first = facts.first_answer_id == answer.id
    return [
        Candidate(answer.author_id, badge, f"post:{answer.id}", answer.id)
        for badge, params in _with_params(badges)
        if enlightened(first, accepted, answer.score, **params)
    ]


def _evaluate_late_answer(facts: EventFacts, badges: list[Badge]) -> list[Candidate]:
    pair = None if facts.lowered() else facts.live_answer()
    if pair is None:
        return []
    answer, question = pair
    days = days_between(question.created_at, answer.created_at)
    return [
        Candidate(answer.author_id, badge, f"post:{answer.id}", answer.id)
        for badge, params in _with_params(badges)
        if necromancer(answer.score, days, **params)
    ]


def _evaluate_tag_answer_score(facts: EventFacts, badges: list[Badge]) -> list[Candidate]:
    pair = None if facts.lowered() else facts.live_answer()
    if pair is None:
        return []
    answer, question = pair
    totals = facts.tag_totals(answer.author_id, question.id)
    return [
        Candidate(answer.author_id, badge, f"tag:{name}", answer.id)
        for badge, params in _with_params(badges)
        for name, total in sorted(totals.items())
        if tag_answer_score(total, **params)
    ]


def _evaluate_visit_streak(facts: EventFacts, badges: list[Badge]) -> list[Candidate]:
    user_id = facts.ids.get("user_id")
    checked = list(_with_params(badges))
    if user_id is None or not checked:
        return []
    day = facts.ids.get("day") or utcnow().date()
    window = max(params["min_days"] for _, params in checked)
    longest = consecutive_days(_visit_days(user_id, day - timedelta(days=max(window - 1, 0)), day))
    return [
        Candidate(user_id, badge, "", None)
        for badge, params in checked
        if visit_streak(longest, **params)
    ]


def on_event(kind: str, *, at: datetime | None = None, **ids: Any) -> list[BadgeAward]:
    """Evaluate the badges an event can change, for the users it touches; no commit.

    kind and ids: "vote" (post_id, voter_id; question_id, read along with the post when
    given; raised=False when the vote did not raise the post's score, cast=False when it
    withdrew a vote), "accept" (answer_id), "answer" (answer_id), "question" (question_id),
    "visit" (user_id, day optional). Unknown kinds are ignored.
    at dates the awards (the event's time, for data loaded with its own times).
    """
    by_criterion: dict[str, list[Badge]] = {}
    for badge in _event_badges():
        spec = CRITERIA.get(badge.criterion)
        if badge.enabled and spec is not None and kind in spec.events:
            by_criterion.setdefault(badge.criterion, []).append(badge)
    if not by_criterion:
        return []
    facts = EventFacts(kind, ids)
    candidates = []
    for name, badges in by_criterion.items():
        candidates.extend(CRITERIA[name].evaluate(facts, badges))
    fresh = _not_held(_normalized(candidates))
    if not fresh:
        return []
    created = _award_rows(fresh, at or utcnow(), read=False)
    for award_id in created:
        log.info("Badge award %s after a %s event", award_id, kind)
    return list(db.session.scalars(select(BadgeAward).where(BadgeAward.id.in_(created))))


def on_visit_recorded(sender: Any = None, *, user_id: int, day: date | None = None, **_: Any):
    """Receive the core's first-visit-of-the-day signal: award streak badges, no commit."""
    return on_event("visit", user_id=user_id, day=day)


# ---------------------------------------------------------------------------------------------
# Backfill: every past qualifier, found with SQL aggregates


def _backfill_post_score(kind: str):
    def backfill(badge: Badge, params: dict) -> list[Candidate]:
        live = and_(
            post_t.c.kind == kind,
            post_t.c.deleted_at.is_(None),
            post_t.c.score >= params["min_score"],
        )
        if kind == "answer":
            question = post_t.alias("q")
            source = post_t.join(question, question.c.id == post_t.c.parent_id)
            live = and_(live, question.c.deleted_at.is_(None))
        else:
            source = post_t
        if badge.multiple:
            statement = select(post_t.c.author_id, post_t.c.id).select_from(source).where(live)
        else:
            statement = (
                select(post_t.c.author_id, func.min(post_t.c.id))
                .select_from(source)
                .where(live)
                .group_by(post_t.c.author_id)
            )
        return [
            Candidate(author_id, badge, f"post:{post_id}", post_id)
            for author_id, post_id in db.session.execute(statement.order_by(post_t.c.author_id))
        ]

    return backfill


def _backfill_asked_and_accepted(badge: Badge, params: dict) -> list[Candidate]:
    question = post_t.alias("q")
    answer = post_t.alias("a")
    rows = db.session.execute(
        select(question.c.author_id, func.min(question.c.id), func.count(question.c.id))
        .select_from(question.join(answer, answer.c.id == question.c.accepted_answer_id))
        .where(
            question.c.deleted_at.is_(None),
            answer.c.deleted_at.is_(None),
            answer.c.author_id != question.c.author_id,
        )
        .group_by(question.c.author_id)
    )
    return [
        Candidate(author_id, badge, "", question_id)
        for author_id, question_id, count in rows
        if asked_and_accepted(count, **params)
    ]


def _backfill_votes_cast(badge: Badge, params: dict) -> list[Candidate]:
    rows = db.session.execute(
        select(
            Vote.voter_id,
            func.sum(case((Vote.value == 1, 1), else_=0)),
            func.sum(case((Vote.value == -1, 1), else_=0)),
        )
        .where(Vote.retracted_at.is_(None))
        .group_by(Vote.voter_id)
    )
    return [
        Candidate(voter_id, badge, "", None)
        for voter_id, upvotes, downvotes in rows
        if votes_cast(int(upvotes or 0), int(downvotes or 0), **params)
    ]


def _first_answers():
    """Accepted answers that were the first live answer to their live question."""
    question = post_t.alias("q")
    answer = post_t.alias("a")
    earlier = post_t.alias("e")
    no_earlier = ~exists(
        select(earlier.c.id).where(
            earlier.c.parent_id == question.c.id,
            earlier.c.deleted_at.is_(None),
            or_(
                earlier.c.created_at < answer.c.created_at,
                and_(earlier.c.created_at == answer.c.created_at, earlier.c.id < answer.c.id),
            ),
        )
    )
    source = question.join(answer, answer.c.id == question.c.accepted_answer_id)
    live = and_(question.c.deleted_at.is_(None), answer.c.deleted_at.is_(None), no_earlier)
    return answer, source, live


def _backfill_enlightened(badge: Badge, params: dict) -> list[Candidate]:
    answer, source, live = _first_answers()
    rows = db.session.execute(
        select(answer.c.author_id, answer.c.id, answer.c.score)
        .select_from(source)
        .where(live, answer.c.score >= params["min_score"])
        .order_by(answer.c.author_id, answer.c.id)
    )
    return [
        Candidate(author_id, badge, f"post:{answer_id}", answer_id)
        for author_id, answer_id, score in rows
        if enlightened(True, True, score, **params)
    ]


def _backfill_late_answer(badge: Badge, params: dict) -> list[Candidate]:
    question = post_t.alias("q")
    answer = post_t.alias("a")
    # Scores filter in SQL; the day arithmetic is the pure function's, on the few left.
    rows = db.session.execute(
        select(answer.c.author_id, answer.c.id, answer.c.score, answer.c.created_at)
        .add_columns(question.c.created_at)
        .select_from(answer.join(question, question.c.id == answer.c.parent_id))
        .where(
            answer.c.kind == "answer",
            answer.c.deleted_at.is_(None),
            question.c.deleted_at.is_(None),
            answer.c.score >= params["min_score"],
        )
        .order_by(answer.c.author_id, answer.c.id)
    )
    return [
        Candidate(author_id, badge, f"post:{answer_id}", answer_id)
        for author_id, answer_id, score, answered_at, asked_at in rows
        if necromancer(score, days_between(asked_at, answered_at), **params)
    ]


def _backfill_tag_answer_score(badge: Badge, params: dict) -> list[Candidate]:
    scores = tag_scores.live_answer_scores().subquery()
    rows = db.session.execute(
        select(scores.c.author_id, Tag.name, scores.c.score)
        .join(scores, scores.c.tag_id == Tag.id)
        .where(scores.c.score >= params["min_total"])
        .order_by(scores.c.author_id, Tag.name)
    )
    return [
        Candidate(author_id, badge, f"tag:{name}", None)
        for author_id, name, score in rows
        if tag_answer_score(int(score), **params)
    ]


def _day_number(column):
    """A day as a whole number, so that consecutive days differ by one on both databases."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column - literal(date(1970, 1, 1), Date)
    return func.julianday(column)


def longest_streaks(min_days: int = 1) -> dict[int, int]:
    """Return each user's longest run of consecutive visit days (gaps and islands in SQL)."""
    island = _day_number(UserVisit.day) - func.row_number().over(
        partition_by=UserVisit.user_id, order_by=UserVisit.day
    )
    numbered = select(UserVisit.user_id, island.label("island")).subquery()
    runs = (
        select(numbered.c.user_id, func.count().label("length"))
        .group_by(numbered.c.user_id, numbered.c.island)
        .subquery()
    )
    longest = func.max(runs.c.length)
    rows = db.session.execute(
        select(runs.c.user_id, longest).group_by(runs.c.user_id).having(longest >= min_days)
    )
    return {user_id: int(length) for user_id, length in rows}


def _backfill_visit_streak(badge: Badge, params: dict) -> list[Candidate]:
    return [
        Candidate(user_id, badge, "", None)
        for user_id, length in sorted(longest_streaks(params["min_days"]).items())
        if visit_streak(length, **params)
    ]


def backfill_targets(slug: str | None = None) -> list[Badge]:
    """Return the badges a backfill goes through: one by slug, or every enabled one."""
    badges = all_badges()
    if slug is not None:
        chosen = [badge for badge in badges if badge.slug == slug]
        if not chosen:
            known = ", ".join(sorted(badge.slug for badge in badges))
            raise UnknownBadge(f"There is no badge “{slug}”. Known badges: {known}.")
        return chosen
    return _catalog_order(badge for badge in badges if badge.enabled)


def backfill(slug: str | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Award badges for all past activity, notifications filed as read; commit per badge.

    Return how many awards were new.
    """
    sync_catalog()
    db.session.commit()
    total = 0
    at = utcnow()
    for badge in backfill_targets(slug):
        spec = CRITERIA.get(badge.criterion)
        params = effective_params(badge) if spec else None
        if spec is None or spec.backfill is None or params is None:
            log.warning("Badge %s has no backfill for criterion %s", badge.slug, badge.criterion)
        else:
            # Awards already held are skipped by the inserts' conflict clause.
            created = _award_rows(_normalized(spec.backfill(badge, params)), at, read=True)
            total += len(created)
            log.info("Backfill of %s: %d new awards", badge.slug, len(created))
        db.session.commit()
        if progress is not None:
            progress(1)
    return total


# ---------------------------------------------------------------------------------------------
# Progress towards badges not yet earned


class UserFacts:
    """The numbers a user's progress is read from, each loaded once when first needed."""

    def __init__(self, user_id: int, today: date):
        self.user_id = user_id
        self.today = today

    def best_score(self, kind: str) -> int:
        return self._best_scores.get(kind, 0)

    @cached_property
    def _best_scores(self) -> dict[str, int]:
        question = post_t.alias("q")
        rows = db.session.execute(
            select(post_t.c.kind, func.max(post_t.c.score))
            .select_from(
                post_t.join(
                    question, question.c.id == func.coalesce(post_t.c.parent_id, post_t.c.id)
                )
            )
            .where(
                post_t.c.author_id == self.user_id,
                post_t.c.deleted_at.is_(None),
                question.c.deleted_at.is_(None),
            )
            .group_by(post_t.c.kind)
        )
        return {kind: int(score or 0) for kind, score in rows}

    @cached_property
    def accepted_questions(self) -> int:
        question = post_t.alias("q")
        answer = post_t.alias("a")
        return (
            db.session.scalar(
                select(func.count(question.c.id))
                .select_from(question.join(answer, answer.c.id == question.c.accepted_answer_id))
                .where(
                    question.c.author_id == self.user_id,
                    question.c.deleted_at.is_(None),
                    answer.c.deleted_at.is_(None),
                    answer.c.author_id != self.user_id,
                )
            )
            or 0
        )

    @cached_property
    def votes(self) -> tuple[int, int]:
        return _vote_counts(self.user_id)

    @cached_property
    def best_first_accepted_score(self) -> int:
        answer, source, live = _first_answers()
        return (
            db.session.scalar(
                select(func.max(answer.c.score))
                .select_from(source)
                .where(live, answer.c.author_id == self.user_id)
            )
            or 0
        )

    def best_late_score(self, min_days: int) -> int:
        best = 0
        for score, answered_at, asked_at in self._scored_answers:
            if days_between(asked_at, answered_at) >= min_days:
                best = max(best, score)
        return best

    @cached_property
    def _scored_answers(self) -> list[tuple[int, datetime, datetime]]:
        question = post_t.alias("q")
        rows = db.session.execute(
            select(post_t.c.score, post_t.c.created_at, question.c.created_at)
            .select_from(post_t.join(question, question.c.id == post_t.c.parent_id))
            .where(
                post_t.c.author_id == self.user_id,
                post_t.c.kind == "answer",
                post_t.c.score > 0,
                post_t.c.deleted_at.is_(None),
                question.c.deleted_at.is_(None),
            )
        )
        return [tuple(row) for row in rows]

    @cached_property
    def streak(self) -> int:
        first = self.today - timedelta(days=400)
        return current_streak(_visit_days(self.user_id, first, self.today), self.today)

    @cached_property
    def tag_totals(self) -> dict[str, int]:
        return _tag_totals(self.user_id)


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


def _progress_post_score(kind: str):
    def progress(facts: UserFacts, badge: Badge, params: dict, held: set[str]):
        target = params["min_score"]
        return facts.best_score(kind), target, f"best {kind} score {{current}} of {target}"

    return progress


def _progress_asked_and_accepted(facts, badge, params, held):
    return facts.accepted_questions, 1, "{current} of 1 question with an accepted answer"


def _progress_votes_cast(facts, badge, params, held):
    upvotes, downvotes = facts.votes
    direction = params["direction"]
    current = {"up": upvotes, "down": downvotes, "any": upvotes + downvotes}[direction]
    target = params["min_votes"]
    word = {"up": "upvote", "down": "downvote", "any": "vote"}[direction]
    return current, target, f"{{current}} of {target} {_plural(target, word)}"


def _progress_enlightened(facts, badge, params, held):
    target = params["min_score"]
    label = f"best accepted first answer score {{current}} of {target}"
    return facts.best_first_accepted_score, target, label


def _progress_late_answer(facts, badge, params, held):
    target, days = params["min_score"], params["min_days"]
    label = f"best score of an answer given {days}+ days late {{current}} of {target}"
    return facts.best_late_score(days), target, label


def _progress_visit_streak(facts, badge, params, held):
    target = params["min_days"]
    return facts.streak, target, f"{{current}} of {target} days in a row"


def _progress_tag_answer_score(facts, badge, params, held):
    target = params["min_total"]
    open_tags = {name: total for name, total in facts.tag_totals.items() if name not in held}
    if not open_tags:
        return None if held else (0, target, f"answer score {{current}} of {target} in one tag")
    name, total = max(sorted(open_tags.items()), key=lambda item: item[1])
    return total, target, f"answer score {{current}} of {target} in {name}"


def progress(user_id: int, *, today: date | None = None) -> list[Progress]:
    """Return how far the user is from each enabled badge they have not earned yet."""
    # Which badges the user holds, and in which tags; posts collapse to one row per badge.
    tag_key = case((BadgeAward.source_key.like("tag:%"), BadgeAward.source_key), else_="")
    held: dict[int, set[str]] = {}
    for badge_id, source_key in db.session.execute(
        select(BadgeAward.badge_id, tag_key).where(BadgeAward.user_id == user_id).distinct()
    ):
        held.setdefault(badge_id, set()).add(source_key)
    facts = UserFacts(user_id, today or utcnow().date())
    result = []
    for badge in _catalog_order(all_badges()):
        spec = CRITERIA.get(badge.criterion)
        params = effective_params(badge) if spec and spec.progress else None
        if not badge.enabled or params is None:
            continue
        keys = held.get(badge.id, set())
        if keys and not spec.per_source:
            continue
        found = spec.progress(facts, badge, params, {key[4:] for key in keys if key})
        if found is None:
            continue
        current, target, label = found
        current = max(0, min(current, target))
        result.append(Progress(badge, current, target, label.format(current=current)))
    return result


# ---------------------------------------------------------------------------------------------
# Plain words


def _describe_post_score(kind: str):
    def describe(params, multiple):
        score = params["min_score"]
        if multiple:
            return f"Each {kind} of yours that reaches a score of {score} or more."
        return f"Your first {kind} with a score of {score} or more."

    return describe


def _describe_votes_cast(params, multiple):
    count, direction = params["min_votes"], params["direction"]
    word = {"up": "upvote", "down": "downvote", "any": "vote"}[direction]
    if count == 1:
        return f"Cast your first {word}."
    return f"Cast {count} {word}s (withdrawn votes do not count)."


register_criterion(
    Criterion(
        "question_score",
        post_score,
        _describe_post_score("question"),
        frozenset({"vote", "question"}),
        _evaluate_post_score("question"),
        _backfill_post_score("question"),
        _progress_post_score("question"),
    )
)
register_criterion(
    Criterion(
        "answer_score",
        post_score,
        _describe_post_score("answer"),
        frozenset({"vote", "answer"}),
        _evaluate_post_score("answer"),
        _backfill_post_score("answer"),
        _progress_post_score("answer"),
    )
)
register_criterion(
    Criterion(
        "asked_and_accepted",
        asked_and_accepted,
        lambda params, multiple: "Ask a question and accept someone else's answer to it.",
        frozenset({"accept"}),
        _evaluate_asked_and_accepted,
        _backfill_asked_and_accepted,
        _progress_asked_and_accepted,
    )
)
register_criterion(
    Criterion(
        "votes_cast",
        votes_cast,
        _describe_votes_cast,
        frozenset({"vote"}),
        _evaluate_votes_cast,
        _backfill_votes_cast,
        _progress_votes_cast,
    )
)
register_criterion(
    Criterion(
        "first_answer_accepted",
        enlightened,
        lambda params, multiple: (
            "Be the first to answer a question, and have that answer accepted with a score "
            f"of {params['min_score']} or more."
        ),
        frozenset({"vote", "accept"}),
        _evaluate_enlightened,
        _backfill_enlightened,
        _progress_enlightened,
    )
)
register_criterion(
    Criterion(
        "late_answer",
        necromancer,
        lambda params, multiple: (
            f"Answer a question {params['min_days']} or more days after it was asked, "
            f"with an answer that reaches a score of {params['min_score']}."
        ),
        frozenset({"vote", "answer"}),
        _evaluate_late_answer,
        _backfill_late_answer,
        _progress_late_answer,
    )
)
register_criterion(
    Criterion(
        "visit_streak",
        visit_streak,
        lambda params, multiple: (
            f"Visit Kudos on {params['min_days']} consecutive days (UTC), signed in."
        ),
        frozenset({"visit"}),
        _evaluate_visit_streak,
        _backfill_visit_streak,
        _progress_visit_streak,
    )
)
register_criterion(
    Criterion(
        "tag_answer_score",
        tag_answer_score,
        lambda params, multiple: (
            f"Answers in one tag reach a total score of {params['min_total']}; earned once per tag."
        ),
        frozenset({"vote"}),
        _evaluate_tag_answer_score,
        _backfill_tag_answer_score,
        _progress_tag_answer_score,
        per_source=True,
    )
)

for _spec in CATALOG:
    _check_spec(_spec)


# ---------------------------------------------------------------------------------------------
# Pages


class BadgeSummary(NamedTuple):
    badge: Badge
    holders: int
    awards: int
    criterion: str


def overview(include_disabled: bool = False) -> list[tuple[str, list[BadgeSummary]]]:
    """Return the badges grouped, each with how many members hold it (one grouped query)."""
    counts = {
        badge_id: (holders, awards)
        for badge_id, holders, awards in db.session.execute(
            select(
                BadgeAward.badge_id,
                func.count(func.distinct(BadgeAward.user_id)),
                func.count(BadgeAward.id),
            )
            .where(BadgeAward.revoked_at.is_(None))
            .group_by(BadgeAward.badge_id)
        )
    }
    groups: dict[str, list[BadgeSummary]] = {}
    for badge in _catalog_order(all_badges()):
        if badge.enabled or include_disabled:
            holders, awards = counts.get(badge.id, (0, 0))
            summary = BadgeSummary(badge, holders, awards, describe(badge))
            groups.setdefault(badge.group, []).append(summary)
    return list(groups.items())


def get_badge(slug: str) -> Badge | None:
    return next((badge for badge in all_badges() if badge.slug == slug), None)


def holders(badge: Badge, page: int, per_page: int, include_revoked: bool = False):
    """Page through a badge's awards, newest first, with their users."""
    statement = (
        select(BadgeAward)
        .where(BadgeAward.badge_id == badge.id)
        .options(selectinload(BadgeAward.user))
        .order_by(BadgeAward.awarded_at.desc(), BadgeAward.id.desc())
    )
    if not include_revoked:
        statement = statement.where(BadgeAward.revoked_at.is_(None))
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def user_badges(user_id: int) -> list[tuple[Badge, int]]:
    """Return the badges a user holds (not revoked) with how many times, in catalog order."""
    counts = dict(
        db.session.execute(
            select(BadgeAward.badge_id, func.count(BadgeAward.id))
            .where(BadgeAward.user_id == user_id, BadgeAward.revoked_at.is_(None))
            .group_by(BadgeAward.badge_id)
        ).all()
    )
    return [
        (badge, counts[badge.id]) for badge in _catalog_order(all_badges()) if badge.id in counts
    ]


def recent_awards(user_id: int, limit: int = 20) -> list[BadgeAward]:
    return list(
        db.session.scalars(
            select(BadgeAward)
            .where(BadgeAward.user_id == user_id, BadgeAward.revoked_at.is_(None))
            .options(selectinload(BadgeAward.badge))
            .order_by(BadgeAward.awarded_at.desc(), BadgeAward.id.desc())
            .limit(limit)
        )
    )


def parse_uuid(raw: str) -> str | None:
    """Return the canonical form of an award id, or None when it is not a UUID."""
    try:
        parsed = uuid.UUID(raw)
    except (ValueError, AttributeError, TypeError):
        return None
    return str(parsed) if str(parsed) == raw.lower() else None


def find_award(raw_uuid: str) -> BadgeAward | None:
    award_uuid = parse_uuid(raw_uuid)
    if award_uuid is None:
        return None
    return db.session.scalar(
        select(BadgeAward)
        .where(BadgeAward.uuid == award_uuid)
        .options(selectinload(BadgeAward.badge), selectinload(BadgeAward.user))
    )


def revoke(award: BadgeAward, admin: User, reason: str) -> BadgeAward:
    """Revoke an award with a reason the member is told; its assertion then answers 410."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise BadgeError("Give a reason for revoking this badge; the member will read it.")
    if len(reason) > 300:
        raise BadgeError("A reason has at most 300 characters.")
    at = utcnow()
    changed = db.session.execute(
        update(BadgeAward)
        .where(BadgeAward.id == award.id, BadgeAward.revoked_at.is_(None))
        .values(revoked_at=at, revoked_reason=reason, revoked_by_id=admin.id)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise BadgeError("This badge award was already revoked.")
    notify(
        award.user_id,
        "badge_revoked",
        f"Your {award_title(award.badge, award.source_key)} badge was revoked: {reason}",
        link=_path("badges.detail", slug=award.badge.slug),
        key=f"badge-revoked:{award.uuid}",
    )
    db.session.commit()
    db.session.refresh(award)
    log.info("Admin %s revoked badge award %s", admin.id, award.uuid)
    return award
