"""Serial voting: find one voter voting for one author too often, and take those points back.

The rule (docs/anti-gaming.md): SERIAL_THRESHOLD or more votes, up or down, from one voter on
posts of one author within SERIAL_WINDOW. Only votes that stand count (a withdrawn vote has
already given its points back), and a post counts once, since a voter has at most one
standing vote on it. Every vote inside such a window is corrected: its awards still standing
(the author's, and the voter's cost of a downvote) are reversed with a visible "voting
corrected" ledger row on the award's own day, and then the daily cap of each day that freed
room is applied again, in order, so that gains it cut that day are paid what now fits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby

from sqlalchemy import func, select

from gamify import engine
from gamify.models import PointEvent, Post, Vote
from kudos.database import retry_transient
from kudos.extensions import db
from kudos.models import User, utcnow

log = logging.getLogger(__name__)

SERIAL_THRESHOLD = 5
SERIAL_WINDOW = timedelta(hours=24)
REASON = "voting corrected"
CHUNK = 500


@dataclass(frozen=True)
class SerialCase:
    """Votes from one voter on one author's posts that crossed the threshold in one window."""

    voter_id: int
    author_id: int
    vote_ids: tuple[int, ...]
    first_at: datetime
    last_at: datetime
    standing: int  # awards of these votes not reversed yet
    voter_email: str = ""
    author_email: str = ""

    @property
    def votes(self) -> int:
        return len(self.vote_ids)


@dataclass(frozen=True)
class CaseResult:
    case: SerialCase
    reversed: int = 0  # "voting corrected" rows written
    author_points: int = 0  # what those rows changed, for the author...
    voter_points: int = 0  # ...and for the voter (a downvote's cost given back)
    repaid: int = 0  # points the daily cap now lets through ("daily cap recomputed")
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.error is None and self.reversed > 0


@dataclass
class Report:
    results: list[CaseResult] = field(default_factory=list)

    @property
    def corrected(self) -> list[CaseResult]:
        return [result for result in self.results if result.changed]

    @property
    def failed(self) -> list[CaseResult]:
        return [result for result in self.results if result.error is not None]

    @property
    def reversed(self) -> int:
        return sum(result.reversed for result in self.results)

    @property
    def repaid(self) -> int:
        return sum(result.repaid for result in self.results)

    @property
    def changed(self) -> bool:
        return bool(self.corrected)


def _windows(times: list[datetime], threshold: int, window: timedelta) -> list[tuple[int, int]]:
    """Return the index ranges (first, last) of sorted times covered by a busy window.

    A window starts at each vote and holds the votes cast less than window after it; windows
    holding threshold or more votes are busy, and overlapping busy windows merge.
    """
    spans: list[tuple[int, int]] = []
    last = 0
    for first, start in enumerate(times):
        last = max(last, first)
        while last + 1 < len(times) and times[last + 1] - start < window:
            last += 1
        if last - first + 1 < threshold:
            continue
        if spans and first <= spans[-1][1]:
            spans[-1] = (spans[-1][0], last)
        else:
            spans.append((first, last))
    return spans


def _award_keys(vote_ids: Iterable[int]) -> list[str]:
    """The ledger keys under which gamify.services.vote records a vote's points."""
    return [key for vote_id in vote_ids for key in (f"vote:{vote_id}", f"vote:{vote_id}:cost")]


def _standing_awards(vote_ids: Iterable[int]) -> list[PointEvent]:
    """Return the awards of these votes that no row has reversed yet, in ledger order."""
    keys = _award_keys(vote_ids)
    undone = select(PointEvent.reverses_id).where(PointEvent.reverses_id.is_not(None))
    found: list[PointEvent] = []
    for index in range(0, len(keys), CHUNK):
        found += db.session.scalars(
            select(PointEvent).where(
                PointEvent.event_key.in_(keys[index : index + CHUNK]),
                PointEvent.id.not_in(undone),
            )
        ).all()
    return sorted(found, key=lambda event: event.id)


def find_serial_voting(
    since: datetime | None = None,
    *,
    threshold: int = SERIAL_THRESHOLD,
    window: timedelta = SERIAL_WINDOW,
) -> list[SerialCase]:
    """List the serial voting among standing votes cast since then (all votes when None)."""
    voted = [Vote.retracted_at.is_(None), Post.author_id != Vote.voter_id]
    if since is not None:
        voted.append(Vote.created_at >= since)
    # Only a pair with threshold votes in the whole period can have them within one window.
    pairs = (
        select(Vote.voter_id, Post.author_id)
        .join(Post, Post.id == Vote.post_id)
        .where(*voted)
        .group_by(Vote.voter_id, Post.author_id)
        .having(func.count(Vote.id) >= threshold)
        .subquery()
    )
    rows = db.session.execute(
        select(Vote.id, Vote.voter_id, Post.author_id, Vote.created_at)
        .join(Post, Post.id == Vote.post_id)
        .join(pairs, (pairs.c.voter_id == Vote.voter_id) & (pairs.c.author_id == Post.author_id))
        .where(*voted)
        .order_by(Vote.voter_id, Post.author_id, Vote.created_at, Vote.id)
    ).all()
    spans: list[tuple[int, int, list]] = []
    for (voter_id, author_id), group in groupby(rows, key=lambda row: (row[1], row[2])):
        votes = list(group)
        for first, last in _windows([vote.created_at for vote in votes], threshold, window):
            spans.append((voter_id, author_id, votes[first : last + 1]))
    standing = _standing_awards(vote.id for *_, votes in spans for vote in votes)
    by_vote: dict[int, int] = {}
    for event in standing:
        vote_id = int(event.event_key.split(":")[1])
        by_vote[vote_id] = by_vote.get(vote_id, 0) + 1
    users = {user for voter_id, author_id, _ in spans for user in (voter_id, author_id)}
    emails = dict(db.session.execute(select(User.id, User.email).where(User.id.in_(users))).all())
    return [
        SerialCase(
            voter_id=voter_id,
            author_id=author_id,
            vote_ids=tuple(vote.id for vote in votes),
            first_at=votes[0].created_at,
            last_at=votes[-1].created_at,
            standing=sum(by_vote.get(vote.id, 0) for vote in votes),
            voter_email=emails.get(voter_id, ""),
            author_email=emails.get(author_id, ""),
        )
        for voter_id, author_id, votes in spans
    ]


@retry_transient()
def _correct_case(case: SerialCase, actor_id: int | None, at: datetime) -> CaseResult:
    engine.lock_users([case.author_id, case.voter_id], at)
    undone = [
        engine.reverse(award.event_key, reason=REASON, actor_id=actor_id, at=at, day=award.day)
        for award in _standing_awards(case.vote_ids)
    ]
    # Even an award the cap cut to 0 is reversed: it marks the vote so that the cap is never
    # applied again in its favour. Only a capped gain that paid frees room on its day.
    freed = {(event.user_id, event.day) for event in undone if event.capped and event.applied}
    repaid = [
        event for user_id, day in sorted(freed) for event in engine.reapply_cap(user_id, day, at=at)
    ]
    db.session.commit()
    return CaseResult(
        case,
        reversed=len(undone),
        author_points=sum(event.applied for event in undone if event.user_id == case.author_id),
        voter_points=sum(event.applied for event in undone if event.user_id == case.voter_id),
        repaid=sum(event.applied for event in repaid),
    )


def correct(
    cases: Iterable[SerialCase],
    *,
    actor_id: int | None = None,
    at: datetime | None = None,
    progress: Callable[[CaseResult], None] | None = None,
) -> Report:
    """Reverse the standing awards of serial votes, one transaction per case, and re-apply
    the daily cap of the days that freed room. Running it again changes nothing."""
    at = at or utcnow()
    report = Report()
    for case in cases:
        if case.standing == 0:
            result = CaseResult(case)
        else:
            try:
                result = _correct_case(case, actor_id, at)
            except Exception as error:
                db.session.rollback()
                log.exception("Could not correct votes of %s on %s", case.voter_id, case.author_id)
                result = CaseResult(case, error=f"{type(error).__name__}: {error}")
            else:
                log.info(
                    "Voting corrected: %s award(s) of %s vote(s) by user %s on user %s",
                    result.reversed,
                    case.votes,
                    case.voter_id,
                    case.author_id,
                )
        report.results.append(result)
        if progress is not None:
            progress(result)
    return report


def days_with_undone_repayments() -> list[tuple[int, date]]:
    """Find the (user, day) pairs holding a "daily cap recomputed" row whose award was
    undone since, such as a re-paid vote withdrawn afterwards."""
    undone = select(PointEvent.reverses_id).where(PointEvent.reverses_id.is_not(None))
    recaps = db.session.execute(
        select(PointEvent.user_id, PointEvent.day, PointEvent.event_key).where(
            PointEvent.event_key.like("recap:%"), PointEvent.id.not_in(undone)
        )
    ).all()
    award_day = {int(key.split(":")[1]): (user_id, day) for user_id, day, key in recaps}
    awards = list(award_day)
    days: set[tuple[int, date]] = set()
    for index in range(0, len(awards), CHUNK):
        days.update(
            award_day[award_id]
            for award_id in db.session.scalars(
                select(PointEvent.reverses_id).where(
                    PointEvent.reverses_id.in_(awards[index : index + CHUNK])
                )
            )
        )
    return sorted(days)


def settle_undone_repayments(*, at: datetime | None = None) -> int:
    """Take back re-payments whose award was undone since (a withdrawn vote), day by day.

    An undo reverses what the award itself paid; what the cap let through later for it is
    a row of its own, which reapply_cap reverses. Returns the number of rows so reversed.
    """
    at = at or utcnow()
    taken = 0
    for user_id, day in days_with_undone_repayments():
        try:
            written = _settle_day(user_id, day, at)
        except Exception:
            db.session.rollback()
            log.exception("Could not re-apply the daily cap of user %s on %s", user_id, day)
            continue
        taken += sum(1 for event in written if event.reverses_id is not None)
    return taken


@retry_transient()
def _settle_day(user_id: int, day: date, at: datetime) -> list[PointEvent]:
    written = engine.reapply_cap(user_id, day, at=at)
    db.session.commit()
    return written
