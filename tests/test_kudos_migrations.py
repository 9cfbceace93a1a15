"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from conftest import reset_schema
from gamify.search import include_object
from kudos.extensions import db


def test_upgrade_from_empty_matches_the_models_and_downgrades_cleanly(app):
    directory = app.extensions["migrate"].directory
    with app.app_context():
        reset_schema()
        upgrade(directory=directory)
        with db.engine.connect() as connection:
            # The search table is hand-built DDL, as in migrations/env.py's autogenerate.
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include_object}
            )
            assert compare_metadata(context, db.metadata) == []
            tables = set(inspect(connection).get_table_names())
        assert {"user_account", "login_failure", "alembic_version"} <= tables

        downgrade(directory=directory, revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade(directory=directory)
        assert "user_account" in inspect(db.engine).get_table_names()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas do not apply to this database")
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
