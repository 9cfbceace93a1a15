"""Prove that generate.py writes the ledger the app would: replay a small community both ways.

Draws a small, busy community (few users, few days, so the daily cap and the floor are hit
often), loads it with generate.py into one SQLite database, and plays the same questions,
answers, votes, withdrawals, changes and accepts through gamify.services into another; then
compares the votes, the ledger (every column) and the rollups row by row.

    python bench/check_engine.py
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import generate
from common import make_app
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import select

from gamify import services
from gamify.models import PointDay, PointEvent, PointPeriod, Post, UserScore, Vote
from kudos.extensions import db
from kudos.models import Role, User


def snapshot() -> dict[str, list]:
    """Read the rows to compare from the app's database."""
    ledger = PointEvent.__table__
    columns = [ledger.c[name] for name in generate.LEDGER_COLUMNS]
    return {
        "votes": db.session.execute(select(*Vote.__table__.columns).order_by(Vote.id)).all(),
        "post scores": db.session.execute(select(Post.id, Post.score).order_by(Post.id)).all(),
        "ledger": db.session.execute(select(*columns).order_by(ledger.c.id)).all(),
        # Voters get a score row of 1 when the engine locks them; 1 is also "no row".
        "totals": db.session.execute(
            select(UserScore.user_id, UserScore.total)
            .where(UserScore.total != 1)
            .order_by(UserScore.user_id)
        ).all(),
        "days": db.session.execute(
            select(
                PointDay.user_id, PointDay.day, PointDay.points, PointDay.capped_points
            ).order_by(PointDay.user_id, PointDay.day)
        ).all(),
        "periods": db.session.execute(
            select(
                PointPeriod.period, PointPeriod.start, PointPeriod.user_id, PointPeriod.points
            ).order_by(PointPeriod.period, PointPeriod.start, PointPeriod.user_id)
        ).all(),
    }


def play_through_services(c: generate.Community) -> None:
    """Write the community through the app's services, in the order the generator assumed."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    # Everyone is a lead here: the check is of the engine, so the gates in front of it
    # (privileges that grow with points, unpaid votes from new accounts, tag creation) are
    # passed by, as they are for staff. Roles play no part in the engine itself.
    columns = [column.name for column in User.__table__.columns]
    rows = [dict(zip(columns, row, strict=True)) for row in generate.user_rows(c)]
    for row in rows:
        row["role"] = Role.LEAD.value
    with db.engine.begin() as connection:
        connection.execute(User.__table__.insert(), rows)
    users = {user.id: user for user in db.session.scalars(select(User))}
    for post in range(1, len(c.post_kind)):
        author = users[c.post_author[post]]
        at = c.at(c.post_time[post])
        body = generate._body(post, c.post_kind[post])
        if c.post_kind[post] == generate.QUESTION:
            names = [c.tags[tag] for tag in c.question_tags[post]]
            made = services.ask(author, generate._title(post), body, names, at=at)
        else:
            made = services.answer(author, c.post_parent[post], body, at=at)
        assert made.id == post, (made.id, post)
    for second, kind, item in generate.timeline(c):
        at = c.at(second)
        if kind == generate.ACCEPT:
            answer, _, actor = c.accepted[item]
            services.accept(users[actor], answer, at=at)
            continue
        post, voter = c.vote_post[item], c.vote_voter[item]
        if kind == generate.CAST:
            value = c.vote_value[item]
        else:
            # A change is one call that withdraws the old vote and casts the new one.
            value = -c.vote_value[item] if c.vote_replacement[item] else 0
        services.vote(users[voter], post, value, at=at)


def compare(expected: dict[str, list], actual: dict[str, list]) -> int:
    """Print how each table compares and return the number of differing rows."""
    differences = 0
    for name, rows in expected.items():
        other = actual[name]
        bad = [(a, b) for a, b in zip(rows, other, strict=False) if tuple(a) != tuple(b)]
        missing = abs(len(rows) - len(other))
        differences += len(bad) + missing
        status = "identical" if not bad and not missing else f"{len(bad) + missing} differ"
        print(f"  {name:<12} {len(rows):>7,} generated, {len(other):>7,} via services: {status}")
        for generated, served in bad[:3]:
            print(f"    generator: {tuple(generated)}\n    services:  {tuple(served)}")
    return differences


def main(argv: list[str] | None = None) -> int:
    """Build the community both ways and compare; exit status 1 if anything differs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--votes", type=int, default=6000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    plan = generate.Plan(
        args.users, args.posts, args.votes, args.days, args.seed, date(2026, 12, 3)
    )
    folder = Path(tempfile.mkdtemp(prefix="kudos-check-"))
    try:
        started = time.perf_counter()
        with make_app(f"sqlite:///{folder / 'generated.db'}").app_context():
            community = generate.build(plan, verify=True, sqlite_analyze=False)
            expected = snapshot()
        print(f"generated in {time.perf_counter() - started:.1f}s: {community.stats}")
        started = time.perf_counter()
        with make_app(f"sqlite:///{folder / 'services.db'}").app_context():
            play_through_services(community)
            actual = snapshot()
        print(f"played through the services in {time.perf_counter() - started:.1f}s")
        notes = [row.note for row in expected["ledger"] if row.note]
        print(
            "ledger notes: "
            f"{sum('daily cap' in n for n in notes)} capped, "
            f"{sum('below' in n for n in notes)} floored, "
            f"{sum(n.startswith('vote changed') for n in notes)} changes, "
            f"{sum(n.startswith('vote withdrawn') for n in notes)} withdrawals"
        )
        differences = compare(expected, actual)
    finally:
        shutil.rmtree(folder)
    print("the generator matches the engine" if not differences else "MISMATCH")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
