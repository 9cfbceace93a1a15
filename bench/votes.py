"""Measure votes per second through gamify.services.vote in one process, and queries per vote.

Established members (enough points for every voting privilege, and at most 10 votes so far
today, so that no one reaches the 30-a-day limit) vote on random posts of a generated
database: mostly new votes (one in ten down), some changes of an earlier vote and some
withdrawals, each a full service call with its own commit, at the current time. The database
grows by those votes; run this after the read benchmarks.

    python bench/votes.py --database-url postgresql://postgres@127.0.0.1/kudos_bench
    python bench/votes.py --database-url ... --threads 4   # four threads of one process at once
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import UTC, datetime

from common import count_queries, default_database_url, make_app, summary_ms
from flask import current_app
from sqlalchemy import func, select

from gamify import services
from gamify.models import PointEvent, Post, UserScore, Vote
from kudos.extensions import db
from kudos.models import Role, User, utcnow

VOTES_EACH = 20
VOTES_TODAY_MAX = 10  # with VOTES_EACH, below the service's 30 a day


def pick_voters(count: int, min_points: int) -> list[int]:
    """Return up to count members with min_points or more and at most 10 votes today."""
    start = datetime.combine(utcnow().date(), datetime.min.time(), tzinfo=UTC)
    busy = (
        select(Vote.voter_id)
        .where(Vote.created_at >= start)
        .group_by(Vote.voter_id)
        .having(func.count() > VOTES_TODAY_MAX)
    )
    return list(
        db.session.scalars(
            select(User.id)
            .join(UserScore, UserScore.user_id == User.id)
            .where(
                User.role == Role.MEMBER.value,
                User.suspended_at.is_(None),
                UserScore.total >= min_points,
                User.id.not_in(busy),
            )
            .order_by(User.id)
            .limit(count)
        )
    )


def current_vote(voter_id: int, post_id: int) -> int:
    return (
        db.session.scalar(
            select(Vote.value).where(
                Vote.voter_id == voter_id, Vote.post_id == post_id, Vote.retracted_at.is_(None)
            )
        )
        or 0
    )


def cast(voters: list[int], votes: int, rng: random.Random, count: bool) -> dict:
    """Cast votes by voters in turn, each a full service call, and collect their timings."""
    author = dict(db.session.execute(select(Post.id, Post.author_id)).all())
    max_post = max(author)
    active: dict[int, dict[int, int]] = defaultdict(dict)  # voter -> post -> value
    durations: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[int]] = defaultdict(list)
    refused: Counter[str] = Counter()
    for number in range(votes):
        voter_id = voters[number % len(voters)]
        mine = active[voter_id]
        fate = rng.random()
        if mine and fate < 0.10:
            post_id = rng.choice(sorted(mine))
            value, kind = -mine[post_id], "change"
        elif mine and fate < 0.18:
            post_id = rng.choice(sorted(mine))
            value, kind = 0, "withdraw"
        else:
            post_id = rng.randrange(1, max_post + 1)
            while post_id in mine or author[post_id] == voter_id or current_vote(voter_id, post_id):
                post_id = rng.randrange(1, max_post + 1)
            value = -1 if rng.random() < 0.1 else 1
            kind = "new up" if value == 1 else "new down"
        # A request loads its user once (Flask-Login); that read is not part of the vote.
        voter = db.session.get(User, voter_id)
        _ = voter.role
        with count_queries(db.engine) if count else nullcontext([]) as statements:
            begun = time.perf_counter()
            try:
                state = services.vote(voter, post_id, value)
            except services.QAError as error:
                refused[error.message] += 1
                continue
            durations[kind].append(time.perf_counter() - begun)
        queries[kind].append(len(statements))
        if state.my_vote:
            mine[post_id] = state.my_vote
        else:
            mine.pop(post_id, None)
    return {"durations": durations, "queries": queries, "refused": refused}


def run(votes: int, seed: int, min_points: int, threads: int = 1) -> dict:
    """Cast votes through the service and return throughput and query counts.

    With threads above 1, that many threads of this process vote at once, each with its own
    session and its own voters, as a server's worker threads would; queries are not counted.
    """
    voters = pick_voters(max(1, votes // VOTES_EACH), min_points)
    if len(voters) * VOTES_EACH < votes:
        raise SystemExit(f"only {len(voters)} members can vote; ask for fewer votes")
    ledger_before = db.session.scalar(select(func.count(PointEvent.id)))
    db.session.remove()
    app = current_app._get_current_object()

    def worker(number: int) -> dict:
        with app.app_context():
            share = votes // threads + (1 if number < votes % threads else 0)
            rng = random.Random(seed * 1000 + number)
            return cast(voters[number::threads], share, rng, count=threads == 1)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(worker, range(threads)))
    elapsed = time.perf_counter() - started
    durations: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[int]] = defaultdict(list)
    refused: Counter[str] = Counter()
    for result in results:
        for kind, values in result["durations"].items():
            durations[kind].extend(values)
        for kind, values in result["queries"].items():
            queries[kind].extend(values)
        refused.update(result["refused"])
    service_time = sum(sum(values) for values in durations.values())
    done = sum(len(values) for values in durations.values())
    ledger_after = db.session.scalar(select(func.count(PointEvent.id)))
    print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
    if threads == 1:
        print(
            f"{done:,} votes by {len(voters):,} voters: {done / service_time:,.0f} votes/s "
            f"inside services.vote ({service_time:.2f}s), {done / elapsed:,.0f} votes/s with "
            f"the benchmark's own reads ({elapsed:.2f}s); ledger grew by "
            f"{ledger_after - ledger_before:,} rows"
        )
    else:
        print(
            f"{done:,} votes by {len(voters):,} voters in {threads} threads: "
            f"{done / elapsed:,.0f} votes/s over {elapsed:.2f}s of wall time (the "
            f"benchmark's own reads included); ledger grew by "
            f"{ledger_after - ledger_before:,} rows"
        )
    for message, count in refused.items():
        print(f"refused {count}: {message}")
    print(f"{'kind':<9} {'calls':>6} {'queries':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    by_kind = {}
    for kind in ("new up", "new down", "change", "withdraw"):
        if not durations[kind]:
            continue
        stats = summary_ms(durations[kind])
        median_queries = statistics.median(queries[kind]) if queries[kind] else float("nan")
        by_kind[kind] = {"calls": len(durations[kind]), "queries": median_queries, **stats}
        print(
            f"{kind:<9} {len(durations[kind]):>6} {median_queries:>8g} "
            f"{stats['p50']:>8.2f} {stats['p95']:>8.2f} {stats['max']:>8.2f}"
        )
    return {
        "votes": done,
        "threads": threads,
        "refused": dict(refused),
        "seconds_in_service": service_time,
        "votes_per_second": done / service_time if threads == 1 else done / elapsed,
        "loop_votes_per_second": done / elapsed,
        "by_kind": by_kind,
    }


def main(argv: list[str] | None = None) -> dict:
    """Parse the command line and run the vote benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=default_database_url())
    parser.add_argument("--votes", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--threads", type=int, default=1, help="threads of this process voting at once"
    )
    parser.add_argument(
        "--min-points", type=int, default=250, help="voters' least points (every privilege)"
    )
    args = parser.parse_args(argv)
    app = make_app(args.database_url)
    with app.app_context():
        return run(args.votes, args.seed, args.min_points, args.threads)


if __name__ == "__main__":
    main()
