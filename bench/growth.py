"""How leaderboard times grow with the ledger: build communities at several scales and time them.

Each scale multiplies the default community (20,000 users, 200,000 posts, 1,000,000 votes,
about 1.14 million ledger rows) and is built by generate.py into its own database, then timed
by leaderboard.py; a summary table of board p50/p95 by ledger size closes the run.

    python bench/growth.py --backend postgresql --scale 0.1 --scale 10 \\
        --existing 1=postgresql://postgres@127.0.0.1/kudos_bench
    python bench/growth.py --backend sqlite --scale 0.1 \\
        --existing 1=sqlite:////tmp/kudos-bench/sqlite-1m/kudos.db
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
SQLITE_ROOT = Path("/tmp/kudos-bench")  # noqa: S108 - scratch space for benchmark databases
END = "2026-12-03"


def _tag(scale: float) -> str:
    return f"{scale:g}".replace(".", "_")


def fresh_database(backend: str, scale: float) -> str:
    """Create an empty database for a scale (dropping an earlier one) and return its URL."""
    if backend == "postgresql":
        name = f"kudos_growth_{_tag(scale)}"
        engine = create_engine(
            PG_SERVER.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
            isolation_level="AUTOCOMMIT",
        )
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return f"{PG_SERVER}/{name}"
    folder = SQLITE_ROOT / f"growth-{_tag(scale)}"
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("kudos.db*"):
        leftover.unlink()
    return f"sqlite:///{folder / 'kudos.db'}"


def run_script(script: str, *arguments: str) -> None:
    """Run one of the bench scripts in its own process (so memory is returned between runs)."""
    command = [sys.executable, str(HERE / script), *arguments]
    print(f"$ {' '.join(command)}", flush=True)
    subprocess.run(command, check=True)  # noqa: S603


def main(argv: list[str] | None = None) -> dict:
    """Build and time each scale, then print how board times grow with the ledger."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), required=True)
    parser.add_argument("--scale", type=float, action="append", default=[])
    parser.add_argument(
        "--existing", action="append", default=[], help="SCALE=URL of an already built database"
    )
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--sqlite-analyze", action="store_true")
    parser.add_argument("--out", default=str(SQLITE_ROOT / "growth"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    urls = {float(scale): url for scale, url in (item.split("=", 1) for item in args.existing)}
    for scale in args.scale:
        url = fresh_database(args.backend, scale)
        started = time.perf_counter()
        extra = ["--sqlite-analyze"] if args.sqlite_analyze else []
        run_script(
            "generate.py", "--scale", f"{scale:g}", "--end", END, "--database-url", url, *extra
        )
        print(f"built scale {scale:g} in {time.perf_counter() - started:.0f}s", flush=True)
        urls[scale] = url
    results = {}
    for scale in sorted(urls):
        target = out / f"{args.backend}-{_tag(scale)}.json"
        run_script(
            "leaderboard.py", "--database-url", urls[scale], "--repeat", str(args.repeat),
            "--json", str(target),
        )  # fmt: skip
        results[scale] = json.loads(target.read_text())
    periods = ("week", "month", "quarter", "year", "all")
    print(f"\n{args.backend}: board() p50 / p95 ms, and rank_of() p95 ms, by ledger size")
    print(f"{'scale':>6} {'ledger rows':>12} " + " ".join(f"{p:>13}" for p in periods))
    for scale, figures in sorted(results.items()):
        cells = []
        for period in periods:
            board = figures["periods"][period]["board"]
            cells.append(f"{board['p50']:>5.2f}/{board['p95']:<5.2f}".rjust(13))
        print(f"{scale:>6g} {figures['ledger_rows']:>12,} " + " ".join(cells))
    for scale, figures in sorted(results.items()):
        ranks = [figures["periods"][p]["rank_of"]["p95"] for p in periods]
        print(
            f"{scale:>6g} rank_of p95 "
            + " ".join(f"{value:>13.2f}" for value in ranks)
            + f"  (mid ranks {[figures['periods'][p]['mid_rank'] for p in periods]})"
        )
    return results


if __name__ == "__main__":
    main()
