"""Time every analytics dashboard as a lead opens it: server time (p50, p95) and peak memory.

Each dashboard page is requested through the Flask test client, logged in as a lead, with
the default range (the last 365 days) and nothing cached (the dashboards cache nothing), so
the time is the whole server side: the SQL aggregates, pandas, Plotly's figure JSON and the
template. Peak memory is the largest Python allocation during one request (tracemalloc, in a
separate untimed pass, since tracing slows everything down), and the process's peak RSS.

    python bench/generate.py --database-url sqlite:////tmp/kb/kudos.db --scale 0.25
    python bench/generate_feedback.py --database-url sqlite:////tmp/kb/kudos.db
    python bench/dashboards.py --database-url sqlite:////tmp/kb/kudos.db --repeat 20

--explain prints each panel's time alone, to find the slow query.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import tracemalloc

from common import count_queries, default_database_url, make_app, summary_ms, timed
from sqlalchemy import select

from kudos import services
from kudos.extensions import db
from kudos.models import Role, User

LEAD_EMAIL = "bench-lead@example.com"
PASSWORD = "bench-lead-password"  # noqa: S105 - a throwaway account on a bench database


def lead_client(app):
    """A test client logged in as a lead (created on first use)."""
    app.config.update(WTF_CSRF_ENABLED=False)
    with app.app_context():
        if not db.session.scalar(select(User.id).where(User.email == LEAD_EMAIL)):
            services.create_user(LEAD_EMAIL, "Bench Lead", PASSWORD, Role.LEAD.value)
    client = app.test_client()
    response = client.post("/login", data={"email": LEAD_EMAIL, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"could not log in as the bench lead: {response.status_code}")
    return client


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=default_database_url())
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--query", default="", help="extra query string, e.g. category=iam")
    parser.add_argument("--explain", action="store_true", help="time each panel alone too")
    parser.add_argument("--only", action="append", help="time this dashboard only (repeatable)")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args(argv)
    app = make_app(args.database_url)
    app.logger.disabled = True
    client = lead_client(app)
    from analytics.dashboards import DASHBOARDS

    results = {}
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    for name, board in DASHBOARDS.items():
        if args.only and name not in args.only:
            continue
        path = f"/analytics/{name}" + (f"?{args.query}" if args.query else "")

        def get(path=path):
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
            return response

        seconds = timed(get, args.repeat, args.warmup)
        with app.app_context(), count_queries(db.engine) as statements:
            get()
        tracemalloc.start()
        get()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        row = summary_ms(seconds) | {
            "queries": len(statements),
            "peak_mib": peak / 2**20,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
        results[name] = row
        print(
            f"{name:<12} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms  "
            f"max {row['max']:7.1f} ms  {row['queries']:>2} queries  "
            f"peak {row['peak_mib']:6.1f} MiB (tracemalloc)  rss {row['rss_mib']:6.0f} MiB"
        )
        if args.explain:
            with app.test_request_context(path):
                from analytics.views import parse_filters

                filters = parse_filters(board)
                for panel in board.panels:
                    started = time.perf_counter()
                    panel.build(filters)
                    print(f"    {panel.slug:<16} {(time.perf_counter() - started) * 1000:7.1f} ms")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    return results


if __name__ == "__main__":
    main()
