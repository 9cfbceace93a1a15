"""Helpers shared by the benchmark scripts: the app on a chosen database, timings, counts."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from kudos import create_app


def default_database_url() -> str | None:
    """Return DATABASE_URL if set; None lets the app use its instance folder's kudos.db."""
    return os.environ.get("DATABASE_URL") or None


def make_app(database_url: str | None) -> Flask:
    """Build the Kudos app on database_url (or on the app's configured database)."""
    config = {"SQLALCHEMY_DATABASE_URI": database_url} if database_url else None
    return create_app(config)


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of values (fraction 0.95 for p95)."""
    ordered = sorted(values)
    index = max(0, math.ceil(fraction * len(ordered)) - 1)
    return ordered[index]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """Summarise durations in seconds as p50, p95 and max in milliseconds."""
    return {
        "p50": percentile(seconds, 0.50) * 1000,
        "p95": percentile(seconds, 0.95) * 1000,
        "max": max(seconds) * 1000,
    }


def timed(call: Callable[[], object], repeat: int, warmup: int) -> list[float]:
    """Run call warmup times untimed, then repeat times, and return each duration."""
    for _ in range(warmup):
        call()
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    return durations


@contextmanager
def count_queries(engine, parameters: bool = False) -> Iterator[list]:
    """Collect the SQL statements (with their parameters if asked) sent while the block runs."""
    statements: list = []

    def before(conn, cursor, statement, params, context, executemany):
        statements.append((statement, params) if parameters else statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
