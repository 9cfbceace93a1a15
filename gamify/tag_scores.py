"""Each member's answer score per tag, as a rollup that the tag badges read.

The truth is the posts: the summed score of a member's live answers to live questions with
the tag. Summing it on every vote reads every answer the voted answer's author ever wrote,
thousands of rows for the site's most active helpers. So the services that change it keep
AnswerTagScore in their own transaction: a vote on an answer, an answer or a question
deleted, a question retagged. Loaders that write posts in bulk call rebuild(); drift() lists
where the rollup and the posts disagree.
"""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import Integer, bindparam, delete, func, select

from gamify.models import AnswerTagScore, Post, Tag, question_tag
from kudos.database import prepared, run
from kudos.extensions import db

scores_t = AnswerTagScore.__table__
post_t = Post.__table__
tag_t = Tag.__table__


def live_answer_scores(author_id: int | None = None):
    """(author_id, tag_id, score): summed over live answers of live questions, by author and tag.

    What the rollup holds, read from the posts; for one author when author_id is given.
    """
    answer, question = post_t.alias("a"), post_t.alias("q")
    statement = (
        select(
            answer.c.author_id,
            question_tag.c.tag_id,
            func.sum(answer.c.score).label("score"),
        )
        .select_from(
            answer.join(question, question.c.id == answer.c.parent_id).join(
                question_tag, question_tag.c.question_id == question.c.id
            )
        )
        .where(
            answer.c.kind == "answer",
            answer.c.deleted_at.is_(None),
            question.c.deleted_at.is_(None),
        )
        .group_by(answer.c.author_id, question_tag.c.tag_id)
    )
    return statement if author_id is None else statement.where(answer.c.author_id == author_id)


@prepared
def _sql(insert) -> SimpleNamespace:
    """The rollup's statements, built once (see kudos.database.prepared)."""

    def add(rows):
        new = insert(scores_t).from_select(["user_id", "tag_id", "score"], rows)
        return new.on_conflict_do_update(
            index_elements=["user_id", "tag_id"],
            set_={"score": scores_t.c.score + new.excluded.score},
        )

    question, answer = post_t.alias("q"), post_t.alias("a")
    author = bindparam("author", type_=Integer)
    return SimpleNamespace(
        answer=add(
            select(author, question_tag.c.tag_id, bindparam("change", type_=Integer))
            .select_from(question_tag.join(question, question.c.id == question_tag.c.question_id))
            .where(
                question_tag.c.question_id == bindparam("question"),
                question.c.deleted_at.is_(None),
            )
        ),
        answers=add(
            select(
                answer.c.author_id,
                tag_t.c.id,
                func.sum(answer.c.score) * bindparam("sign", type_=Integer),
            )
            .select_from(answer.join(tag_t, tag_t.c.id.in_(bindparam("tags", expanding=True))))
            .where(
                answer.c.parent_id == bindparam("question"),
                answer.c.kind == "answer",
                answer.c.deleted_at.is_(None),
            )
            .group_by(answer.c.author_id, tag_t.c.id)
        ),
        totals=select(tag_t.c.name, scores_t.c.score)
        .join(tag_t, tag_t.c.id == scores_t.c.tag_id)
        .where(
            scores_t.c.user_id == bindparam("user"),
            scores_t.c.tag_id.in_(
                select(question_tag.c.tag_id)
                .where(question_tag.c.question_id == bindparam("question"))
                .scalar_subquery()
            ),
        ),
    )


def answer_scored(author_id: int, question_id: int, change: int) -> None:
    """Count a change of one answer's score in its author's tags (its question's, if live)."""
    if change:
        parameters = {"author": author_id, "question": question_id, "change": change}
        run(_sql().answer, parameters)


def question_counted(question_id: int, tag_ids, sign: int) -> None:
    """Count every live answer of a question sign times (1 or -1) in each of tag_ids.

    For a live question: -1 over its tags when it is deleted; -1 over the tags a retag drops
    and 1 over those it adds.
    """
    tag_ids = sorted(set(tag_ids))
    if tag_ids:
        run(_sql().answers, {"question": question_id, "tags": tag_ids, "sign": sign})


def totals(user_id: int, question_id: int) -> dict[str, int]:
    """Return the member's answer score in each tag of the question (tags with answers)."""
    rows = run(_sql().totals, {"user": user_id, "question": question_id})
    return {name: int(score) for name, score in rows}


def rebuild() -> int:
    """Recompute the whole rollup from the posts, in the caller's transaction; return rows."""
    run(delete(scores_t))
    rows = live_answer_scores()
    return run(scores_t.insert().from_select(["user_id", "tag_id", "score"], rows)).rowcount


def drift() -> list[tuple[int, int, int, int]]:
    """Return (user, tag, stored, actual) wherever the rollup disagrees with the posts."""
    actual = {
        (user, tag): int(score) for user, tag, score in db.session.execute(live_answer_scores())
    }
    stored = {
        (user, tag): score
        for user, tag, score in db.session.execute(
            select(scores_t.c.user_id, scores_t.c.tag_id, scores_t.c.score)
        )
    }
    return sorted(
        (user, tag, stored.get((user, tag), 0), actual.get((user, tag), 0))
        for user, tag in stored.keys() | actual.keys()
        if stored.get((user, tag), 0) != actual.get((user, tag), 0)
    )
