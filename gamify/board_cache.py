"""Fresh leaderboards from memory: plain values kept per process, dropped by the engine.

A board changes only when a commit changes someone's points (the engine marks it) or renames,
re-roles, suspends or removes a user (a flush listener marks it). A marked transaction bumps
the one row of board_version as its last statement before it commits, so the bump lands with
the change or not at all. A page reads that version once and reuses what this process
computed under the same version, else computes again: every page is as fresh as the
database, with nothing to expire by time.

A reader reads the version before the board, so what it keeps is never older than the version
it keeps it under; at worst it is newer, and then the next bump replaces it anyway.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import event, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gamify.models import BoardVersion
from kudos.database import dialect_insert
from kudos.extensions import db
from kudos.models import User

T = TypeVar("T")

CHANGED = "kudos.boards_changed"  # the session.info flag
RANKED_ATTRIBUTES = ("display_name", "role", "suspended_at")
# Boards and their parts, by period, tag and viewer's row; whole pages, by address, kept apart
# so that many distinct addresses (anyone can invent query strings) only push out pages.
MAX_ENTRIES = {"parts": 512, "pages": 64}


def mark_changed(session: Session | None = None) -> None:
    """Note that this transaction changes a leaderboard; its commit will bump the version."""
    (session or db.session()).info[CHANGED] = True


def version() -> int:
    """Return the number of committed changes to the boards so far (0 before the first)."""
    return db.session.scalar(select(BoardVersion.version).where(BoardVersion.id == 1)) or 0


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


def _bump(session: Session) -> None:
    insert = dialect_insert(BoardVersion)
    session.execute(
        insert.values(id=1, version=1).on_conflict_do_update(
            index_elements=["id"], set_={"version": BoardVersion.version + 1}
        )
    )


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


@event.listens_for(Session, "after_transaction_end")
def _forget_on_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended: committed or rolled back
        session.info.pop(CHANGED, None)
