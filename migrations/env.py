"""Alembic environment for Kudos, run through Flask-Migrate (`kudos db ...`)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from kudos.database import schema_filter
from kudos.models import UTCDateTime

config = context.config
if config.config_file_name is not None:
    # Keep the app's own loggers working after a migration ran in-process.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy types, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Built by hand-written DDL, not by the models (gamify/search.py and its migration): FTS5 on
# SQLite (with its shadow tables post_fts_*), a tsvector table on PostgreSQL.
HAND_BUILT_TABLE = "post_fts"


include_object = schema_filter(HAND_BUILT_TABLE)


def run_migrations_offline():
    context.configure(
        url=str(target_db.engine.url),
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    # Flask-Migrate supplies compare_type and render_as_batch (SQLite cannot ALTER much).
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    with target_db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_db.metadata,
            render_item=render_item,
            include_object=include_object,
            **conf_args,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
