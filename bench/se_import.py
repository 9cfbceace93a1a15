"""Time `kudos import stackexchange` on each shared dump, on a fresh SQLite or PostgreSQL database.

For each dump: a fresh database at head, the import (one transaction) timed with its peak
Python memory (tracemalloc), the badge backfill timed apart, and the summary's agreement
figures. Prints one line per dump and a JSON document with --json.

    python bench/se_import.py --backend sqlite
    python bench/se_import.py --backend postgresql
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import make_app
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from gamify import badges, se_import

DUMPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "stackexchange"
SITES = (
    "conlang.meta.stackexchange.com",
    "cardano.stackexchange.com",
    "quantumcomputing.stackexchange.com",
)
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
SQLITE_ROOT = Path("/tmp/kudos-bench/se-import")  # noqa: S108 - scratch space


def fresh_url(backend: str, site: str) -> str:
    """An empty database for one run."""
    name = "kudos_se_" + site.split(".")[0]
    if backend == "postgresql":
        engine = create_engine(
            PG_SERVER.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
            isolation_level="AUTOCOMMIT",
        )
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return f"{PG_SERVER}/{name}"
    SQLITE_ROOT.mkdir(parents=True, exist_ok=True)
    for leftover in SQLITE_ROOT.glob(f"{name}.db*"):
        leftover.unlink()
    return f"sqlite:///{SQLITE_ROOT / name}.db"


def run(backend: str, site: str, rules: str | None) -> dict:
    app = make_app(fresh_url(backend, site))
    with app.app_context():
        upgrade(directory=current_app.extensions["migrate"].directory)
        summary = se_import.import_dump(DUMPS / site, rules=se_import.Rules.load(rules))
        started = time.perf_counter()
        awards = badges.backfill()
        backfill_seconds = time.perf_counter() - started
    return {
        "site": site,
        "backend": backend,
        "seconds": round(summary.seconds, 2),
        "rows": summary.rows_read,
        "rows_per_second": round(summary.rows_per_second),
        "peak_memory_mb": round(summary.peak_memory / 1e6, 1),
        "votes": summary.added["votes"],
        "backfill_seconds": round(backfill_seconds, 2),
        "badges": awards,
        "members": summary.members,
        "points_match": summary.points_match,
        "points_match_with_bonus": summary.points_match_with_bonus,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--site", action="append", choices=SITES)
    parser.add_argument("--rules", default="se-history")
    parser.add_argument("--json")
    args = parser.parse_args()
    results = []
    for site in args.site or SITES:
        result = run(args.backend, site, args.rules)
        results.append(result)
        share = result["points_match"] / result["members"] * 100 if result["members"] else 0
        bonus = (
            result["points_match_with_bonus"] / result["members"] * 100 if result["members"] else 0
        )
        print(
            f"{args.backend:10} {site:38} {result['seconds']:7.1f} s  "
            f"{result['rows']:>7,} rows  {result['rows_per_second']:>6,} rows/s  "
            f"peak {result['peak_memory_mb']:6.1f} MB  backfill {result['backfill_seconds']:5.1f} s"
            f"  points agree {share:4.0f}% ({bonus:4.0f}% with the +100 bonus)",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
