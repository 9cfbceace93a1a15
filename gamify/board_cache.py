"""Fresh leaderboards from memory: plain values kept per process, dropped by the engine.

A board changes only when a commit changes someone's points (the engine marks it) or renames,
re-roles, suspends or removes a user (a flush listener marks it). A marked transaction bumps
the one row of board_version as its last statement before it commits, so the bump lands with
the change or not at all. A page reads that version once and reuses what this process
computed under the same version, else computes again: every page is as fresh as the
database, with nothing to expire by time.

A reader reads the version before the board, so what it keeps is never older than the version
it keeps it under; at worst it is newer, and then the next bump replaces it anyway.

On PostgreSQL a process need not ask the database for the version on every page: a trigger on
board_version sends each new version with NOTIFY when its transaction commits, and a thread
per process (started by the first page after the fork) listens. It vouches for a version only
while it is sure it has missed no bump: it runs LISTEN first and only then reads the version,
raises it with every notification, reads it again after each second without one, and stops
vouching as soon as its connection fails or has not answered for STALE_AFTER seconds. Until
it vouches (at start, while reconnecting, on SQLite, or with BOARD_VERSION_LISTEN off) the
page reads the version from the database as before. What this gives up: a change committed by
another process reaches this one when its notification arrives, a fraction of a millisecond
after the commit on a quiet machine, so a page requested in that instant shows the boards
just before it. The committing process takes its own new version at once.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import psycopg
from flask import current_app
from sqlalchemy import DDL, event, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gamify.models import BoardVersion
from kudos.database import prepared
from kudos.extensions import db
from kudos.models import User

T = TypeVar("T")
log = logging.getLogger(__name__)

CHANGED = "kudos.boards_changed"  # the session.info flags
BUMPED = "kudos.boards_bumped"
RANKED_ATTRIBUTES = ("display_name", "role", "suspended_at")
# Boards and their parts, by period, tag and viewer's row; whole pages, by address, kept apart
# so that many distinct addresses (anyone can invent query strings) only push out pages.
MAX_ENTRIES = {"parts": 512, "pages": 64}
CHANNEL = "kudos_board_version"
LISTENER = "kudos board version listener"  # its application_name in pg_stat_activity
HEARTBEAT = 1.0  # seconds without a notification before the listener reads the version again
WAKE = 0.2  # seconds between checks whether the listener is asked to stop
STALE_AFTER = 3.0  # seconds without an answer before the listener stops vouching
RETRY_FIRST, RETRY_MAX = 0.5, 30.0  # seconds between reconnections, doubling

# The notifying trigger, for db.create_all(); keep it in step with the migration adding it.
_NOTIFY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION board_version_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', NEW.version::text);
    RETURN NULL;
END
$$"""
_NOTIFY_TRIGGER = (
    "CREATE TRIGGER board_version_notify AFTER INSERT OR UPDATE ON board_version "
    "FOR EACH ROW EXECUTE FUNCTION board_version_notify()"
)
_table = BoardVersion.__table__
event.listen(_table, "after_create", DDL(_NOTIFY_FUNCTION).execute_if(dialect="postgresql"))
event.listen(_table, "after_create", DDL(_NOTIFY_TRIGGER).execute_if(dialect="postgresql"))
event.listen(
    _table,
    "after_drop",
    DDL("DROP FUNCTION IF EXISTS board_version_notify()").execute_if(dialect="postgresql"),
)
_VERSION = "SELECT version FROM board_version WHERE id = 1"


def mark_changed(session: Session | None = None) -> None:
    """Note that this transaction changes a leaderboard; its commit will bump the version."""
    (session or db.session()).info[CHANGED] = True


def version() -> int:
    """Return the number of committed changes to the boards so far (0 before the first)."""
    listener = _listener()
    known = listener.current() if listener is not None else None
    if known is not None:
        return known
    return db.session.scalar(select(BoardVersion.version).where(BoardVersion.id == 1)) or 0


class _Listener:
    """Follow one PostgreSQL database's board version for this process, by LISTEN/NOTIFY."""

    def __init__(self, engine: Engine) -> None:
        self.pid = os.getpid()
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._engine = weakref.ref(engine)  # the thread ends when the engine is gone
        self._lock = threading.Lock()
        self._version: int | None = None  # None: not vouching
        self._answered_at = 0.0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kudos-board-version", daemon=True)
        self._thread.start()

    def current(self) -> int | None:
        """Return the version if the listener is sure it is current, else None."""
        with self._lock:
            if self._version is None or time.monotonic() - self._answered_at > STALE_AFTER:
                return None
            return self._version

    def advance(self, committed: int) -> None:
        """Take a version this process just committed, before its notification comes back."""
        with self._lock:
            if self._version is not None:
                self._version = max(self._version, committed)

    def stop(self) -> None:
        """Stop vouching, and end the thread and its connection."""
        with self._lock:
            self._stopped.set()
            self._version = None
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2 * WAKE)

    def _heard(self, version: int) -> None:
        with self._lock:
            if not self._stopped.is_set():
                self._version = version if self._version is None else max(self._version, version)
                self._answered_at = time.monotonic()

    def _running(self) -> bool:
        return not self._stopped.is_set() and self._engine() is not None

    def _run(self) -> None:
        delay = RETRY_FIRST
        while self._running():
            try:
                with psycopg.connect(
                    self._conninfo, autocommit=True, connect_timeout=5, application_name=LISTENER
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")  # before the read: no bump falls between
                    self._heard(_read_version(conn))
                    log.info("Following the board version by notification from %s", self._version)
                    delay = RETRY_FIRST
                    while self._running():
                        for notification in conn.notifies(timeout=WAKE):
                            self._heard(int(notification.payload))
                        if time.monotonic() - self._answered_at >= HEARTBEAT:
                            self._heard(_read_version(conn))
            except Exception:  # whatever went wrong, pages read the version meanwhile
                log.warning(
                    "Board version notifications lost; pages read the version from the database",
                    exc_info=True,
                )
            finally:
                with self._lock:
                    self._version = None
            self._stopped.wait(delay)
            delay = min(delay * 2, RETRY_MAX)


def _read_version(conn: psycopg.Connection) -> int:
    row = conn.execute(_VERSION).fetchone()
    return row[0] if row else 0


# One listener per database engine and process: a forked worker starts its own.
_listeners: weakref.WeakKeyDictionary[Engine, _Listener] = weakref.WeakKeyDictionary()
_listeners_lock = threading.Lock()


def _listener() -> _Listener | None:
    engine = db.engine
    if engine.dialect.name != "postgresql" or not current_app.config.get(
        "BOARD_VERSION_LISTEN", True
    ):
        return None
    with _listeners_lock:
        listener = _listeners.get(engine)
        if listener is None or listener.pid != os.getpid():
            if listener is None:
                event.listen(engine, "engine_disposed", _stop_listener)
            listener = _listeners[engine] = _Listener(engine)
        return listener


def _stop_listener(engine: Engine) -> None:
    with _listeners_lock:
        listener = _listeners.pop(engine, None)
    if listener is not None:
        listener.stop()


class _Store:
    """What one process computed, by key, each entry with the version it was computed at."""

    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[Hashable, tuple[int, object]] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: Hashable, at_version: int) -> tuple[bool, object]:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != at_version:
                return False, None
            self._entries.move_to_end(key)
            return True, found[1]

    def put(self, key: Hashable, at_version: int, value: object) -> None:
        with self._lock:
            self._entries[key] = (at_version, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)


# Stores per database engine, so two apps in one process (tests) never share boards.
_stores: weakref.WeakKeyDictionary[Engine, dict[str, _Store]] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def _store(kind: str) -> _Store:
    engine = db.engine
    with _stores_lock:
        stores = _stores.get(engine)
        if stores is None:
            stores = _stores[engine] = {name: _Store(size) for name, size in MAX_ENTRIES.items()}
        return stores[kind]


def fresh(key: Hashable, at_version: int, compute: Callable[[], T], kind: str = "parts") -> T:
    """Return compute()'s value for key as of at_version, computing it at most once per version.

    The value must be plain and immutable (tuples, frozen dataclasses, strings): it is shared
    by every request of the process. kind names the store: "parts" or "pages".
    """
    store = _store(kind)
    found, value = store.get(key, at_version)
    if found:
        return value  # type: ignore[return-value]
    value = compute()
    store.put(key, at_version, value)
    return value


@prepared
def _bump_sql(insert):
    """The bump, built once (see kudos.database.prepared): it runs with every such commit."""
    new = insert(BoardVersion).values(id=1, version=1)
    return new.on_conflict_do_update(
        index_elements=["id"], set_={"version": BoardVersion.version + 1}
    ).returning(BoardVersion.version)


def _bump(session: Session) -> None:
    connection = session.connection()
    bumped = connection.execute(_bump_sql()).scalar_one()
    session.info[BUMPED] = (connection.engine, bumped)


def _changes_ranking(user: User) -> bool:
    state = inspect(user)
    return any(state.attrs[name].history.has_changes() for name in RANKED_ATTRIBUTES)


@event.listens_for(Session, "before_flush")
def _note_user_changes(session: Session, flush_context, instances) -> None:
    if any(isinstance(obj, User) for obj in session.deleted) or any(
        isinstance(obj, User) and _changes_ranking(obj) for obj in session.dirty
    ):
        mark_changed(session)


@event.listens_for(Session, "before_commit")
def _bump_if_changed(session: Session) -> None:
    session.flush()  # so that the listener above sees this commit's last changes
    if session.info.pop(CHANGED, False):
        _bump(session)


@event.listens_for(Session, "after_commit")
def _take_own_bump(session: Session) -> None:
    engine, bumped = session.info.pop(BUMPED, (None, None))
    listener = _listeners.get(engine) if engine is not None else None
    if listener is not None and listener.pid == os.getpid():
        listener.advance(bumped)


@event.listens_for(Session, "after_transaction_end")
def _forget_on_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended: committed or rolled back
        session.info.pop(CHANGED, None)
        session.info.pop(BUMPED, None)
