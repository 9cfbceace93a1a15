"""leaderboard indexes in board order (points down, reached first, user id)

A board, a rank's neighbours and the ties ahead of a rank each read one index range, with
no sort of a group of tied rows.

Revision ID: caa1f201f574
Revises: 77de7301f150
Create Date: 2026-12-04 03:43:50.878304

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'caa1f201f574'
down_revision = '77de7301f150'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('point_period', schema=None) as batch_op:
        batch_op.drop_index('ix_point_period_board')
    op.create_index(
        'ix_point_period_rank',
        'point_period',
        ['period', 'start', sa.text('points DESC'), 'reached_at', 'user_id'],
        unique=False,
    )
    with op.batch_alter_table('user_score', schema=None) as batch_op:
        batch_op.drop_index('ix_user_score_board')
    op.create_index(
        'ix_user_score_rank',
        'user_score',
        [sa.text('total DESC'), 'reached_at', 'user_id'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_user_score_rank', table_name='user_score')
    with op.batch_alter_table('user_score', schema=None) as batch_op:
        batch_op.create_index('ix_user_score_board', ['total', 'reached_at'], unique=False)
    op.drop_index('ix_point_period_rank', table_name='point_period')
    with op.batch_alter_table('point_period', schema=None) as batch_op:
        batch_op.create_index(
            'ix_point_period_board', ['period', 'start', 'points', 'reached_at'], unique=False
        )
