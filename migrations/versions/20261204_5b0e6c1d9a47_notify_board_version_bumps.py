"""notify board version bumps (PostgreSQL)

A trigger sends each new board version with NOTIFY on the channel kudos_board_version when
its transaction commits, so that server processes can follow it without reading it on every
page (gamify/board_cache.py). Every bump notifies, whichever code or release wrote it. Nothing
changes on SQLite.

Revision ID: 5b0e6c1d9a47
Revises: caa1f201f574
Create Date: 2026-12-04 06:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5b0e6c1d9a47'
down_revision = 'caa1f201f574'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        """
CREATE OR REPLACE FUNCTION board_version_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kudos_board_version', NEW.version::text);
    RETURN NULL;
END
$$"""
    )
    op.execute(
        'CREATE TRIGGER board_version_notify AFTER INSERT OR UPDATE ON board_version '
        'FOR EACH ROW EXECUTE FUNCTION board_version_notify()'
    )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP TRIGGER IF EXISTS board_version_notify ON board_version')
    op.execute('DROP FUNCTION IF EXISTS board_version_notify()')
