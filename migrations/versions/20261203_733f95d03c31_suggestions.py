"""Suggestions: tags, votes, comments, status history and followers

Revision ID: 733f95d03c31
Revises: a567ca146ec1
Create Date: 2026-12-03 22:19:13.763393

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '733f95d03c31'
down_revision = 'a567ca146ec1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('vote_count', sa.Integer(), nullable=False),
    sa.Column('comment_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("(status = 'duplicate' AND duplicate_of_id IS NOT NULL) OR (status <> 'duplicate' AND duplicate_of_id IS NULL)", name=op.f('ck_suggestion_duplicate_shape')),
    sa.CheckConstraint("status IN ('open', 'under_review', 'planned', 'in_progress', 'completed', 'declined', 'duplicate')", name=op.f('ck_suggestion_status_valid')),
    sa.CheckConstraint('comment_count >= 0', name=op.f('ck_suggestion_comment_count_nonnegative')),
    sa.CheckConstraint('duplicate_of_id IS NULL OR duplicate_of_id <> id', name=op.f('ck_suggestion_not_own_duplicate')),
    sa.CheckConstraint('length(title) >= 10 AND length(title) <= 150', name=op.f('ck_suggestion_title_length')),
    sa.CheckConstraint('vote_count >= 0', name=op.f('ck_suggestion_vote_count_nonnegative')),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_suggestion_author_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['suggestion.id'], name=op.f('fk_suggestion_duplicate_of_id_suggestion'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion'))
    )
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.create_index('ix_suggestion_author_id', ['author_id'], unique=False)
        batch_op.create_index('ix_suggestion_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_suggestion_duplicate_of_id', ['duplicate_of_id'], unique=False)
        batch_op.create_index('ix_suggestion_status_vote_count', ['status', 'vote_count'], unique=False)

    op.create_table('suggestion_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_suggestion_comment_author_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], name=op.f('fk_suggestion_comment_suggestion_id_suggestion'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_comment'))
    )
    with op.batch_alter_table('suggestion_comment', schema=None) as batch_op:
        batch_op.create_index('ix_suggestion_comment_suggestion_id_created_at', ['suggestion_id', 'created_at'], unique=False)

    op.create_table('suggestion_follow',
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unfollowed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], name=op.f('fk_suggestion_follow_suggestion_id_suggestion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_suggestion_follow_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('suggestion_id', 'user_id', name=op.f('pk_suggestion_follow'))
    )
    with op.batch_alter_table('suggestion_follow', schema=None) as batch_op:
        batch_op.create_index('ix_suggestion_follow_user_id', ['user_id'], unique=False)

    op.create_table('suggestion_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("from_status IN ('open', 'under_review', 'planned', 'in_progress', 'completed', 'declined', 'duplicate')", name=op.f('ck_suggestion_status_change_from_status_valid')),
    sa.CheckConstraint("to_status IN ('open', 'under_review', 'planned', 'in_progress', 'completed', 'declined', 'duplicate')", name=op.f('ck_suggestion_status_change_to_status_valid')),
    sa.CheckConstraint('from_status <> to_status', name=op.f('ck_suggestion_status_change_changes_status')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user_account.id'], name=op.f('fk_suggestion_status_change_changed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], name=op.f('fk_suggestion_status_change_suggestion_id_suggestion'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_status_change'))
    )
    with op.batch_alter_table('suggestion_status_change', schema=None) as batch_op:
        batch_op.create_index('ix_suggestion_status_change_suggestion_id_created_at', ['suggestion_id', 'created_at'], unique=False)
        batch_op.create_index('ix_suggestion_status_change_to_status_created_at', ['to_status', 'created_at'], unique=False)

    op.create_table('suggestion_tag',
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], name=op.f('fk_suggestion_tag_suggestion_id_suggestion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], name=op.f('fk_suggestion_tag_tag_id_tag'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('suggestion_id', 'tag_id', name=op.f('pk_suggestion_tag'))
    )
    with op.batch_alter_table('suggestion_tag', schema=None) as batch_op:
        batch_op.create_index('ix_suggestion_tag_tag_id', ['tag_id'], unique=False)

    op.create_table('suggestion_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merged_from_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['merged_from_id'], ['suggestion.id'], name=op.f('fk_suggestion_vote_merged_from_id_suggestion'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], name=op.f('fk_suggestion_vote_suggestion_id_suggestion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['voter_id'], ['user_account.id'], name=op.f('fk_suggestion_vote_voter_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_vote')),
    sa.UniqueConstraint('suggestion_id', 'voter_id', name=op.f('uq_suggestion_vote_suggestion_id_voter_id'))
    )
    with op.batch_alter_table('suggestion_vote', schema=None) as batch_op:
        batch_op.create_index('ix_suggestion_vote_suggestion_id_created_at', ['suggestion_id', 'created_at'], unique=False)
        batch_op.create_index('ix_suggestion_vote_voter_id', ['voter_id'], unique=False)



def downgrade():
    with op.batch_alter_table('suggestion_vote', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestion_vote_voter_id')
        batch_op.drop_index('ix_suggestion_vote_suggestion_id_created_at')

    op.drop_table('suggestion_vote')
    with op.batch_alter_table('suggestion_tag', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestion_tag_tag_id')

    op.drop_table('suggestion_tag')
    with op.batch_alter_table('suggestion_status_change', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestion_status_change_to_status_created_at')
        batch_op.drop_index('ix_suggestion_status_change_suggestion_id_created_at')

    op.drop_table('suggestion_status_change')
    with op.batch_alter_table('suggestion_follow', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestion_follow_user_id')

    op.drop_table('suggestion_follow')
    with op.batch_alter_table('suggestion_comment', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestion_comment_suggestion_id_created_at')

    op.drop_table('suggestion_comment')
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestion_status_vote_count')
        batch_op.drop_index('ix_suggestion_duplicate_of_id')
        batch_op.drop_index('ix_suggestion_created_at')
        batch_op.drop_index('ix_suggestion_author_id')

    op.drop_table('suggestion')
