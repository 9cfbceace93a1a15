"""Extend a benchmark database with two years of feedback for the analytics dashboards.

Adds, from one seeded generator and with bulk inserts (COPY on PostgreSQL, executemany on
SQLite, through generate.py's Loader): surveys every two weeks of each kind with their
answers, support requests with first responses, solves and CSAT ratings, form sessions with
deflection events, suggestions with tags, status histories, votes and comments. Survey
answers and ratings add up to --responses (300,000 by default). Comments carry the sentiment
score that feedback.sentiment gives them, as the services would have stored.

    python bench/generate.py --database-url sqlite:////tmp/kb/kudos.db --scale 0.25
    python bench/generate_feedback.py --database-url sqlite:////tmp/kb/kudos.db

The database must already have its members (bench/generate.py) and no feedback yet.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from common import default_database_url, make_app
from generate import Loader, analyze
from sqlalchemy import func, select, text

from feedback import sentiment
from feedback.models import (
    Suggestion,
    SuggestionComment,
    SuggestionStatusChange,
    SuggestionVote,
)
from feedback.support import DEFAULT_SLA
from feedback.support_models import (
    CATEGORIES,
    DeflectionEvent,
    SupportRating,
    SupportRequest,
)
from feedback.surveys import Survey, SurveyResponse
from gamify.models import Tag
from kudos.extensions import db
from kudos.models import Role, User

DAY = 86_400
SURVEY_EVERY_DAYS = 14
SCORE_WEIGHTS = {
    "csat": (1, [4, 5, 10, 35, 46]),
    "nps": (0, [3, 2, 2, 3, 3, 5, 7, 14, 20, 21, 20]),
    "ces": (1, [3, 4, 7, 12, 22, 30, 22]),
}
COMMENTS = (
    "Great platform, thanks a lot!",
    "The docs are excellent and the landing zone just works.",
    "Another outage this week, the cluster was down for hours.",
    "Works fine.",
    "Please help, our pipeline keeps hitting a timeout.",
    "The self-service accounts saved us days.",
    "Support was quick and friendly.",
    "The cost report is broken again.",
    "Too many manual steps to get access.",
    "Nothing to add.",
    "I love the new Kubernetes templates.",
    "Slow answers, and the first one did not help.",
    "DNS across accounts is still confusing.",
    "Good, but the onboarding could be shorter.",
    "The portal was down when we needed it most.",
    "Thanks for fixing the IAM role so fast!",
)
REASONS = (
    "Took days to get a first answer.",
    "The fix broke something else.",
    "Nobody understood the question.",
    "Outage not acknowledged.",
)
SUGGESTION_PATH = ("open", "under_review", "planned", "in_progress", "completed")
SUGGESTION_STATUS_WEIGHTS = {
    "open": 55,
    "under_review": 10,
    "planned": 10,
    "in_progress": 7,
    "completed": 10,
    "declined": 8,
}
PRIORITY_WEIGHTS = {"urgent": 3, "high": 12, "normal": 60, "low": 25}


def _log(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True)


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


class Draw:
    """Everything generated, as lists of row tuples per table, from one seeded generator."""

    def __init__(self, args, members: list[int], leads: list[int], tags: list[int]):
        self.rng = random.Random(args.seed)
        self.end = datetime.combine(args.end, dtime(12), tzinfo=UTC)
        self.start = self.end - timedelta(days=args.days)
        self.seconds = args.days * DAY
        self.members, self.leads, self.tags = members, leads, tags
        self.scored = {text: sentiment.score(text) for text in COMMENTS + REASONS}
        self.rows: dict[str, list[tuple]] = {}

    def at(self, low: datetime | None = None) -> datetime:
        low = low or self.start
        span = max(1, int((self.end - low).total_seconds()))
        return low + timedelta(seconds=self.rng.randrange(span))

    def score(self, kind: str) -> int:
        lowest, weights = SCORE_WEIGHTS[kind]
        return lowest + self.rng.choices(range(len(weights)), weights=weights)[0]

    def comment(self, share: float) -> str | None:
        return self.rng.choice(COMMENTS) if self.rng.random() < share else None

    # Support ---------------------------------------------------------------------------------

    def support(self, requests: int, rated_share: float, sessions: int) -> None:
        rng, first = self.rng, _next_id(SupportRequest)
        categories = list(CATEGORIES)
        priorities, weights = zip(*PRIORITY_WEIGHTS.items(), strict=True)
        request_rows, rating_rows = [], []
        rating_id = _next_id(SupportRating)
        for number in range(requests):
            request_id = first + number
            created = self.at()
            priority = rng.choices(priorities, weights=weights)[0]
            respond_h, solve_h = DEFAULT_SLA[priority]
            responded = created + timedelta(hours=rng.expovariate(1 / (respond_h * 0.7)))
            solved = responded + timedelta(hours=rng.expovariate(1 / (solve_h * 0.6)))
            if responded > self.end or rng.random() < 0.04:
                responded = solved = None
            elif solved > self.end or rng.random() < 0.08:
                solved = None
            closed = (
                solved + timedelta(days=7)
                if solved and solved + timedelta(days=7) < self.end
                else None
            )
            status = "closed" if closed else "solved" if solved else "open" if responded else "new"
            category = rng.choice(categories)
            request_rows.append(
                (
                    request_id,
                    rng.choice(self.members),
                    f"Help with {category} number {number}",
                    "We are stuck and would like a hand.",
                    category,
                    priority,
                    status,
                    rng.choice(self.leads),
                    None,
                    created,
                    solved or responded or created,
                    created + timedelta(hours=respond_h),
                    created + timedelta(hours=solve_h),
                    responded,
                    solved,
                    closed,
                    None,
                )
            )
            if solved and rng.random() < rated_share:
                score = self.score("csat")
                reason = rng.choice(REASONS) if score <= 3 else None
                comment = self.comment(0.4)
                rated = min(self.end, solved + timedelta(hours=rng.expovariate(1 / 30)))
                rating_rows.append(
                    (
                        rating_id,
                        request_id,
                        request_rows[-1][1],
                        score,
                        comment,
                        reason,
                        sentiment.score_parts(reason, comment),
                        rated,
                    )
                )
                rating_id += 1
        self.rows["support_request"] = request_rows
        self.rows["support_rating"] = rating_rows
        session_rows, event_rows = [], []
        event_id = _next_id(DeflectionEvent)
        for number in range(sessions):
            started = self.at()
            session_id = f"bench{number:027d}"
            session_rows.append(
                (session_id, rng.choice(self.members), started, started + timedelta(days=7))
            )
            event_rows.append((event_id, session_id, "shown", "", 0, None, started))
            event_id += 1
            if rng.random() < 0.45:
                event_rows.append(
                    (
                        event_id,
                        session_id,
                        "opened",
                        "question",
                        rng.randrange(1, 1000),
                        None,
                        started + timedelta(minutes=1),
                    )
                )
                event_id += 1
        self.rows["deflection_session"] = session_rows
        self.rows["deflection_event"] = event_rows

    # Surveys ---------------------------------------------------------------------------------

    def surveys(self, answers: int) -> None:
        rng, survey_id, response_id = self.rng, _next_id(Survey), _next_id(SurveyResponse)
        survey_rows, response_rows = [], []
        opens = self.start.replace(hour=0)
        while opens + timedelta(days=SURVEY_EVERY_DAYS) <= self.end:
            for kind in SCORE_WEIGHTS:
                closes = opens + timedelta(days=SURVEY_EVERY_DAYS)
                survey_rows.append(
                    (
                        survey_id,
                        kind,
                        f"How was your {kind} experience?",
                        opens,
                        closes,
                        None,
                        None,
                        self.leads[0],
                        opens,
                    )
                )
                survey_id += 1
            opens += timedelta(days=SURVEY_EVERY_DAYS)
        per_survey = min(len(self.members), answers // len(survey_rows) + 1)
        remaining = answers
        for row in survey_rows:
            take = min(per_survey, remaining)
            remaining -= take
            for member in rng.sample(self.members, take):
                comment = self.comment(0.35)
                response_rows.append(
                    (
                        response_id,
                        row[0],
                        member,
                        self.score(row[1]),
                        comment,
                        self.scored.get(comment) if comment else None,
                        row[3] + timedelta(seconds=rng.randrange(SURVEY_EVERY_DAYS * DAY)),
                    )
                )
                response_id += 1
        self.rows["survey"] = survey_rows
        self.rows["survey_response"] = response_rows

    # Suggestions -----------------------------------------------------------------------------

    def suggestions(self, count: int, votes: int, comments: int) -> None:
        rng, first = self.rng, _next_id(Suggestion)
        statuses, weights = zip(*SUGGESTION_STATUS_WEIGHTS.items(), strict=True)
        suggestion_rows, tag_rows, change_rows = [], [], []
        change_id = _next_id(SuggestionStatusChange)
        created_at = []
        for number in range(count):
            suggestion_id = first + number
            created = self.at()
            created_at.append(created)
            status = rng.choices(statuses, weights=weights)[0]
            path = (
                ["declined"]
                if status == "declined"
                else list(SUGGESTION_PATH[1 : SUGGESTION_PATH.index(status) + 1])
            )
            moment, previous = created, "open"
            for step in path:
                moment = min(self.end, moment + timedelta(days=rng.expovariate(1 / 20)))
                change_rows.append(
                    (change_id, suggestion_id, rng.choice(self.leads), previous, step, None, moment)
                )
                change_id += 1
                previous = step
            suggestion_rows.append(
                [
                    suggestion_id,
                    f"Self-service idea number {number} for the platform",
                    "It would save every team time.",
                    rng.choice(self.members),
                    status,
                    created,
                    moment,
                    moment if path else None,
                    None,
                    0,
                    0,
                ]
            )
            for tag in rng.sample(self.tags, min(len(self.tags), rng.choice((1, 1, 2)))):
                tag_rows.append((suggestion_id, tag))
        # Popularity is skewed: a few suggestions draw most of the votes.
        weights = [1 / (rank + 10) for rank in range(count)]
        rng.shuffle(weights)
        cumulative, total = [], 0.0
        for weight in weights:
            total += weight
            cumulative.append(total)
        pairs: set[tuple[int, int]] = set()
        while len(pairs) < votes:
            picks = rng.choices(range(count), cum_weights=cumulative, k=votes - len(pairs))
            voters = rng.choices(self.members, k=len(picks))
            pairs.update(zip(picks, voters, strict=True))
        vote_rows, vote_id = [], _next_id(SuggestionVote)
        for index, voter in sorted(pairs):
            suggestion_rows[index][9] += 1
            vote_rows.append((vote_id, first + index, voter, self.at(created_at[index]), None))
            vote_id += 1
        comment_rows, comment_id = [], _next_id(SuggestionComment)
        for index in rng.choices(range(count), cum_weights=cumulative, k=comments):
            suggestion_rows[index][10] += 1
            body = rng.choice(COMMENTS)
            comment_rows.append(
                (
                    comment_id,
                    first + index,
                    rng.choice(self.members),
                    body,
                    self.scored[body],
                    self.at(created_at[index]),
                )
            )
            comment_id += 1
        self.rows["suggestion"] = [tuple(row) for row in suggestion_rows]
        self.rows["suggestion_tag"] = tag_rows
        self.rows["suggestion_status_change"] = change_rows
        self.rows["suggestion_vote"] = vote_rows
        self.rows["suggestion_comment"] = comment_rows


COLUMNS = {
    "support_request": (
        "id",
        "requester_id",
        "subject",
        "description",
        "category",
        "priority",
        "status",
        "assignee_id",
        "suggestion_id",
        "created_at",
        "updated_at",
        "first_response_due_at",
        "resolution_due_at",
        "first_response_at",
        "solved_at",
        "closed_at",
        "deflection_session_id",
    ),
    "support_rating": (
        "id",
        "request_id",
        "user_id",
        "score",
        "comment",
        "reason",
        "sentiment",
        "created_at",
    ),
    "deflection_session": ("id", "user_id", "started_at", "window_ends_at"),
    "deflection_event": (
        "id",
        "session_id",
        "kind",
        "target_type",
        "target_id",
        "request_id",
        "created_at",
    ),
    "survey": (
        "id",
        "kind",
        "question",
        "opens_at",
        "closes_at",
        "closed_at",
        "closed_by_id",
        "created_by_id",
        "created_at",
    ),
    "survey_response": (
        "id",
        "survey_id",
        "user_id",
        "score",
        "comment",
        "sentiment",
        "created_at",
    ),
    "suggestion": (
        "id",
        "title",
        "description",
        "author_id",
        "status",
        "created_at",
        "updated_at",
        "status_changed_at",
        "duplicate_of_id",
        "vote_count",
        "comment_count",
    ),
    "suggestion_tag": ("suggestion_id", "tag_id"),
    "suggestion_status_change": (
        "id",
        "suggestion_id",
        "changed_by_id",
        "from_status",
        "to_status",
        "note",
        "created_at",
    ),
    "suggestion_vote": ("id", "suggestion_id", "voter_id", "created_at", "merged_from_id"),
    "suggestion_comment": ("id", "suggestion_id", "author_id", "body", "sentiment", "created_at"),
}
ORDER = (
    "suggestion",
    "suggestion_tag",
    "suggestion_status_change",
    "suggestion_vote",
    "suggestion_comment",
    "deflection_session",
    "support_request",
    "deflection_event",
    "support_rating",
    "survey",
    "survey_response",
)
SERIAL = (
    "support_request",
    "support_rating",
    "deflection_event",
    "survey",
    "survey_response",
    "suggestion",
    "suggestion_status_change",
    "suggestion_vote",
    "suggestion_comment",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--responses", type=int, default=300_000, help="survey answers plus CSAT ratings"
    )
    parser.add_argument("--suggestions", type=int, default=50_000)
    parser.add_argument("--suggestion-votes", type=int, default=500_000)
    parser.add_argument("--suggestion-comments", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--sessions", type=int, default=30_000, help="support form sessions")
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", type=date.fromisoformat, default=datetime.now(UTC).date())
    parser.add_argument("--database-url", default=default_database_url())
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    app = make_app(args.database_url)
    with app.app_context():
        tables = db.metadata.tables
        if db.session.scalar(select(func.count()).select_from(Suggestion)) or db.session.scalar(
            select(func.count()).select_from(SurveyResponse)
        ):
            raise SystemExit("The database already has feedback; extend a fresh bench database.")
        members = list(db.session.scalars(select(User.id).where(User.role == Role.MEMBER)))
        leads = list(db.session.scalars(select(User.id).where(User.role != Role.MEMBER)))
        leads = leads or members[:5]
        tags = list(db.session.scalars(select(Tag.id)))
        if len(members) < 100 or not tags:
            raise SystemExit("Run bench/generate.py first: it makes the members and tags.")
        draw = Draw(args, members, leads, tags)
        draw.support(args.requests, 0.8, args.sessions)
        draw.surveys(max(0, args.responses - len(draw.rows["support_rating"])))
        draw.suggestions(args.suggestions, args.suggestion_votes, args.suggestion_comments)
        _log(f"drawn from seed {args.seed} over {args.days} days", started)
        db.session.remove()
        loader = Loader()
        for name in ORDER:
            count = loader.load(tables[name], COLUMNS[name], draw.rows[name])
            _log(f"loaded {count:,} {name}", started)
        loader.finish()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                for name in SERIAL:
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                            f"(SELECT coalesce(max(id), 1) FROM {name}))"
                        )
                    )
        analyze()
        _log("statistics analysed", started)
        ratings = len(draw.rows["support_rating"])
        answers = len(draw.rows["survey_response"])
        print(
            f"responses: {answers:,} survey answers + {ratings:,} CSAT ratings = "
            f"{answers + ratings:,}"
        )


if __name__ == "__main__":
    main()
