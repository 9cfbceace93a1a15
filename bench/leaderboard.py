"""Time the leaderboard queries on a generated database, uncached, one period at a time.

For each period (week, month, quarter, year, all): board() (the top 50), rank_of() for the
user in the middle of that board, and hall_of_fame() (the six past periods the page shows),
N timed calls after a few warm-ups; prints p50, p95 and max in milliseconds. `today` is pinned
to the last day of the ledger so that the current periods hold the generated activity.

    python bench/leaderboard.py --database-url postgresql://postgres@127.0.0.1/kudos_bench
"""

from __future__ import annotations

import argparse
import json
from datetime import date

from common import count_queries, default_database_url, make_app, summary_ms, timed
from sqlalchemy import func, select

from gamify import leaderboards
from gamify.models import PointEvent
from kudos.extensions import db

PERIODS = leaderboards.BOARD_PERIODS


def mid_table_user(period: str, today: date) -> tuple[int, int, int]:
    """Return (user id, rank, board size) of the user in the middle of a board."""
    rows = leaderboards.board(period, today=today, limit=10_000_000)
    middle = rows[len(rows) // 2]
    return middle.user_id, middle.rank, len(rows)


def explain(call) -> list[str]:
    """Return the database's plan for the first statement call sends."""
    with count_queries(db.engine, parameters=True) as statements:
        call()
    statement, parameters = statements[0]
    cursor = db.session.connection().connection.cursor()
    if db.engine.dialect.name == "postgresql":
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
        lines = [row[0] for row in cursor.fetchall()]
    else:
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        lines = [row[-1] for row in cursor.fetchall()]
    cursor.close()
    db.session.rollback()
    return lines


def run(repeat: int, warmup: int, today: date | None, show_plans: bool) -> dict:
    """Time every board and return the figures by period."""
    today = today or db.session.scalar(select(func.max(PointEvent.day)))
    ledger_rows = db.session.scalar(select(func.count(PointEvent.id)))
    print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
    print(f"ledger rows: {ledger_rows:,}  today pinned to {today}  N={repeat} after {warmup}")
    print(f"{'period':<8} {'rows':>7} {'call':<13} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    results: dict = {"ledger_rows": ledger_rows, "today": today.isoformat(), "periods": {}}
    for period in PERIODS:
        user_id, rank, size = mid_table_user(period, today)
        calls = {
            "board": lambda period=period: leaderboards.board(period, today=today),
            "rank_of": lambda period=period, user_id=user_id: leaderboards.rank_of(
                user_id, period, today=today
            ),
        }
        if period != "all":
            calls["hall_of_fame"] = lambda period=period: leaderboards.hall_of_fame(
                period, count=6, today=today
            )
        figures = {"board_rows": size, "mid_rank": rank}
        for name, call in calls.items():
            # Each call opens and ends its own transaction, as a request does.
            def one(call=call):
                call()
                db.session.rollback()

            stats = summary_ms(timed(one, repeat, warmup))
            figures[name] = stats
            print(
                f"{period:<8} {size:>7} {name:<13} "
                f"{stats['p50']:>8.2f} {stats['p95']:>8.2f} {stats['max']:>8.2f}"
            )
        if show_plans:
            for line in explain(calls["board"]):
                print(f"    {line}")
        results["periods"][period] = figures
    return results


def main(argv: list[str] | None = None) -> dict:
    """Parse the command line, time the boards, and optionally write the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=default_database_url())
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--today", type=date.fromisoformat, help="default: the ledger's last day")
    parser.add_argument("--plans", action="store_true", help="print the board query's plan")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    app = make_app(args.database_url)
    with app.app_context():
        results = run(args.repeat, args.warmup, args.today, args.plans)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    return results


if __name__ == "__main__":
    main()
