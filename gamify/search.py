"""Full-text search over questions: FTS5 on SQLite, tsvector with a GIN index on PostgreSQL.

The index lives in one table, `post_fts`, with a row per live question (its title, its body and
the bodies of its live answers). It is built by hand-written DDL, not by a model: here for
`db.create_all()`, and in the migration that introduced it. The Q&A services keep it current by
calling `index_question` and `unindex_question` inside their own transaction.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from sqlalchemy import DDL, Select, case, event, func, literal_column, select, text
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import ColumnElement, column, table

from gamify.models import Question
from kudos.database import schema_filter
from kudos.extensions import db
from kudos.paging import Paged

SEARCH_TABLE = "post_fts"
MAX_TERMS = 32
MAX_PER_PAGE = 100
# The first characters of a question's answers that are indexed (a tsvector holds at most 1 MB).
ANSWERS_INDEXED = 100_000
# Title, body and answers: a match in the title counts most.
SQLITE_WEIGHTS = (10.0, 4.0, 1.0)

# Words too common to make two titles similar (PostgreSQL's English configuration drops its own
# stop words; SQLite's FTS5 has none, so "how do I" would match every question).
STOP_WORDS = frozenset(
    "a an and are as at be but by can do does for from how i if in into is it its my no not of"
    " on or so that the their then there these this to was we what when where which who why"
    " will with you your".split()
)

_WORD_CHAR = re.compile(r"[^\W_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# The schema; keep it in step with the migration that creates the same objects.
_SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS post_fts USING fts5("
    "title, body, answers, tokenize = 'porter unicode61 remove_diacritics 2')"
)
_POSTGRESQL_CREATE = (
    "CREATE TABLE IF NOT EXISTS post_fts ("
    "question_id INTEGER NOT NULL, "
    "document TSVECTOR NOT NULL, "
    "CONSTRAINT pk_post_fts PRIMARY KEY (question_id), "
    "CONSTRAINT fk_post_fts_question_id_post FOREIGN KEY (question_id) "
    "REFERENCES post (id) ON DELETE CASCADE)"
)
_POSTGRESQL_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_post_fts_document ON post_fts USING gin (document)"
)

event.listen(db.metadata, "after_create", DDL(_SQLITE_CREATE).execute_if(dialect="sqlite"))
event.listen(db.metadata, "after_create", DDL(_POSTGRESQL_CREATE).execute_if(dialect="postgresql"))
event.listen(db.metadata, "after_create", DDL(_POSTGRESQL_INDEX).execute_if(dialect="postgresql"))
# Before the tables go: on PostgreSQL post_fts holds a foreign key to post.
event.listen(db.metadata, "before_drop", DDL("DROP TABLE IF EXISTS post_fts"))


# Alembic's comparison leaves the search table (and FTS5's shadow tables) alone.
include_object = schema_filter(SEARCH_TABLE)


# One statement per dialect builds the documents from the post table, for one question or all.
_SQLITE_INDEX = """
INSERT INTO post_fts (rowid, title, body, answers)
SELECT q.id, q.title, q.body, coalesce(substr((
    SELECT group_concat(a.body, char(10)) FROM (
        SELECT body FROM post
        WHERE parent_id = q.id AND kind = 'answer' AND deleted_at IS NULL ORDER BY id
    ) AS a
), 1, :answers_indexed), '')
FROM post AS q
WHERE q.kind = 'question' AND q.deleted_at IS NULL
"""
_POSTGRESQL_INDEX_ROWS = """
INSERT INTO post_fts (question_id, document)
SELECT q.id,
    setweight(to_tsvector('english', coalesce(q.title, '')), 'A')
    || setweight(to_tsvector('english', q.body), 'B')
    || setweight(to_tsvector('english', coalesce(left((
        SELECT string_agg(a.body, E'\\n' ORDER BY a.id) FROM post AS a
        WHERE a.parent_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL
    ), :answers_indexed), '')), 'C')
FROM post AS q
WHERE q.kind = 'question' AND q.deleted_at IS NULL
"""
_POSTGRESQL_UPSERT = " ON CONFLICT (question_id) DO UPDATE SET document = excluded.document"


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def index_question(question_id: int) -> None:
    """(Re)index a question with its answers; a deleted or missing question leaves the index."""
    db.session.flush()
    params = {"id": question_id, "answers_indexed": ANSWERS_INDEXED}
    if _dialect() == "postgresql":
        # An upsert, so that two transactions indexing the same question cannot collide.
        statement = _POSTGRESQL_INDEX_ROWS + " AND q.id = :id" + _POSTGRESQL_UPSERT
        if db.session.execute(text(statement), params).rowcount == 0:
            unindex_question(question_id)
    else:
        unindex_question(question_id)
        db.session.execute(text(_SQLITE_INDEX + " AND q.id = :id"), params)


def unindex_question(question_id: int) -> None:
    """Take a question out of the index."""
    db.session.flush()
    if _dialect() == "postgresql":
        statement = "DELETE FROM post_fts WHERE question_id = :id"
    else:
        statement = "DELETE FROM post_fts WHERE rowid = :id"
    db.session.execute(text(statement), {"id": question_id})


def reindex_all() -> int:
    """Rebuild the whole index from the posts; return how many questions it holds."""
    db.session.flush()
    db.session.execute(text("DELETE FROM post_fts"))
    statement = _POSTGRESQL_INDEX_ROWS if _dialect() == "postgresql" else _SQLITE_INDEX
    db.session.execute(text(statement), {"answers_indexed": ANSWERS_INDEXED})
    return db.session.scalar(text("SELECT count(*) FROM post_fts"))


@dataclass(frozen=True)
class SearchPage(Paged):
    """One page of questions found, best match first."""

    items: list[Question] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 20
    pages: int = 0


def _words(query: str) -> list[str]:
    """Split user input into at most MAX_TERMS words that contain a letter or a digit."""
    cleaned = _CONTROL.sub(" ", query or "")
    return [word for word in cleaned.split() if _WORD_CHAR.search(word)][:MAX_TERMS]


def _fts5_term(word: str) -> str:
    """Quote a word as an FTS5 string, so that no character in it is query syntax."""
    return '"' + word.replace('"', '""') + '"'


def _matching(words: list[str], any_word: bool) -> tuple[Select, list[ColumnElement]]:
    """Return the statement selecting live questions that match, and how to order them.

    With every word required, questions whose title matches come first: a weighted BM25 alone
    would let a short body repeating a word outrank it.
    """
    if _dialect() == "postgresql":
        fts = table(SEARCH_TABLE, column("question_id"), column("document"))
        if any_word:
            query = func.plainto_tsquery("english", words[0])
            for word in words[1:]:
                query = query.op("||")(func.plainto_tsquery("english", word))
        else:
            query = func.websearch_to_tsquery("english", " ".join(words))
        on = fts.c.question_id == Question.id
        matches = fts.c.document.op("@@")(query)
        in_title = func.ts_filter(fts.c.document, literal_column("'{a}'")).op("@@")(query)
        rank = -func.ts_rank(fts.c.document, query)
    else:
        fts = table(SEARCH_TABLE, column("rowid"))
        terms = (" OR " if any_word else " ").join(_fts5_term(word) for word in words)
        on = fts.c.rowid == Question.id
        matches = literal_column(SEARCH_TABLE).op("MATCH")(terms)
        titles = table(SEARCH_TABLE, column("rowid"), column("title")).alias("title_fts")
        in_title = fts.c.rowid.in_(select(titles.c.rowid).where(titles.c.title.op("MATCH")(terms)))
        rank = func.bm25(literal_column(SEARCH_TABLE), *SQLITE_WEIGHTS)
    statement = select(Question).join(fts, on).where(matches, Question.deleted_at.is_(None))
    order = [rank, Question.created_at.desc(), Question.id.desc()]
    if not any_word:
        order.insert(0, case((in_title, 0), else_=1))
    return statement, order


def search_questions(query: str, page: int = 1, per_page: int = 20) -> SearchPage:
    """Find live questions matching every word of a query, best match first, newest on ties."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    words = _words(query)
    if not words:
        return SearchPage(page=page, per_page=per_page)
    statement, order = _matching(words, any_word=False)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    items = []
    if total:
        items = list(
            db.session.scalars(
                statement.options(selectinload(Question.tags), selectinload(Question.author))
                .order_by(*order)
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
        )
    return SearchPage(
        items=items, total=total, page=page, per_page=per_page, pages=math.ceil(total / per_page)
    )


def similar_questions(title: str, limit: int = 5) -> list[Question]:
    """Find live questions sharing any significant word with a draft title, best match first."""
    words = [word for word in _words(title) if word.lower() not in STOP_WORDS]
    if not words:
        return []
    statement, order = _matching(words, any_word=True)
    return list(
        db.session.scalars(
            statement.options(selectinload(Question.tags)).order_by(*order).limit(max(1, limit))
        )
    )
