"""Serve a generated database with `kudos serve` and load two pages with wrk.

Starts `kudos serve --host 127.0.0.1 --port 5300 --workers N` on the database, checks each
page answers 200, runs `wrk -t2 -c16 -d20s --latency` against the leaderboard page and the page
of the question with 30 answers, prints requests per second and p99, and stops the server.
Only 127.0.0.1 is ever targeted.

    python bench/load.py --database-url postgresql://postgres@127.0.0.1/kudos_bench \\
        --question 32
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from common import default_database_url

HOST = "127.0.0.1"
KUDOS = str(Path(sys.executable).with_name("kudos"))
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wait_ready(url: str, timeout: float = 60.0) -> None:
    """Poll url until it answers, or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer {url} within {timeout:.0f}s")


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url: str, threads: int, connections: int, duration: str) -> dict:
    """Run wrk against url and return requests/s, latency percentiles and errors."""
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency", url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    print(f"$ {' '.join(command)}\n{output}", flush=True)
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    return {
        "url": url,
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def main(argv: list[str] | None = None) -> list[dict]:
    """Start the server, load each page, stop the server, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=default_database_url())
    parser.add_argument("--question", type=int, required=True, help="id of a 30-answer question")
    parser.add_argument("--port", type=int, default=5300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", default="20s")
    parser.add_argument("--path", action="append", help="page to load (default: the two pages)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    paths = args.path or ["/leaderboards?period=week", f"/questions/{args.question}"]
    env = dict(os.environ)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    command = [
        KUDOS, "serve", "--host", HOST, "--port", str(args.port), "--workers", str(args.workers),
    ]  # fmt: skip
    log = open(f"/tmp/kudos-serve-{args.port}.log", "w")  # noqa: SIM115, S108 - server's log
    server = subprocess.Popen(  # noqa: S603
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    results = []
    try:
        base = f"http://{HOST}:{args.port}"
        wait_ready(base + paths[0])
        for path in paths:
            wait_ready(base + path)
            results.append(wrk(base + path, args.threads, args.connections, args.duration))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    print(f"{'page':<32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for result in results:
        page = result["url"].split(str(args.port), 1)[1]
        print(
            f"{page:<32} {result['requests_per_second']:>8.0f} {result['p50_ms']:>8.2f} "
            f"{result['p99_ms']:>8.2f} {result['non_2xx']:>8}"
        )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    return results


if __name__ == "__main__":
    main()
