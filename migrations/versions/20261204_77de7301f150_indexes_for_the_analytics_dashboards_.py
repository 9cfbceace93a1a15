"""Indexes for the analytics dashboards: suggestions by creation date, deflection tests

The dashboards read suggestions by creation date with their status (volume by tag) and vote
count (votes delivered); with both in the index neither looks up the rows, and the old index
on created_at alone, its prefix, goes. The deflection panel tests which sessions showed or
opened a match (events by kind) and which led to a request within the window (requests by
session); both now read an index alone instead of every event and request row.

Revision ID: 77de7301f150
Revises: c7204266564c
Create Date: 2026-12-04 03:22:34.088227

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '77de7301f150'
down_revision = 'c7204266564c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_suggestion_created_at_status_vote_count',
        'suggestion',
        ['created_at', 'status', 'vote_count'],
        unique=False,
    )
    op.drop_index('ix_suggestion_created_at', table_name='suggestion')
    op.create_index(
        'ix_deflection_event_kind_session_id',
        'deflection_event',
        ['kind', 'session_id'],
        unique=False,
    )
    op.create_index(
        'ix_support_request_deflection_session_id_created_at',
        'support_request',
        ['deflection_session_id', 'created_at'],
        unique=False,
    )


def downgrade():
    op.drop_index(
        'ix_support_request_deflection_session_id_created_at', table_name='support_request'
    )
    op.drop_index('ix_deflection_event_kind_session_id', table_name='deflection_event')
    op.create_index('ix_suggestion_created_at', 'suggestion', ['created_at'], unique=False)
    op.drop_index('ix_suggestion_created_at_status_vote_count', table_name='suggestion')
