"""Database plumbing: SQLite pragmas and where the migrations live and stand."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path
from typing import TypeVar

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import Column, bindparam, event, inspect, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.exc import DBAPIError

from kudos.extensions import db

log = logging.getLogger(__name__)

T = TypeVar("T")

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> str:
    """Find a top-level folder (templates, static, migrations) in a wheel or a checkout."""
    inside = PACKAGE_DIR / name
    if inside.is_dir():
        return str(inside)
    return str(PACKAGE_DIR.parent / name)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    module = type(dbapi_connection).__module__
    if not module.startswith(("sqlite3", "pysqlite")):
        return
    timeout = current_app.config["SQLITE_BUSY_TIMEOUT_MS"] if current_app else 5000
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@cache
def _scripts(directory: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """Return the head revision(s) and every known revision of the migrations in directory."""
    script = ScriptDirectory(directory)
    known = frozenset(rev.revision for rev in script.walk_revisions())
    return tuple(script.get_heads()), known


def migration_state() -> dict:
    """Report whether the database answers and its schema stands at the migrations' head.

    "behind" is true when this code has migrations the database lacks. A database that is
    ahead (a newer release already migrated it during a rolling deploy) is not behind.
    """
    heads, known = _scripts(resource_dir("migrations"))
    try:
        with db.engine.connect() as connection:
            current: tuple[str, ...] = ()
            # Read the version table directly: Alembic's context would log on every probe.
            if inspect(connection).has_table("alembic_version"):
                rows = connection.execute(text("SELECT version_num FROM alembic_version"))
                current = tuple(rows.scalars())
    except Exception as exc:
        return {
            "reachable": False,
            "error": type(exc).__name__,
            "current": [],
            "head": list(heads),
            "at_head": False,
            "behind": True,
        }
    return {
        "reachable": True,
        "current": list(current),
        "head": list(heads),
        "at_head": set(current) == set(heads),
        "behind": set(current) != set(heads) and set(current) <= known,
    }


def schema_filter(hand_built_table: str):
    """Return an include_object hook for Alembic's comparison of the models and the database.

    It leaves out a table built by hand-written DDL (and its name_* shadow tables), and the
    indexes the models build from expressions (points DESC...), on both sides: SQLite's
    reflection cannot read those back, so it would propose dropping or changing them. Their
    migrations are written by hand.
    """

    def include_object(object, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and reflected and compare_to is None:
            return not (name == hand_built_table or name.startswith(f"{hand_built_table}_"))
        if type_ == "index":
            return name not in _expression_indexes()
        return True

    return include_object


def _expression_indexes() -> set[str]:
    return {
        index.name
        for table in db.metadata.tables.values()
        for index in table.indexes
        if index.name and any(not isinstance(part, Column) for part in index.expressions)
    }


def dialect_insert(model, dialect: str | None = None):
    """Return an INSERT for model that has on_conflict_do_nothing/do_update (PostgreSQL, SQLite).

    Both dialects spell "insert ... on conflict" the same way in SQLAlchemy, but each has its
    own construct; the dialect's name (by default the session's database's) picks which.
    """
    dialect = dialect or db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def prepared(build: Callable[[Callable], T]) -> Callable[[], T]:
    """Turn a builder of statements into a call giving those of the session's database.

    build receives the dialect's insert (which has on_conflict_do_*) and is run once per
    dialect. A statement object that is reused is compiled once: each later call skips
    building the statement and its cache key, which costs more than running it on SQLite.
    Run them with run(), on the session's connection, which also skips the ORM's
    per-statement work.
    """
    built: dict[str, T] = {}

    def statements() -> T:
        dialect = db.session.get_bind().dialect.name
        found = built.get(dialect)
        if found is None:
            found = built[dialect] = build(lambda model: dialect_insert(model, dialect))
        return found

    return statements


def cacheable(statement, *returning: Column):
    """Turn a multi-row INSERT into text SQLAlchemy can cache, for the session's database.

    SQLAlchemy does not cache a statement with several VALUES rows: it compiles one on every
    execution, which costs more than running it. So compile it once here and keep its SQL as
    text, with the same parameters (their types, which each bindparam() must give, and literal
    values) and the RETURNING columns' types. Call it from a prepared() builder.
    """
    name = db.session.get_bind().dialect.name
    dialect = (postgresql if name == "postgresql" else sqlite).dialect(paramstyle="named")
    dialect.bind_typing = BindTyping.NONE  # the running dialect adds its casts to the text
    compiled = statement.compile(dialect=dialect)
    untyped = sorted(key for key, part in compiled.binds.items() if part.type._isnull)
    if untyped:  # a later row's parameter does not take its column's type
        raise TypeError(f"give these parameters a type: {', '.join(untyped)}")
    parameters = [
        bindparam(key, value=None if part.required else part.value, type_=part.type)
        for key, part in compiled.binds.items()
    ]
    return text(compiled.string).bindparams(*parameters).columns(*returning)


def run(statement, parameters=None):
    """Run a statement on the session's connection, in its transaction, after a flush.

    For statements made by prepared(): the flush does what the ORM's autoflush would, so
    that the statement sees the changes still pending in the session.
    """
    session = db.session()
    session.flush()
    return session.connection().execute(statement, parameters)


def commit() -> None:
    """Commit the session's transaction, or roll it back and re-raise when the commit fails."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def lock_row(model, row_id: int, touched):
    """Take a row's lock (PostgreSQL) or the write lock (SQLite), then read it fresh, or None.

    touched is a column the lock sets to itself. Writing first matters on SQLite: reads made
    before a transaction's first write see no lock, so two requests could both act on the
    same old state.
    """
    db.session.execute(update(model).where(model.id == row_id).values({touched: touched}))
    return db.session.scalar(
        select(model).where(model.id == row_id).execution_options(populate_existing=True)
    )


TRANSIENT_PG_CODES = {"40P01", "40001"}  # deadlock detected, serialization failure


def is_transient(error: DBAPIError) -> bool:
    """Tell whether a database error goes away when the transaction is simply tried again."""
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if code in TRANSIENT_PG_CODES:
        return True
    return "database is locked" in str(error.orig)


def retry_transient(attempts: int = 4):
    """Run a service again, from a clean session, when the database reports a deadlock."""

    def decorator(service):
        @wraps(service)
        def wrapped(*args, **kwargs):
            for attempt in range(1, attempts + 1):
                try:
                    return service(*args, **kwargs)
                except DBAPIError as error:
                    db.session.rollback()
                    if attempt == attempts or not is_transient(error):
                        raise
                    log.info("Retrying %s after %s", service.__name__, type(error.orig).__name__)
                    time.sleep(random.uniform(0.005, 0.05) * attempt)  # noqa: S311
            raise AssertionError("unreachable")

        return wrapped

    return decorator
