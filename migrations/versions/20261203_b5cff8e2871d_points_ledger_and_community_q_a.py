"""Points ledger, rollups and rules; community Q&A

Revision ID: b5cff8e2871d
Revises: 82a77547ddd8
Create Date: 2026-12-03 19:30:00.903519

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5cff8e2871d'
down_revision = '82a77547ddd8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=35), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('question_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tag')),
    sa.UniqueConstraint('name', name=op.f('uq_tag_name'))
    )
    op.create_table('point_day',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('capped_points', sa.Integer(), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_point_day_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'day', name=op.f('pk_point_day'))
    )
    op.create_table('point_period',
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('reached_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("period IN ('week', 'month', 'quarter', 'year')", name=op.f('ck_point_period_period_valid')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_point_period_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('period', 'start', 'user_id', name=op.f('pk_point_period'))
    )
    with op.batch_alter_table('point_period', schema=None) as batch_op:
        batch_op.create_index('ix_point_period_board', ['period', 'start', 'points', 'reached_at'], unique=False)

    op.create_table('point_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('capped', sa.Boolean(), nullable=False),
    sa.Column('daily_limit', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_point_rule_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_rule')),
    sa.UniqueConstraint('action', 'version', name=op.f('uq_point_rule_action_version'))
    )
    op.create_table('post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_answer_id', sa.Integer(), nullable=True),
    sa.Column('answer_count', sa.Integer(), nullable=True),
    sa.Column('view_count', sa.Integer(), nullable=True),
    sa.CheckConstraint("(kind = 'question' AND parent_id IS NULL AND title IS NOT NULL) OR (kind = 'answer' AND parent_id IS NOT NULL)", name=op.f('ck_post_shape_valid')),
    sa.CheckConstraint("kind IN ('question', 'answer')", name=op.f('ck_post_kind_valid')),
    sa.ForeignKeyConstraint(['accepted_answer_id'], ['post.id'], name=op.f('fk_post_accepted_answer_id_post'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_post_author_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['user_account.id'], name=op.f('fk_post_deleted_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['post.id'], name=op.f('fk_post_parent_id_post'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post'))
    )
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.create_index('ix_post_author_id', ['author_id'], unique=False)
        batch_op.create_index('ix_post_kind_created_at', ['kind', 'created_at'], unique=False)
        batch_op.create_index('ix_post_kind_last_activity_at', ['kind', 'last_activity_at'], unique=False)
        batch_op.create_index('ix_post_parent_id', ['parent_id'], unique=False)

    op.create_table('user_score',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('reached_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('total >= 1', name=op.f('ck_user_score_total_floor')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_score_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_score'))
    )
    with op.batch_alter_table('user_score', schema=None) as batch_op:
        batch_op.create_index('ix_user_score_board', ['total', 'reached_at'], unique=False)

    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_comment_author_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_comment_post_id_post'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_post_id', ['post_id'], unique=False)

    op.create_table('point_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('requested', sa.Integer(), nullable=False),
    sa.Column('applied', sa.Integer(), nullable=False),
    sa.Column('capped', sa.Boolean(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_type', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('event_key', sa.String(length=120), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.CheckConstraint('applied * requested >= 0', name=op.f('ck_point_event_applied_same_sign')),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_point_event_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['post.id'], name=op.f('fk_point_event_question_id_post'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reverses_id'], ['point_event.id'], name=op.f('fk_point_event_reverses_id_point_event'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_point_event_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_event')),
    sa.UniqueConstraint('event_key', name=op.f('uq_point_event_event_key')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_point_event_reverses_id'))
    )
    with op.batch_alter_table('point_event', schema=None) as batch_op:
        batch_op.create_index('ix_point_event_question_id', ['question_id'], unique=False)
        batch_op.create_index('ix_point_event_source', ['source_type', 'source_id'], unique=False)
        batch_op.create_index('ix_point_event_user_id_action_day', ['user_id', 'action', 'day'], unique=False)
        batch_op.create_index('ix_point_event_user_id_day', ['user_id', 'day'], unique=False)

    op.create_table('post_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('tags', sa.String(length=200), nullable=True),
    sa.Column('comment', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['user_account.id'], name=op.f('fk_post_revision_editor_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_post_revision_post_id_post'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_revision')),
    sa.UniqueConstraint('post_id', 'number', name=op.f('uq_post_revision_post_id_number'))
    )
    op.create_table('question_tag',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['post.id'], name=op.f('fk_question_tag_question_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], name=op.f('fk_question_tag_tag_id_tag'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id', 'tag_id', name=op.f('pk_question_tag'))
    )
    with op.batch_alter_table('question_tag', schema=None) as batch_op:
        batch_op.create_index('ix_question_tag_tag_id', ['tag_id'], unique=False)

    op.create_table('vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retracted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('value IN (-1, 1)', name=op.f('ck_vote_value_valid')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_vote_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['voter_id'], ['user_account.id'], name=op.f('fk_vote_voter_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote'))
    )
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.create_index('ix_vote_voter_id_created_at', ['voter_id', 'created_at'], unique=False)
        batch_op.create_index('uq_vote_active', ['post_id', 'voter_id'], unique=True, sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))



def downgrade():
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_index('uq_vote_active', sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))
        batch_op.drop_index('ix_vote_voter_id_created_at')

    op.drop_table('vote')
    with op.batch_alter_table('question_tag', schema=None) as batch_op:
        batch_op.drop_index('ix_question_tag_tag_id')

    op.drop_table('question_tag')
    op.drop_table('post_revision')
    with op.batch_alter_table('point_event', schema=None) as batch_op:
        batch_op.drop_index('ix_point_event_user_id_day')
        batch_op.drop_index('ix_point_event_user_id_action_day')
        batch_op.drop_index('ix_point_event_source')
        batch_op.drop_index('ix_point_event_question_id')

    op.drop_table('point_event')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_post_id')

    op.drop_table('comment')
    with op.batch_alter_table('user_score', schema=None) as batch_op:
        batch_op.drop_index('ix_user_score_board')

    op.drop_table('user_score')
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index('ix_post_parent_id')
        batch_op.drop_index('ix_post_kind_last_activity_at')
        batch_op.drop_index('ix_post_kind_created_at')
        batch_op.drop_index('ix_post_author_id')

    op.drop_table('post')
    op.drop_table('point_rule')
    with op.batch_alter_table('point_period', schema=None) as batch_op:
        batch_op.drop_index('ix_point_period_board')

    op.drop_table('point_period')
    op.drop_table('point_day')
    op.drop_table('tag')
