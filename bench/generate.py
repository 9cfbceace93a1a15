"""Build a deterministic community of a given size, consistent with the points engine.

The Q&A rows (users, tags, questions, answers, votes, accepts) are drawn from one seeded
generator; the ledger rows they imply are computed here by replaying every vote, withdrawal,
change and accept in time order with the engine's rules (gamify.engine.DEFAULT_RULES, the
daily cap with partial credit, the floor of 1, the app's event keys), bulk-loaded (COPY on
PostgreSQL, executemany on SQLite), and then the app's own gamify.ledger.recalculate() builds
the rollups. --verify runs gamify.ledger.verify() to prove the counters match the ledger.

    python bench/generate.py --database-url postgresql://postgres@127.0.0.1/kudos_bench
    python bench/generate.py --database-url sqlite:////tmp/kudos-bench/sqlite/kudos.db --verify

--badges also awards the badges that past activity earned (the app's own backfill), so that
bench/votes.py meets a community whose members hold their badges, as on a live site.

The database must be empty (or not exist yet): the schema is created with flask_migrate.
The search index (post_fts) is left empty.
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from common import default_database_url, make_app
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import Table, func, select, text

from gamify import badges, engine, ledger, tag_scores
from gamify.models import (
    PointDay,
    PointEvent,
    PointPeriod,
    Post,
    PostRevision,
    Tag,
    UserScore,
    Vote,
    question_tag,
)
from gamify.services import VOTE_ACTIONS, VOTES_PER_DAY
from kudos.demo import FIRST_NAMES, LAST_NAMES
from kudos.extensions import db
from kudos.models import User

DAY = 86_400
BATCH = 10_000
SHOWCASE_ANSWERS = 30
# Sort keys pack (time, kind, id) into one int: kinds order a withdrawal before the new vote
# of a change made at the same second, as the vote service does.
ID_SPACE = 1 << 26
WITHDRAW, CAST, ACCEPT = 0, 1, 2
QUESTION, ANSWER = 0, 1
NO_EVENT = 0

TOPICS = (
    "rotate IAM access keys for a CI pipeline",
    "peer two VPCs that live in different accounts",
    "find which team owns an unexpected cost spike",
    "grant a managed identity access to a storage account",
    "expose a service through the shared ingress controller",
    "debug a pod stuck in CrashLoopBackOff",
    "import an existing resource into Terraform state",
    "ship container logs to the central log platform",
    "resolve private DNS names across VPCs",
    "deploy to the shared cluster from our pipeline",
)
OPENERS = ("How do I", "What is the recommended way to", "Is there a supported way to")
BODIES = (
    "We followed the platform docs but got stuck at the last step.\n\n```\nterraform plan\n```\n"
    "\nand got `AccessDenied: not authorized to perform this operation`. What are we missing?",
    "This worked in our sandbox account but fails in production with a **403**. We checked "
    "the role bindings twice; is there a policy we cannot see?",
    "Our team is new to the landing zone and we are not sure who owns this. Any pointer to "
    "the right *runbook* is welcome.",
)
ANSWER_BODIES = (
    "The platform supports this through the shared module; pin it to the latest release and "
    "set the `team` input. Do not create the resource by hand, the guardrails will remove it.",
    "You need the role from the landing zone baseline first. Request it in the access portal; "
    "after that the command works as written.",
    "This is a known limitation of the current network design. The workaround is to route "
    "through the hub and add the prefix to the allow-list, which takes about a day.",
    "Use short-lived credentials instead:\n\n1. add your repository to the trust policy\n"
    "2. drop the static keys\n\nThe federation is already set up for the shared runners.",
)
TAG_WORDS = (
    "aws azure gcp kubernetes terraform iam networking billing dns ci-cd observability "
    "security landing-zones helm postgres kafka"
).split()


@dataclass(frozen=True)
class Plan:
    """The size of the community to build."""

    users: int
    posts: int
    votes: int
    days: int
    seed: int
    end: date

    def scaled(self, factor: float) -> Plan:
        """Return the same community shape, factor times as large."""
        return Plan(
            users=max(50, round(self.users * factor)),
            posts=max(100, round(self.posts * factor)),
            votes=max(100, round(self.votes * factor)),
            days=self.days,
            seed=self.seed,
            end=self.end,
        )


@dataclass
class Community:
    """Everything drawn for a plan; posts and votes are indexed by id (index 0 unused)."""

    plan: Plan
    start: datetime
    roles: list[str]
    user_created: array
    tags: list[str]
    post_kind: bytearray
    post_parent: array
    post_author: array
    post_time: array
    question_tags: dict[int, list[int]]
    accepted: dict[int, tuple[int, int, int]]  # question -> (answer, time, actor)
    vote_post: array
    vote_voter: array
    vote_value: array
    vote_time: array
    vote_retracted: array  # time withdrawn, -1 while active
    vote_replacement: array  # for a vote that was changed, the id of the new vote; else 0
    showcase_id: int
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def seconds(self) -> int:
        return self.plan.days * DAY

    def at(self, second: int) -> datetime:
        return self.start + timedelta(seconds=second)


def _cumulative(weights: Iterable[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _log(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True)


# ---------------------------------------------------------------------------------------------
# Drawing the community


def draw(plan: Plan, clock: float) -> Community:
    """Draw users, tags, posts, votes and accepts for plan, deterministically from its seed."""
    rng = random.Random(plan.seed)
    start = datetime(plan.end.year, plan.end.month, plan.end.day, tzinfo=UTC) - timedelta(
        days=plan.days - 1
    )
    end = plan.days * DAY
    users = plan.users
    leads = max(3, users // 1000)
    roles = ["", "admin", *(["lead"] * leads), *(["member"] * (users - leads - 1))]
    user_created = array("q", [0] * (users + 1))
    for user in range(1, users + 1):
        user_created[user] = -rng.randrange(DAY, 400 * DAY)
    # A long tail: a few people write and vote a lot, most rarely (Pareto weights).
    user_ids = range(1, users + 1)
    ask_cw = _cumulative(rng.paretovariate(2.0) for _ in user_ids)
    write_cw = _cumulative(min(rng.paretovariate(1.16), 2000.0) for _ in user_ids)
    vote_cw = _cumulative(min(rng.paretovariate(1.5), 500.0) for _ in user_ids)
    tags = [f"{a}-{b}" if a != b else a for a in TAG_WORDS for b in TAG_WORDS][:200]
    tag_cw = _cumulative(1 / (rank + 1) for rank in range(len(tags)))

    questions = max(1, plan.posts // 3)
    answers = plan.posts - questions
    # Questions: (time, author); the first one is the showcase with exactly 30 answers.
    q_time = [5 * DAY] + [rng.randrange(0, end - 2 * 3600) for _ in range(questions - 1)]
    q_author = rng.choices(user_ids, cum_weights=ask_cw, k=questions)
    q_weight = [0.0] + [rng.paretovariate(1.5) for _ in range(questions - 1)]
    q_cw = _cumulative(q_weight)
    a_question = [0] * min(SHOWCASE_ANSWERS, answers)
    a_question += rng.choices(range(questions), cum_weights=q_cw, k=answers - len(a_question))
    a_author = rng.choices(user_ids, cum_weights=write_cw, k=answers)
    a_time = []
    for index, question in enumerate(a_question):
        while a_author[index] == q_author[question]:
            a_author[index] = rng.choices(user_ids, cum_weights=write_cw)[0]
        delay = 300 + int(rng.expovariate(1 / (12 * 3600)))
        a_time.append(min(q_time[question] + delay, end - 1))
    _log(f"drew {questions:,} questions and {answers:,} answers", clock)

    # Ids follow time, as they do in the app: order every post by (time, questions first).
    order = sorted(
        itertools.chain(
            ((q_time[i], QUESTION, i) for i in range(questions)),
            ((a_time[i], ANSWER, i) for i in range(answers)),
        )
    )
    total_posts = questions + answers
    post_kind = bytearray(total_posts + 1)
    post_parent = array("q", [0] * (total_posts + 1))
    post_author = array("q", [0] * (total_posts + 1))
    post_time = array("q", [0] * (total_posts + 1))
    question_id = [0] * questions
    answer_id = [0] * answers
    for post_id, (moment, kind, index) in enumerate(order, start=1):
        post_kind[post_id] = kind
        post_time[post_id] = moment
        if kind == QUESTION:
            question_id[index] = post_id
            post_author[post_id] = q_author[index]
        else:
            answer_id[index] = post_id
            post_author[post_id] = a_author[index]
    for index, question in enumerate(a_question):
        post_parent[answer_id[index]] = question_id[question]
    del order, q_time, a_time, a_author
    question_tags = {
        question_id[i]: sorted(set(rng.choices(range(len(tags)), cum_weights=tag_cw, k=3)))
        for i in range(questions)
    }

    # How much attention a post gets: votes and, among a question's answers, the accept.
    post_weight = [0.0] + [min(rng.paretovariate(1.3), 1000.0) for _ in range(total_posts)]
    post_cw = _cumulative(post_weight[1:])
    votes = _draw_votes(rng, plan, post_kind, post_author, post_time, post_cw, vote_cw, clock)

    # Accepts: the asker (or now and then a lead) accepts the most-voted-for answer of 60%.
    answers_of: dict[int, list[int]] = {}
    for index in range(answers):
        answers_of.setdefault(post_parent[answer_id[index]], []).append(answer_id[index])
    accepted: dict[int, tuple[int, int, int]] = {}
    for question in question_id:
        candidates = answers_of.get(question)
        if not candidates or rng.random() >= 0.6:
            continue
        best = max(candidates, key=lambda post: (post_weight[post], -post))
        moment = min(post_time[best] + 300 + int(rng.expovariate(1 / DAY)), end - 1)
        actor = post_author[question] if rng.random() < 0.9 else rng.randrange(2, leads + 2)
        accepted[question] = (best, moment, actor)
    _log(f"drew {len(accepted):,} accepted answers", clock)

    return Community(
        plan=plan,
        start=start,
        roles=roles,
        user_created=user_created,
        tags=tags,
        post_kind=post_kind,
        post_parent=post_parent,
        post_author=post_author,
        post_time=post_time,
        question_tags=question_tags,
        accepted=accepted,
        showcase_id=question_id[0],
        **votes,
    )


def _draw_votes(rng, plan, post_kind, post_author, post_time, post_cw, vote_cw, clock) -> dict:
    """Draw votes: no self votes, one per voter and post, at most 30 a day per voter;
    2% are withdrawn later and 1% changed to the other direction."""
    end = plan.days * DAY
    posts = len(post_kind) - 1
    users = plan.users
    stride = users + 1
    days = plan.days
    seen: set[int] = set()
    per_day: dict[int, int] = {}
    v_time, v_post, v_voter, v_value, v_retracted = (array("q") for _ in range(5))
    v_original = array("q")  # for the new vote of a change, the draw index of the old one
    post_ids = range(1, posts + 1)
    user_ids = range(1, users + 1)
    rejected = 0
    while len(v_time) < plan.votes:
        chunk = min(200_000, 2 * (plan.votes - len(v_time)) + 100)
        picks = zip(
            rng.choices(post_ids, cum_weights=post_cw, k=chunk),
            rng.choices(user_ids, cum_weights=vote_cw, k=chunk),
            strict=True,
        )
        for post, voter in picks:
            if len(v_time) >= plan.votes:
                break
            pair = post * stride + voter
            if voter == post_author[post] or pair in seen:
                rejected += 1
                continue
            born = post_time[post]
            if rng.random() < 0.7:
                delay = 60 + int(rng.expovariate(1 / (2 * DAY)))
            else:
                delay = 60 + rng.randrange(0, max(1, end - born))
            moment = min(born + delay, end - 1)
            if moment <= born:
                rejected += 1
                continue
            slot = voter * (days + 1) + moment // DAY
            if per_day.get(slot, 0) >= VOTES_PER_DAY:
                rejected += 1
                continue
            seen.add(pair)
            per_day[slot] = per_day.get(slot, 0) + 1
            down = 0.07 if post_kind[post] == ANSWER else 0.10
            value = -1 if rng.random() < down else 1
            v_time.append(moment)
            v_post.append(post)
            v_voter.append(voter)
            v_value.append(value)
            v_retracted.append(-1)
            v_original.append(-1)
            fate = rng.random()
            if fate >= 0.03:
                continue
            later = moment + 60 + int(rng.expovariate(1 / DAY))
            if later >= end:
                continue
            v_retracted[-1] = later
            slot = voter * (days + 1) + later // DAY
            if fate < 0.01 and per_day.get(slot, 0) < VOTES_PER_DAY:
                # A change: the old vote is withdrawn and a new one cast at the same second.
                per_day[slot] = per_day.get(slot, 0) + 1
                v_original.append(len(v_time) - 1)
                v_time.append(later)
                v_post.append(post)
                v_voter.append(voter)
                v_value.append(-value)
                v_retracted.append(-1)
    _log(f"drew {len(v_time):,} votes ({rejected:,} draws rejected)", clock)
    # Vote ids follow the order the app would create them in (see timeline): by time; within a
    # second, the new votes of changes (in the order of the votes they replace) come first.
    plain = sorted((i for i in range(len(v_time)) if v_original[i] < 0), key=v_time.__getitem__)
    rank = {index: position for position, index in enumerate(plain)}

    def creation(index: int) -> tuple[int, int, int]:
        original = v_original[index]
        if original >= 0:
            return (v_time[index], WITHDRAW, rank[original])
        return (v_time[index], CAST, rank[index])

    order = sorted(range(len(v_time)), key=creation)
    vote_id = array("q", [0] * len(v_time))
    for position, index in enumerate(order, start=1):
        vote_id[index] = position
    replacement = array("q", [0] * (len(v_time) + 1))
    for index, original in enumerate(v_original):
        if original >= 0:
            replacement[vote_id[original]] = vote_id[index]

    def by_id(values: array) -> array:
        result = array(values.typecode, [0])
        result.extend(values[i] for i in order)
        return result

    return {
        "vote_post": by_id(v_post),
        "vote_voter": by_id(v_voter),
        "vote_value": by_id(v_value),
        "vote_time": by_id(v_time),
        "vote_retracted": by_id(v_retracted),
        "vote_replacement": replacement,
    }


# ---------------------------------------------------------------------------------------------
# Replaying the engine


class Ledger:
    """The engine's record() and reverse() replayed in memory, yielding ledger rows."""

    def __init__(self, community: Community):
        self.community = community
        users = community.plan.users
        self.total = array("q", [engine.FLOOR] * (users + 1))
        self.capped_today: dict[int, int] = {}
        self.stride = community.plan.days + 1
        self.next_id = 1
        self.days = [community.start.date() + timedelta(days=d) for d in range(self.stride)]

    def record(
        self,
        action: str,
        user: int,
        second: int,
        key: str,
        source_id: int,
        question_id: int,
        actor_id: int | None,
    ) -> tuple[tuple, int]:
        """Return the ledger row engine.record would write, and the points it applied."""
        rule = engine.DEFAULT_RULES[action]
        requested = rule.points
        applied, note = requested, None
        slot = user * self.stride + second // DAY
        if applied > 0 and rule.capped:
            room = max(0, engine.DAILY_CAP - self.capped_today.get(slot, 0))
            if applied > room:
                applied = room
                note = (
                    f"daily cap of {engine.DAILY_CAP} reached"
                    if room == 0
                    else f"daily cap of {engine.DAILY_CAP}: {room} of {requested} paid"
                )
        if requested < 0:
            applied = max(requested, engine.FLOOR - self.total[user])
            if applied != requested:
                note = f"total cannot go below {engine.FLOOR}"
        row = self._row(
            user, action, requested, applied, rule.capped, second, source_id, question_id,
            actor_id, key, None, note,
        )  # fmt: skip
        return row, applied

    def reverse(
        self,
        original: tuple,
        original_applied: int,
        second: int,
        reason: str,
    ) -> tuple:
        """Return the row engine.reverse would write to undo original."""
        event_id, user, action, _, _, _, capped, _, _, _, source_id, question_id = original[:12]
        requested = -original_applied
        applied, note = requested, reason
        if requested < 0:
            applied = max(requested, engine.FLOOR - self.total[user])
            if applied != requested:
                note = f"{reason}; total cannot go below {engine.FLOOR}"
        return self._row(
            user, action, requested, applied, capped, second, source_id, question_id, None,
            f"undo:{event_id}", event_id, note,
        )  # fmt: skip

    def _row(
        self, user, action, requested, applied, capped, second, source_id, question_id, actor_id,
        key, reverses_id, note,
    ) -> tuple:  # fmt: skip
        event_id = self.next_id
        self.next_id += 1
        self.total[user] += applied
        if capped:
            slot = user * self.stride + second // DAY
            self.capped_today[slot] = self.capped_today.get(slot, 0) + applied
        return (
            event_id, user, action, 1, requested, applied, capped, self.days[second // DAY],
            self.community.at(second), "post", source_id, question_id, actor_id, key,
            reverses_id, note,
        )  # fmt: skip


LEDGER_COLUMNS = (
    "id", "user_id", "action", "rule_version", "requested", "applied", "capped", "day",
    "created_at", "source_type", "source_id", "question_id", "actor_id", "event_key",
    "reverses_id", "note",
)  # fmt: skip


def timeline(c: Community) -> Iterator[tuple[int, int, int]]:
    """Yield (second, kind, vote or question id) for every vote, withdrawal and accept, in the
    order the app would have seen them. A change of vote is one WITHDRAW event: the service
    withdraws the old vote and casts the new one (c.vote_replacement) in the same call."""
    votes = len(c.vote_time) - 1
    assert max(votes, len(c.post_kind)) < ID_SPACE
    replacements = set(c.vote_replacement)
    keys = array("q")
    for vote in range(1, votes + 1):
        if vote not in replacements:
            keys.append((c.vote_time[vote] * 3 + CAST) * ID_SPACE + vote)
        if c.vote_retracted[vote] >= 0:
            keys.append((c.vote_retracted[vote] * 3 + WITHDRAW) * ID_SPACE + vote)
    for question, (_, moment, _) in c.accepted.items():
        keys.append((moment * 3 + ACCEPT) * ID_SPACE + question)
    for packed in sorted(keys):
        second, kind = divmod(packed // ID_SPACE, 3)
        yield second, kind, packed % ID_SPACE


def ledger_rows(community: Community) -> Iterator[tuple]:
    """Yield the ledger in id order: the timeline replayed through the engine's rules."""
    c = community
    replay = Ledger(c)
    # Per vote: the row and points of its award and of its cost (a downvote on an answer).
    award: dict[int, tuple[tuple, int]] = {}
    cost: dict[int, tuple[tuple, int]] = {}

    def cast(vote: int, second: int) -> Iterator[tuple]:
        post, voter, value = c.vote_post[vote], c.vote_voter[vote], c.vote_value[vote]
        kind_name = "question" if c.post_kind[post] == QUESTION else "answer"
        question = post if kind_name == "question" else c.post_parent[post]
        row, applied = replay.record(
            VOTE_ACTIONS[(kind_name, value)], c.post_author[post], second,
            f"vote:{vote}", post, question, voter,
        )  # fmt: skip
        yield row
        if c.vote_retracted[vote] >= 0:
            award[vote] = (row, applied)
        if value == -1 and kind_name == "answer":
            row, applied = replay.record(
                "downvote_cast", voter, second, f"vote:{vote}:cost", post, question, None
            )
            yield row
            if c.vote_retracted[vote] >= 0:
                cost[vote] = (row, applied)

    for second, kind, item in timeline(c):
        if kind == CAST:
            yield from cast(item, second)
        elif kind == WITHDRAW:
            new_vote = c.vote_replacement[item]
            reason = "vote changed" if new_vote else "vote withdrawn"
            row, applied = award.pop(item)
            yield replay.reverse(row, applied, second, reason)
            if item in cost:
                row, applied = cost.pop(item)
                yield replay.reverse(row, applied, second, reason)
            if new_vote:
                yield from cast(new_vote, second)
        else:
            answer, _, actor = c.accepted[item]
            common = (answer, item, actor)
            yield replay.record(
                "answer_accepted", c.post_author[answer], second,
                f"accept:{answer}:0:answerer", *common,
            )[0]  # fmt: skip
            yield replay.record(
                "accepted_an_answer", c.post_author[item], second,
                f"accept:{answer}:0:asker", *common,
            )[0]  # fmt: skip
    c.stats["ledger rows"] = replay.next_id - 1


# ---------------------------------------------------------------------------------------------
# The Q&A rows


def user_rows(c: Community) -> Iterator[tuple]:
    for user in range(1, c.plan.users + 1):
        first = FIRST_NAMES[user % len(FIRST_NAMES)]
        last = LAST_NAMES[(user // len(FIRST_NAMES)) % len(LAST_NAMES)]
        yield (
            user, f"user{user}@bench.example", f"{first} {last} {user}", None, c.roles[user],
            c.at(c.user_created[user]), None, 1,
        )  # fmt: skip


def _title(post: int) -> str:
    opener = OPENERS[post % len(OPENERS)]
    return f"{opener} {TOPICS[(post // 3) % len(TOPICS)]} (#{post})?"


def _body(post: int, kind: int) -> str:
    texts = BODIES if kind == QUESTION else ANSWER_BODIES
    return texts[(post * 7919) % len(texts)]


def post_rows(c: Community) -> Iterator[tuple]:
    posts = len(c.post_kind) - 1
    score = array("q", [0] * (posts + 1))
    for vote in range(1, len(c.vote_time)):
        if c.vote_retracted[vote] < 0:
            score[c.vote_post[vote]] += c.vote_value[vote]
    answer_count = array("q", [0] * (posts + 1))
    activity = array("q", c.post_time)
    for post in range(1, posts + 1):
        if c.post_kind[post] == ANSWER:
            parent = c.post_parent[post]
            answer_count[parent] += 1
            activity[parent] = max(activity[parent], c.post_time[post])
    for question, (_, moment, _) in c.accepted.items():
        activity[question] = max(activity[question], moment)
    for post in range(1, posts + 1):
        created = c.at(c.post_time[post])
        body = _body(post, c.post_kind[post])
        if c.post_kind[post] == QUESTION:
            accepted = c.accepted.get(post)
            yield (
                post, "question", None, c.post_author[post], _title(post), body, score[post],
                created, c.at(activity[post]), None, None, None,
                accepted[0] if accepted else None, answer_count[post], 0,
            )  # fmt: skip
        else:
            yield (
                post, "answer", c.post_parent[post], c.post_author[post], None, body, score[post],
                created, created, None, None, None, None, 0, 0,
            )  # fmt: skip


POST_COLUMNS = (
    "id", "kind", "parent_id", "author_id", "title", "body", "score", "created_at",
    "last_activity_at", "edited_at", "deleted_at", "deleted_by_id", "accepted_answer_id",
    "answer_count", "view_count",
)  # fmt: skip


def revision_rows(c: Community) -> Iterator[tuple]:
    for post in range(1, len(c.post_kind)):
        question = c.post_kind[post] == QUESTION
        tags = " ".join(sorted(c.tags[t] for t in c.question_tags[post])) if question else None
        yield (
            post, post, 1, c.post_author[post], _title(post) if question else None,
            _body(post, c.post_kind[post]), tags, "asked" if question else "answered",
            c.at(c.post_time[post]),
        )  # fmt: skip


def vote_rows(c: Community) -> Iterator[tuple]:
    for vote in range(1, len(c.vote_time)):
        retracted = c.vote_retracted[vote]
        yield (
            vote, c.vote_post[vote], c.vote_voter[vote], c.vote_value[vote],
            c.at(c.vote_time[vote]), c.at(retracted) if retracted >= 0 else None,
        )  # fmt: skip


def tag_rows(c: Community) -> Iterator[tuple]:
    counts = [0] * len(c.tags)
    for tags in c.question_tags.values():
        for tag in tags:
            counts[tag] += 1
    for index, name in enumerate(c.tags):
        yield (index + 1, name, None, counts[index], c.start)


def question_tag_rows(c: Community) -> Iterator[tuple]:
    for question, tags in c.question_tags.items():
        for tag in tags:
            yield (question, tag + 1)


# ---------------------------------------------------------------------------------------------
# Loading


class Loader:
    """Bulk-load rows into one transaction: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self):
        self.raw = db.engine.raw_connection()
        self.dialect = db.engine.dialect
        self.postgresql = self.dialect.name == "postgresql"
        cursor = self.raw.cursor()
        if self.postgresql:
            # Foreign keys are true by construction; skipping their per-row triggers makes the
            # load several times faster (superuser only, this session only).
            cursor.execute("SET session_replication_role = replica")
        else:
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    def load(self, table: Table, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        """Insert rows (tuples in the order of columns) into table; return how many."""
        names = ", ".join(f'"{name}"' for name in columns)
        count = 0
        if self.postgresql:
            cursor = self.raw.driver_connection.cursor()
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for count, row in enumerate(rows, start=1):  # noqa: B007
                    copy.write_row(row)
            cursor.close()
            return count
        processors = [table.c[name].type.bind_processor(self.dialect) for name in columns]
        convert = [(i, p) for i, p in enumerate(processors) if p is not None]
        marks = ", ".join("?" * len(columns))
        # Table and column names come from the models, never from input.
        statement = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608
        cursor = self.raw.cursor()
        batch: list = []
        for row in rows:
            if convert:
                row = list(row)
                for index, processor in convert:
                    row[index] = processor(row[index])
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(statement, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(statement, batch)
            count += len(batch)
        cursor.close()
        return count

    def finish(self) -> None:
        """Commit, and put the id sequences past the ids given explicitly."""
        cursor = self.raw.cursor()
        if self.postgresql:
            for table in ("user_account", "tag", "post", "post_revision", "vote", "point_event"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            cursor.execute("SET session_replication_role = DEFAULT")
        cursor.close()
        self.raw.commit()
        if not self.postgresql:
            cursor = self.raw.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
        self.raw.close()


BULK_TABLES = (Post.__table__, Vote.__table__, PointEvent.__table__, question_tag)


def drop_indexes() -> None:
    """Drop the secondary indexes of the big tables; they are faster to build afterwards."""
    with db.engine.begin() as connection:
        for table in BULK_TABLES:
            for index in table.indexes:
                index.drop(connection)


def create_indexes() -> None:
    with db.engine.begin() as connection:
        for table in BULK_TABLES:
            for index in table.indexes:
                index.create(connection)


def analyze() -> None:
    """Refresh planner statistics (what autovacuum, or SQLite's ANALYZE, would do)."""
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
        else:
            connection.execute(text("ANALYZE"))
            connection.commit()


def ensure_empty() -> None:
    if db.session.scalar(select(func.count()).select_from(User)):
        raise SystemExit("The database already has users: give the generator a fresh database.")


def build(
    plan: Plan, *, verify: bool, sqlite_analyze: bool, with_badges: bool = False
) -> Community:
    """Create the schema, draw the community, load it, and rebuild the rollups."""
    clock = time.perf_counter()
    upgrade(directory=current_app.extensions["migrate"].directory)
    ensure_empty()
    db.session.remove()
    _log(f"schema at head on {db.engine.url.render_as_string(hide_password=True)}", clock)
    community = draw(plan, clock)
    drop_indexes()
    loader = Loader()
    steps = (
        ("users", User.__table__, None, user_rows),
        ("tags", Tag.__table__, None, tag_rows),
        ("posts", Post.__table__, POST_COLUMNS, post_rows),
        ("question tags", question_tag, None, question_tag_rows),
        ("revisions", PostRevision.__table__, None, revision_rows),
        ("votes", Vote.__table__, None, vote_rows),
        ("ledger rows", PointEvent.__table__, LEDGER_COLUMNS, ledger_rows),
    )
    for name, table, columns, rows in steps:
        columns = columns or tuple(column.name for column in table.columns)
        count = loader.load(table, columns, rows(community))
        community.stats[name] = count
        _log(f"loaded {count:,} {name}", clock)
    loader.finish()
    create_indexes()
    _log("indexes built", clock)
    users = ledger.recalculate()
    _log(f"recalculate(): rollups rebuilt for {users:,} users", clock)
    community.stats["answer tag scores"] = tag_scores.rebuild()
    db.session.commit()
    _log(f"tag_scores.rebuild(): {community.stats['answer tag scores']:,} rows", clock)
    for name, model in (("user scores", UserScore), ("point days", PointDay)):
        community.stats[name] = db.session.scalar(select(func.count()).select_from(model))
    community.stats["point periods"] = db.session.scalar(
        select(func.count()).select_from(PointPeriod)
    )
    if with_badges:
        community.stats["badge awards"] = badges.backfill()
        _log(f"badges.backfill(): {community.stats['badge awards']:,} awards", clock)
    if db.engine.dialect.name == "postgresql" or sqlite_analyze:
        analyze()
        _log("statistics analysed", clock)
    if verify:
        drifts = ledger.verify()
        _log(f"verify(): {len(drifts)} drifts" + (f", first {drifts[:3]}" if drifts else ""), clock)
        community.stats["drifts"] = len(drifts)
        tag_drifts = tag_scores.drift()
        _log(f"tag_scores.drift(): {len(tag_drifts)} drifts", clock)
        community.stats["tag score drifts"] = len(tag_drifts)
    return community


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--posts", type=int, default=200_000, help="questions and answers")
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=datetime.now(UTC).date(),
        help="last day of activity, UTC (default today, so the current periods have data)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiply users, posts, votes")
    parser.add_argument(
        "--database-url", default=default_database_url(), help="default: the app's database"
    )
    parser.add_argument("--verify", action="store_true", help="run gamify.ledger.verify()")
    parser.add_argument(
        "--badges",
        action="store_true",
        help="award the badges past activity earned (gamify.badges.backfill), as in a live site",
    )
    parser.add_argument(
        "--sqlite-analyze", action="store_true", help="run ANALYZE on SQLite too (PG always)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> Community:
    """Build the community the command line asks for and print what was made."""
    args = parse_args(argv)
    plan = Plan(args.users, args.posts, args.votes, args.days, args.seed, args.end)
    if args.scale != 1.0:
        plan = plan.scaled(args.scale)
    if args.database_url and args.database_url.startswith("sqlite:///"):
        Path(args.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    app = make_app(args.database_url)
    started = time.perf_counter()
    with app.app_context():
        community = build(
            plan, verify=args.verify, sqlite_analyze=args.sqlite_analyze, with_badges=args.badges
        )
    print(f"plan: {plan}")
    for name, count in community.stats.items():
        print(f"  {name}: {count:,}")
    print(f"question with {SHOWCASE_ANSWERS} answers: /questions/{community.showcase_id}")
    print(f"last day: {plan.end.isoformat()}  total time: {time.perf_counter() - started:.1f}s")
    return community


if __name__ == "__main__":
    main()
