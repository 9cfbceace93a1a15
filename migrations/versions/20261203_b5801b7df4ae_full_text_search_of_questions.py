"""Full-text search of questions: FTS5 on SQLite, tsvector and GIN on PostgreSQL

Hand-written: the models do not describe post_fts (gamify/search.py builds the same objects for
db.create_all()), so autogenerate neither creates nor drops it.

Revision ID: b5801b7df4ae
Revises: b5cff8e2871d
Create Date: 2026-12-03 19:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b5801b7df4ae'
down_revision = 'b5cff8e2871d'
branch_labels = None
depends_on = None

# The first characters of a question's answers that are indexed (a tsvector holds at most 1 MB).
ANSWERS_INDEXED = 100000


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS post_fts USING fts5("
            "title, body, answers, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        op.execute(
            "INSERT INTO post_fts (rowid, title, body, answers) "
            "SELECT q.id, q.title, q.body, coalesce(substr(("
            "SELECT group_concat(a.body, char(10)) FROM ("
            "SELECT body FROM post "
            "WHERE parent_id = q.id AND kind = 'answer' AND deleted_at IS NULL ORDER BY id"
            ") AS a"
            f"), 1, {ANSWERS_INDEXED}), '') "
            "FROM post AS q WHERE q.kind = 'question' AND q.deleted_at IS NULL"
        )
    elif dialect == 'postgresql':
        op.execute(
            "CREATE TABLE IF NOT EXISTS post_fts ("
            "question_id INTEGER NOT NULL, "
            "document TSVECTOR NOT NULL, "
            "CONSTRAINT pk_post_fts PRIMARY KEY (question_id), "
            "CONSTRAINT fk_post_fts_question_id_post FOREIGN KEY (question_id) "
            "REFERENCES post (id) ON DELETE CASCADE)"
        )
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_post_fts_document ON post_fts USING gin (document)"
        )
        op.execute(
            "INSERT INTO post_fts (question_id, document) "
            "SELECT q.id, "
            "setweight(to_tsvector('english', coalesce(q.title, '')), 'A') "
            "|| setweight(to_tsvector('english', q.body), 'B') "
            "|| setweight(to_tsvector('english', coalesce(left(("
            "SELECT string_agg(a.body, E'\\n' ORDER BY a.id) FROM post AS a "
            "WHERE a.parent_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL"
            f"), {ANSWERS_INDEXED}), '')), 'C') "
            "FROM post AS q WHERE q.kind = 'question' AND q.deleted_at IS NULL"
        )
    else:
        raise NotImplementedError(f"full-text search has no schema for {dialect}")


def downgrade():
    op.execute("DROP TABLE IF EXISTS post_fts")
