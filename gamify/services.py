"""Community Q&A use cases: ask, answer, comment, vote, accept, edit, delete, list, view.

Each public function owns its transaction: it validates, writes the rows and their points
through the engine, and commits, or raises QAError and leaves the database unchanged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from gamify import badges, engine, privileges, search, tag_scores
from gamify.models import (
    Answer,
    Comment,
    PointEvent,
    Post,
    PostLink,
    PostRevision,
    Question,
    Tag,
    Vote,
    question_tag,
)
from kudos.database import commit, lock_row, prepared, retry_transient, run
from kudos.extensions import db
from kudos.models import User, utcnow
from kudos.notifications import notify

log = logging.getLogger(__name__)

TITLE_MIN, TITLE_MAX = 15, 150
BODY_MIN, BODY_MAX = 10, 30_000
ANSWER_MIN = 10
COMMENT_MIN, COMMENT_MAX = 5, 600
TAGS_MIN, TAGS_MAX = 1, 5
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.+#-]{0,34}$")
VOTES_PER_DAY = 30
SORTS = ("newest", "active", "unanswered")


class QAError(Exception):
    """A request the Q&A cannot carry out, with the reason for the user."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


class NotFound(QAError):
    def __init__(self, message: str = "There is no such post."):
        super().__init__(message, status=404)


class Forbidden(QAError):
    def __init__(self, message: str):
        super().__init__(message, status=403)


# ---------------------------------------------------------------------------------------------
# Validation


def clean_title(raw: str) -> str:
    title = " ".join((raw or "").split())
    if len(title) < TITLE_MIN:
        raise QAError(f"A title needs at least {TITLE_MIN} characters.", "title")
    if len(title) > TITLE_MAX:
        raise QAError(f"A title has at most {TITLE_MAX} characters.", "title")
    return title


def clean_body(raw: str, minimum: int = BODY_MIN, field_name: str = "body") -> str:
    body = (raw or "").strip()
    if len(body) < minimum:
        raise QAError(f"The body needs at least {minimum} characters.", field_name)
    if len(body) > BODY_MAX:
        raise QAError(f"The body has at most {BODY_MAX} characters.", field_name)
    return body


def parse_tags(raw: str | list[str]) -> list[str]:
    """Split tags typed as "aws, iam kubernetes" into a clean, ordered, distinct list."""
    parts = raw if isinstance(raw, list) else re.split(r"[\s,]+", raw or "")
    tags: list[str] = []
    for part in parts:
        name = part.strip().lower()
        if name and name not in tags:
            tags.append(name)
    return tags


def clean_tags(raw: str | list[str]) -> list[str]:
    tags = parse_tags(raw)
    if len(tags) < TAGS_MIN:
        raise QAError("Add at least one tag.", "tags")
    if len(tags) > TAGS_MAX:
        raise QAError(f"Use at most {TAGS_MAX} tags; you gave {len(tags)}.", "tags")
    bad = [tag for tag in tags if not TAG_PATTERN.match(tag)]
    if bad:
        raise QAError(
            f"Tags use lower-case letters, digits and . + # - (up to 35 characters): "
            f"{', '.join(bad)} is not valid.",
            "tags",
        )
    return tags


# ---------------------------------------------------------------------------------------------
# Loading


def get_post(post_id: int, *, allow_deleted: bool = False) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or (post.is_deleted and not allow_deleted):
        raise NotFound()
    return post


def get_question(question_id: int, viewer: User | None = None) -> Question:
    """Return a question; a deleted one only to its author and to staff."""
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound("There is no such question.")
    if question.is_deleted and not _can_see_deleted(question, viewer):
        raise NotFound("This question has been deleted.")
    return question


def _can_see_deleted(post: Post, viewer: User | None) -> bool:
    return viewer is not None and (viewer.is_staff or viewer.id == post.author_id)


def _tags_by_name(names: list[str], creator: User) -> list[Tag]:
    existing = {tag.name: tag for tag in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    new = [name for name in names if name not in existing]
    if new:
        what = f"the new tag{'s' if len(new) > 1 else ''} {', '.join(new)}"
        privileges.require(creator, "create_tags", field="tags", action=f"Creating {what}")
    tags = []
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        tags.append(tag)
    return tags


def _lock_post(post_id: int) -> Post | None:
    """Hold the post for this transaction (row lock, or SQLite's write lock); read it fresh."""
    return lock_row(Post, post_id, Post.last_activity_at)


# ---------------------------------------------------------------------------------------------
# Writing


def ask(
    author: User, title: str, body: str, tags: str | list[str], *, at: datetime | None = None
) -> Question:
    """Post a new question with its first revision."""
    at = at or utcnow()
    title, body, names = clean_title(title), clean_body(body), clean_tags(tags)
    question = Question(
        author_id=author.id,
        title=title,
        body=body,
        created_at=at,
        last_activity_at=at,
        answer_count=0,
        view_count=0,
    )
    question.tags = _tags_by_name(names, author)
    db.session.add(question)
    db.session.flush()
    for tag in question.tags:
        tag.question_count = (tag.question_count or 0) + 1
    _add_revision(question, author, at, "asked")
    search.index_question(question.id)
    badges.on_event("question", question_id=question.id, at=at)
    commit()
    log.info("User %s asked question %s", author.id, question.id)
    return question


def answer(author: User, question_id: int, body: str, *, at: datetime | None = None) -> Answer:
    """Answer a question."""
    at = at or utcnow()
    question = get_question(question_id)
    if question.is_deleted:
        raise QAError("This question has been deleted; it takes no new answers.")
    body = clean_body(body, ANSWER_MIN)
    post = Answer(
        author_id=author.id, parent_id=question.id, body=body, created_at=at, last_activity_at=at
    )
    db.session.add(post)
    db.session.flush()
    db.session.execute(
        update(Question)
        .where(Question.id == question.id)
        .values(answer_count=Question.answer_count + 1, last_activity_at=at)
    )
    _add_revision(post, author, at, "answered")
    if question.author_id != author.id:
        notify(
            question.author_id,
            "answer",
            f"{author.display_name} answered your question: {question.title}",
            link=f"/questions/{question.id}#post-{post.id}",
            key=f"answer:{post.id}",
            at=at,
        )
    search.index_question(question.id)
    badges.on_event("answer", answer_id=post.id, at=at)
    commit()
    return post


def add_comment(author: User, post_id: int, body: str, *, at: datetime | None = None) -> Comment:
    """Comment on a question or an answer."""
    post = get_post(post_id)
    text = " ".join((body or "").split())
    if len(text) < COMMENT_MIN:
        raise QAError(f"A comment needs at least {COMMENT_MIN} characters.", "body")
    if len(text) > COMMENT_MAX:
        raise QAError(f"A comment has at most {COMMENT_MAX} characters.", "body")
    # As on Stack Exchange, anyone may comment on their own post and on answers to their question.
    if author.id != post.author_id and not (
        isinstance(post, Answer) and db.session.get(Question, post.parent_id).author_id == author.id
    ):
        privileges.require(author, "comment", field="body")
    comment = Comment(post_id=post.id, author_id=author.id, body=text, created_at=at or utcnow())
    db.session.add(comment)
    commit()
    return comment


def _add_revision(post: Post, editor: User, at: datetime, note: str) -> PostRevision:
    number = (
        db.session.scalar(
            select(func.max(PostRevision.number)).where(PostRevision.post_id == post.id)
        )
        or 0
    ) + 1
    revision = PostRevision(
        post_id=post.id,
        number=number,
        editor_id=editor.id,
        title=post.title,
        body=post.body,
        tags=" ".join(tag.name for tag in post.tags) if isinstance(post, Question) else None,
        comment=note,
        created_at=at,
    )
    db.session.add(revision)
    return revision


def _question_id_of(post: Post) -> int:
    return post.id if isinstance(post, Question) else post.parent_id


def edit(
    editor: User,
    post_id: int,
    *,
    body: str,
    title: str | None = None,
    tags: str | list[str] | None = None,
    comment: str | None = None,
    at: datetime | None = None,
) -> Post:
    """Change a post and keep what it looked like as a new revision."""
    at = at or utcnow()
    post = get_post(post_id)
    if editor.id != post.author_id:
        privileges.require(editor, "edit_others")
    body = clean_body(body, BODY_MIN if isinstance(post, Question) else ANSWER_MIN)
    if isinstance(post, Question):
        new_title = clean_title(title if title is not None else post.title)
        # Everything is checked before the post changes, so a refusal leaves it as it was.
        new_tags = _tags_by_name(clean_tags(tags), editor) if tags is not None else None
        post.title = new_title
        if new_tags is not None:
            names = [tag.name for tag in new_tags]
            old = {tag.name for tag in post.tags}
            old_ids, new_ids = {tag.id for tag in post.tags}, {tag.id for tag in new_tags}
            tag_scores.question_counted(post.id, old_ids - new_ids, -1)
            tag_scores.question_counted(post.id, new_ids - old_ids, 1)
            post.tags = new_tags
            db.session.flush()
            for tag in post.tags:
                if tag.name not in old:
                    tag.question_count = (tag.question_count or 0) + 1
            _decrement_tags(old - set(names))
    post.body = body
    post.edited_at = at
    note = " ".join((comment or "").split())[:200] or "edited"
    _add_revision(post, editor, at, note)
    question_id = _question_id_of(post)
    db.session.execute(update(Post).where(Post.id == question_id).values(last_activity_at=at))
    search.index_question(question_id)
    commit()
    return post


def _decrement_tags(names: set[str]) -> None:
    if names:
        db.session.execute(
            update(Tag)
            .where(Tag.name.in_(names))
            .values(question_count=case((Tag.question_count > 0, Tag.question_count - 1), else_=0))
        )


@retry_transient()
def delete(actor: User, post_id: int, *, at: datetime | None = None) -> Post:
    """Soft-delete a post (author or lead) and take back every point it earned."""
    at = at or utcnow()
    post = get_post(post_id)
    if actor.id != post.author_id and not actor.is_staff:
        raise Forbidden("Only the author or a lead can delete this post.")
    if isinstance(post, Question):
        tag_scores.question_counted(post.id, [tag.id for tag in post.tags], -1)
    else:
        tag_scores.answer_scored(post.author_id, post.parent_id, -post.score)
    post.deleted_at = at
    post.deleted_by_id = actor.id
    reason = "post deleted"
    if isinstance(post, Question):
        engine.reverse_question(post.id, reason=reason, actor_id=actor.id)
        _decrement_tags({tag.name for tag in post.tags})
        search.unindex_question(post.id)
    else:
        engine.reverse_source("post", post.id, reason=reason, actor_id=actor.id)
        values = {"answer_count": Question.answer_count - 1}
        question = db.session.get(Question, post.parent_id)
        if question.accepted_answer_id == post.id:
            values["accepted_answer_id"] = None
        db.session.execute(update(Question).where(Question.id == post.parent_id).values(**values))
        search.index_question(post.parent_id)
    commit()
    log.info("User %s deleted post %s", actor.id, post.id)
    return post


# ---------------------------------------------------------------------------------------------
# Votes


@dataclass(frozen=True)
class VoteState:
    post_id: int
    score: int
    my_vote: int  # -1, 0 or 1


VOTE_ACTIONS = {
    ("question", 1): "question_upvoted",
    ("answer", 1): "answer_upvoted",
    ("question", -1): "question_downvoted",
    ("answer", -1): "answer_downvoted",
}


@prepared
def _vote_sql(insert) -> SimpleNamespace:
    """The statements of a vote, built once (see kudos.database.prepared)."""
    post, vote = Post.__table__, Vote.__table__
    mine = (vote.c.post_id == bindparam("post")) & (vote.c.voter_id == bindparam("voter"))
    active = mine & vote.c.retracted_at.is_(None)
    today = (
        (vote.c.voter_id == bindparam("voter"))
        & (vote.c.created_at >= bindparam("since"))
        & (vote.c.created_at <= bindparam("at"))
    )
    return SimpleNamespace(
        # Writing first takes SQLite's write lock too (see kudos.database.lock_row).
        lock_post=update(post)
        .where(post.c.id == bindparam("post"))
        .values(last_activity_at=post.c.last_activity_at)
        .returning(
            post.c.kind, post.c.parent_id, post.c.author_id, post.c.score, post.c.deleted_at
        ),
        state=select(
            select(vote.c.id).where(active).scalar_subquery().label("vote_id"),
            select(vote.c.value).where(active).scalar_subquery().label("value"),
            select(func.count(vote.c.id)).where(today).scalar_subquery().label("today"),
        ),
        retract=update(vote)
        .where(vote.c.id == bindparam("vote"))
        .values(retracted_at=bindparam("at")),
        add_vote=insert(vote).returning(vote.c.id),
        rescore=update(post)
        .where(post.c.id == bindparam("post"))
        .values(score=post.c.score + bindparam("change")),
        score=select(post.c.score).where(post.c.id == bindparam("post")),
        value=select(vote.c.value).where(active),
    )


def _wait_message(at: datetime) -> str:
    tomorrow = datetime(at.year, at.month, at.day, tzinfo=at.tzinfo) + timedelta(days=1)
    minutes = int((tomorrow - at).total_seconds() // 60) + 1
    hours, minutes = divmod(minutes, 60)
    wait = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return (
        f"You have cast your {VOTES_PER_DAY} votes for today. "
        f"Voting opens again at 00:00 UTC, in {wait}."
    )


def _vote_state(post_id: int, voter_id: int) -> VoteState:
    """Read a post's score and the voter's vote as committed."""
    statements, ids = _vote_sql(), {"post": post_id, "voter": voter_id}
    score = run(statements.score, ids).scalar()
    return VoteState(post_id, score, run(statements.value, ids).scalar() or 0)


@retry_transient()
def vote(voter: User, post_id: int, value: int, *, at: datetime | None = None) -> VoteState:
    """Cast, change (value +1/-1) or withdraw (value 0) a member's vote on a post.

    A vote is on the hot path of the whole site, so it runs a fixed set of prepared
    statements on the session's connection: the post's lock returns what the checks need,
    and one read gives the voter's vote on it and their count of the day.
    """
    at = at or utcnow()
    if value not in (-1, 0, 1):
        raise QAError("A vote is up, down or none.")
    statements = _vote_sql()
    ids = {"post": post_id, "voter": voter.id}
    try:
        post = run(statements.lock_post, ids).first()
        if post is None:
            raise NotFound("There is no such post to vote on.")
        if post.author_id == voter.id:
            raise QAError("You cannot vote on your own post.", status=403)
        since = datetime(at.year, at.month, at.day, tzinfo=at.tzinfo)
        current = run(statements.state, {**ids, "since": since, "at": at}).one()
        engine.lock_users([post.author_id, voter.id], at)
        if value != 0:
            privileges.require(voter, "upvote" if value == 1 else "downvote")
            if current.today >= VOTES_PER_DAY:
                raise QAError(_wait_message(at), status=429)
        if post.deleted_at is not None:
            raise QAError("This post has been deleted; it takes no votes.", status=409)
        if (current.value or 0) == value:
            db.session.rollback()
            return VoteState(post_id, post.score, value)
        unpaid = privileges.unpaid_vote_reason(voter)
        if current.vote_id is not None:
            reason = "vote withdrawn" if value == 0 else "vote changed"
            run(statements.retract, {"vote": current.vote_id, "at": at})
            engine.reverse(f"vote:{current.vote_id}", reason=reason, at=at)
            engine.reverse(f"vote:{current.vote_id}:cost", reason=reason, at=at)
        question_id = post.parent_id or post_id  # an answer's question, or the question
        change = value - (current.value or 0)
        run(statements.rescore, {"post": post_id, "change": change})
        if post.kind == "answer":
            tag_scores.answer_scored(post.author_id, post.parent_id, change)
        if value != 0:
            new_id = run(
                statements.add_vote,
                {"post_id": post_id, "voter_id": voter.id, "value": value, "created_at": at,
                 "retracted_at": None},
            ).scalar()  # fmt: skip
            common = {"source_type": "post", "source_id": post_id, "question_id": question_id}
            engine.record(
                VOTE_ACTIONS[(post.kind, value)],
                post.author_id,
                key=f"vote:{new_id}",
                actor_id=voter.id,
                at=at,
                unpaid=unpaid,
                **common,
            )
            if value == -1 and post.kind == "answer":
                engine.record(
                    "downvote_cast",
                    voter.id,
                    key=f"vote:{new_id}:cost",
                    at=at,
                    unpaid=unpaid,
                    **common,
                )
        badges.on_event(
            "vote",
            post_id=post_id,
            voter_id=voter.id,
            question_id=question_id,
            at=at,
            raised=change > 0,
            cast=value != 0,
        )
        db.session.commit()
    except IntegrityError:
        # A concurrent request cast the same vote first; the unique keys kept it single.
        db.session.rollback()
        return _vote_state(post_id, voter.id)
    except QAError:
        db.session.rollback()
        raise
    return VoteState(post_id, post.score + change, value)


# ---------------------------------------------------------------------------------------------
# Accepting


def _accept_generation(answer_id: int) -> int:
    """Count earlier accepts of this answer, so that accepting again is a new event."""
    return (
        db.session.scalar(
            select(func.count(PointEvent.id)).where(
                PointEvent.event_key.like(f"accept:{answer_id}:%:answerer")
            )
        )
        or 0
    )


def _undo_accept(question: Question, at: datetime, actor_id: int) -> None:
    answer_id = question.accepted_answer_id
    if answer_id is None:
        return
    generation = _accept_generation(answer_id) - 1
    for role in ("answerer", "asker"):
        engine.reverse(
            f"accept:{answer_id}:{generation}:{role}",
            reason="accept withdrawn",
            actor_id=actor_id,
            at=at,
        )
    question.accepted_answer_id = None


@retry_transient()
def accept(actor: User, answer_id: int, *, at: datetime | None = None) -> Question:
    """Mark an answer as the accepted one (the asker or a lead); it replaces any earlier one."""
    at = at or utcnow()
    post = db.session.get(Answer, answer_id)
    if post is None or post.is_deleted:
        raise NotFound("There is no such answer.")
    question = db.session.get(Question, post.parent_id)
    if question.is_deleted:
        raise QAError("This question has been deleted.")
    if actor.id != question.author_id and not actor.is_staff:
        raise Forbidden("Only the person who asked, or a lead, can accept an answer.")
    try:
        question = _lock_post(question.id)
        if question.accepted_answer_id == post.id:
            db.session.rollback()
            return question
        users = [post.author_id, question.author_id]
        if question.accepted_answer_id is not None:
            users.append(db.session.get(Answer, question.accepted_answer_id).author_id)
        engine.lock_users(users, at)
        _undo_accept(question, at, actor.id)
        question.accepted_answer_id = post.id
        question.last_activity_at = at
        db.session.flush()
        if post.author_id != question.author_id:
            generation = _accept_generation(post.id)
            common = {"source_type": "post", "source_id": post.id, "question_id": question.id}
            engine.record(
                "answer_accepted",
                post.author_id,
                key=f"accept:{post.id}:{generation}:answerer",
                actor_id=actor.id,
                at=at,
                **common,
            )
            engine.record(
                "accepted_an_answer",
                question.author_id,
                key=f"accept:{post.id}:{generation}:asker",
                actor_id=actor.id,
                at=at,
                **common,
            )
            if actor.id != post.author_id:
                notify(
                    post.author_id,
                    "accepted",
                    f"Your answer was accepted: {question.title}",
                    link=f"/questions/{question.id}#post-{post.id}",
                    key=f"accepted:{post.id}:{generation}",
                    at=at,
                )
        badges.on_event("accept", answer_id=post.id, at=at)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return db.session.get(Question, question.id)


@retry_transient()
def unaccept(actor: User, question_id: int, *, at: datetime | None = None) -> Question:
    """Withdraw the accepted answer of a question."""
    at = at or utcnow()
    question = get_question(question_id)
    if actor.id != question.author_id and not actor.is_staff:
        raise Forbidden("Only the person who asked, or a lead, can change the accepted answer.")
    question = _lock_post(question.id)
    if question.accepted_answer_id is not None:
        answerer = db.session.get(Answer, question.accepted_answer_id).author_id
        engine.lock_users([answerer, question.author_id], at)
    _undo_accept(question, at, actor.id)
    commit()
    return question


# ---------------------------------------------------------------------------------------------
# Reading


def list_questions(sort: str, page: int, per_page: int, tag: str | None = None):
    """Page through live questions: newest, recently active, or unanswered; maybe by tag."""
    if sort not in SORTS:
        raise QAError(f"Sort by {', '.join(SORTS)}.")
    statement = (
        select(Question)
        .where(Question.deleted_at.is_(None))
        .options(selectinload(Question.tags), selectinload(Question.author))
    )
    if tag is not None:
        statement = statement.where(
            Question.id.in_(
                select(question_tag.c.question_id)
                .join(Tag, Tag.id == question_tag.c.tag_id)
                .where(Tag.name == tag)
            )
        )
    if sort == "unanswered":
        statement = statement.where(Question.answer_count == 0)
    order = Question.last_activity_at if sort == "active" else Question.created_at
    statement = statement.order_by(order.desc(), Question.id.desc())
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def get_tag(name: str) -> Tag:
    tag = db.session.scalar(select(Tag).where(Tag.name == name.lower()))
    if tag is None:
        raise NotFound("There is no such tag.")
    return tag


def popular_tags(limit: int = 30) -> list[Tag]:
    return list(
        db.session.scalars(
            select(Tag)
            .where(Tag.question_count > 0)
            .order_by(Tag.question_count.desc(), Tag.name)
            .limit(limit)
        )
    )


@dataclass
class QuestionPage:
    question: Question
    answers: list[Answer]
    comments: dict[int, list[Comment]] = field(default_factory=dict)
    my_votes: dict[int, int] = field(default_factory=dict)
    # Live questions this one duplicates, and ones linked to it (imported from Stack Exchange).
    duplicate_of: list[Question] = field(default_factory=list)
    linked: list[Question] = field(default_factory=list)


def question_page(question_id: int, viewer: User | None) -> QuestionPage:
    """Load everything the question page shows in a fixed number of queries."""
    question = db.session.scalar(
        select(Question)
        .where(Question.id == question_id)
        .options(selectinload(Question.tags), selectinload(Question.author))
    )
    if question is None or (question.is_deleted and not _can_see_deleted(question, viewer)):
        raise NotFound("There is no such question.")
    answers_query = (
        select(Answer)
        .where(Answer.parent_id == question.id)
        .options(selectinload(Answer.author))
        .order_by(
            (Answer.id == (question.accepted_answer_id or 0)).desc(),
            Answer.score.desc(),
            Answer.created_at,
        )
    )
    if not (viewer and viewer.is_staff):
        answers_query = answers_query.where(
            or_(
                Answer.deleted_at.is_(None),
                Answer.author_id == (viewer.id if viewer else -1),
            )
        )
    answers = list(db.session.scalars(answers_query))
    post_ids = [question.id, *(a.id for a in answers)]
    page = QuestionPage(question, answers, {post_id: [] for post_id in post_ids})
    for comment in db.session.scalars(
        select(Comment)
        .where(Comment.post_id.in_(post_ids), Comment.deleted_at.is_(None))
        .options(selectinload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    ):
        page.comments[comment.post_id].append(comment)
    for kind, target in db.session.execute(
        select(PostLink.kind, Question)
        .join(Question, Question.id == PostLink.related_id)
        .where(PostLink.post_id == question.id, Question.deleted_at.is_(None))
        .order_by(PostLink.kind, Question.id)
    ).all():
        (page.duplicate_of if kind == "duplicate" else page.linked).append(target)
    if viewer is not None:
        page.my_votes = dict(
            db.session.execute(
                select(Vote.post_id, Vote.value).where(
                    Vote.voter_id == viewer.id,
                    Vote.post_id.in_(post_ids),
                    Vote.retracted_at.is_(None),
                )
            ).all()
        )
    return page


def count_view(question_id: int) -> bool:
    """Add one view to a live question (the caller decides what counts as a new view)."""
    result = db.session.execute(
        update(Question)
        .where(Question.id == question_id, Question.deleted_at.is_(None))
        .values(view_count=Question.view_count + 1)
    )
    commit()
    return result.rowcount == 1


def revisions(post_id: int, viewer: User | None) -> tuple[Post, list[PostRevision]]:
    post = get_post(post_id, allow_deleted=True)
    if post.is_deleted and not _can_see_deleted(post, viewer):
        raise NotFound()
    rows = db.session.scalars(
        select(PostRevision)
        .where(PostRevision.post_id == post.id)
        .options(selectinload(PostRevision.editor))
        .order_by(PostRevision.number.desc())
    )
    return post, list(rows)
