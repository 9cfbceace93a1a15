"""partial index of the accounts off the members' boards

rank_of() takes away the staff and suspended accounts ahead of a member; it found those few
by scanning every account (2.5 ms of the year board's rank at 20,000 users on PostgreSQL).

Revision ID: 3f1c2a7d9e55
Revises: 92e5e0d6c474
Create Date: 2026-12-04 07:58:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f1c2a7d9e55'
down_revision = '92e5e0d6c474'
branch_labels = None
depends_on = None

OFF_BOARD = "role <> 'member' OR suspended_at IS NOT NULL"  # as kudos.models.OFF_BOARD


def upgrade():
    op.create_index(
        'ix_user_account_off_board', 'user_account', ['id'], unique=False,
        postgresql_where=sa.text(OFF_BOARD), sqlite_where=sa.text(OFF_BOARD),
    )


def downgrade():
    op.drop_index('ix_user_account_off_board', table_name='user_account')
