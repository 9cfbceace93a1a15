"""Instance settings: values an admin changes at run time, kept in the Setting table.

A feature declares the settings it reads with register_choice (gamify declares the privilege
preset), so the administration page can offer them without the core importing the feature.
A choice's value is, in order: what an admin chose, the app config key named by the choice
(for example KUDOS_PRIVILEGE_PRESET), then the choice's default.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, select

from kudos.database import dialect_insert, prepared, run
from kudos.extensions import db
from kudos.models import Setting, User, utcnow

log = logging.getLogger(__name__)

PRIVILEGE_PRESET = "privilege_preset"


class SettingError(Exception):
    """A value an instance setting does not accept, with the reason for the admin."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Choice:
    """A setting that takes one of a few named values.

    rows explain the options on the administration page: (label, one cell per option).
    """

    key: str
    title: str
    options: tuple[str, ...]
    default: str
    config_key: str | None = None
    rows: tuple[tuple[str, tuple[object, ...]], ...] = ()


_choices: dict[str, Choice] = {}


def register_choice(choice: Choice) -> None:
    """Declare a choice setting; registering a key again replaces it."""
    _choices[choice.key] = choice


def registered(key: str) -> Choice | None:
    return _choices.get(key)


@prepared
def _get_sql(insert):
    return select(Setting.value).where(Setting.key == bindparam("key"))


def get(key: str, default: str | None = None) -> str | None:
    """Return the stored value of a setting, or default when no admin has set it."""
    value = run(_get_sql(), {"key": key}).scalar()
    return default if value is None else value


def set(key: str, value: str, actor: User | None) -> None:
    """Store a setting in the caller's transaction (the caller commits)."""
    insert = dialect_insert(Setting)
    now, actor_id = utcnow(), actor.id if actor is not None else None
    db.session.execute(
        insert.values(
            key=key, value=value, updated_at=now, updated_by_id=actor_id
        ).on_conflict_do_update(
            index_elements=["key"],
            set_={"value": value, "updated_at": now, "updated_by_id": actor_id},
        )
    )


def current(key: str) -> str:
    """Return a registered choice's value in force: stored, else configured, else default."""
    choice = _choices[key]
    stored = get(key)
    if stored in choice.options:
        return stored
    if stored is not None:
        log.warning("Ignoring stored %s=%r: not one of %s", key, stored, choice.options)
    configured = current_app.config.get(choice.config_key) if choice.config_key else None
    if configured in choice.options:
        return configured
    if configured is not None:
        log.warning("Ignoring %s=%r: not one of %s", choice.config_key, configured, choice.options)
    return choice.default


def choose(key: str, value: str, actor: User | None) -> str:
    """Set a registered choice to one of its options and commit."""
    choice = _choices.get(key)
    if choice is None:
        raise SettingError(f"There is no setting named {key}.")
    if value not in choice.options:
        raise SettingError(f"Choose a {choice.title.lower()}: {_listing(choice.options)}.")
    set(key, value, actor)
    db.session.commit()
    log.info("Setting %s set to %s by user %s", key, value, actor.id if actor else None)
    return value


def _listing(options: tuple[str, ...]) -> str:
    return ", ".join(options[:-1]) + f" or {options[-1]}" if len(options) > 1 else options[0]
