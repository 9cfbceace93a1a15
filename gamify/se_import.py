"""Import a Stack Exchange data dump and let the points engine score it.

The dump's XML files are read with a streaming parser (each row is dropped once read). Users,
tags, questions, answers, comments, duplicate links and edits become Kudos rows; then every
up vote, down vote and accept is replayed in date order through gamify.engine with the rules
in force on that date, so points, rollups and leaderboards are Kudos's own, and the badges
come from a backfill by Kudos's own criteria. Nothing is copied from the dump's Reputation or
Badges, except with --carry-over-reputation, which adds one "imported balance" entry per
member. Each object keeps its original id (the ImportedRow table), so importing the same dump
again adds nothing and a newer dump adds only what is new.

The import is one transaction: a missing file, malformed XML or (with strict) any row that
cannot be imported leaves the database as it was. Rows a dump can hold but Kudos cannot use
(votes on deleted posts, tag wikis, bounties...) are skipped and counted with their reason.
"""

from __future__ import annotations

import json
import logging
import re
import resource
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from defusedxml import ElementTree as ET
from markdownify import markdownify
from sqlalchemy import bindparam, func, select, update

from gamify import engine, search, tag_scores
from gamify.models import (
    Answer,
    Badge,
    BadgeAward,
    Comment,
    ImportedRow,
    PointEvent,
    Post,
    PostLink,
    PostRevision,
    Question,
    Tag,
    UserScore,
)
from kudos.extensions import db
from kudos.models import User, utcnow

log = logging.getLogger(__name__)

REQUIRED_FILES = (
    "Users.xml",
    "Posts.xml",
    "Tags.xml",
    "Comments.xml",
    "Votes.xml",
    "PostLinks.xml",
)
POST_TYPES = {1: "question", 2: "answer"}
OTHER_POST_TYPES = {
    3: "orphaned tag wiki",
    4: "tag wiki excerpt",
    5: "tag wiki",
    6: "moderator nomination",
    7: "wiki placeholder",
    8: "privilege wiki",
}
VOTE_TYPES = {1: "accept", 2: "up", 3: "down"}
OTHER_VOTE_TYPES = {
    4: "offensive flag",
    5: "favorite",
    6: "close",
    7: "reopen",
    8: "bounty start",
    9: "bounty close",
    10: "deletion",
    11: "undeletion",
    12: "spam flag",
    15: "moderator review",
    16: "approve edit suggestion",
}
LINK_TYPES = {1: "linked", 3: "duplicate"}
HISTORY_EDITS = {4: "title", 5: "body"}
TITLE_MAX, TAGS_MAX = 150, 5
# Stack Exchange's own history of the question upvote: +5 until 2019-11-13, +10 since.
SE_HISTORY_RULES = {"question_upvoted": [{"until": "2019-11-13", "points": 5}]}
COMMUNITY_USER = -1
BADGE_NAMES = ("Student", "Teacher", "Scholar", "Supporter", "Critic", "Nice Answer",
               "Nice Question", "Good Answer", "Good Question", "Great Answer", "Great Question",
               "Enlightened", "Necromancer", "Civic Duty", "Enthusiast", "Fanatic")  # fmt: skip


class ImportFailed(Exception):
    """An import that cannot go on; the message names the file and the row."""


# ---------------------------------------------------------------------------------------------
# Rules


@dataclass(frozen=True)
class RuleOverride:
    until: date
    points: int


class Rules:
    """Rule values that applied before a date, over the engine's current ones.

    Read from JSON: {"question_upvoted": [{"until": "2019-11-13", "points": 5}], ...}: an
    event before `until` is worth `points`; from then on the engine's rule applies.
    """

    def __init__(self, overrides: dict[str, list[RuleOverride]] | None = None):
        self.overrides = overrides or {}

    @classmethod
    def parse(cls, data: object, where: str = "the rules") -> Rules:
        if not isinstance(data, dict):
            raise ImportFailed(f"{where}: expected an object of action names.")
        overrides = {}
        for action, entries in data.items():
            try:
                engine.rule_for(action)
            except engine.UnknownAction:
                raise ImportFailed(f"{where}: there is no points rule “{action}”.") from None
            if not isinstance(entries, list):
                raise ImportFailed(f"{where}: {action} needs a list of {{until, points}}.")
            parsed = []
            for entry in entries:
                try:
                    parsed.append(
                        RuleOverride(date.fromisoformat(entry["until"]), int(entry["points"]))
                    )
                except (KeyError, TypeError, ValueError):
                    raise ImportFailed(
                        f"{where}: {action} entries look like "
                        '{"until": "2019-11-13", "points": 5}.'
                    ) from None
            overrides[action] = sorted(parsed, key=lambda item: item.until)
        return cls(overrides)

    @classmethod
    def load(cls, spec: str | None) -> Rules:
        """Rules from a JSON file, "se-history" for Stack Exchange's own, or None for none."""
        if spec is None:
            return cls()
        if spec == "se-history":
            return cls.parse(SE_HISTORY_RULES, "se-history")
        path = Path(spec)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ImportFailed(f"{spec}: cannot read the rules file ({error.strerror}).") from None
        except json.JSONDecodeError as error:
            raise ImportFailed(f"{spec}: not JSON (line {error.lineno}: {error.msg}).") from None
        return cls.parse(data, spec)

    def points(self, action: str, day: date) -> int | None:
        """The points an event of that day is worth, or None for the engine's current rule."""
        for override in self.overrides.get(action, ()):
            if day < override.until:
                return override.points
        return None


# ---------------------------------------------------------------------------------------------
# Reading


def parse_time(raw: str | None) -> datetime | None:
    """A dump timestamp ("2018-02-06T20:19:50.957", UTC) as an aware datetime."""
    if not raw:
        return None
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def rows(path: Path) -> Iterator[dict[str, str]]:
    """Yield each <row>'s attributes, streaming; malformed XML names the file and line."""
    try:
        for _, element in ET.iterparse(path, events=("end",)):
            if element.tag == "row":
                yield dict(element.attrib)
            element.clear()
    except ET.ParseError as error:
        line, column = error.position
        raise ImportFailed(
            f"{path.name}: the XML is malformed or cut off at line {line}, column {column}."
        ) from None


def _int(row: dict[str, str], name: str, file: str) -> int | None:
    raw = row.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise ImportFailed(
            f"{file}: row Id={row.get('Id')} has {name}=“{raw}”, which is not a number."
        ) from None


def _time(row: dict[str, str], name: str, file: str) -> datetime | None:
    try:
        return parse_time(row.get(name))
    except ValueError:
        raise ImportFailed(
            f"{file}: row Id={row.get('Id')} has {name}=“{row.get(name)}”, which is not a date."
        ) from None


def split_tags(raw: str | None) -> list[str]:
    """Tags as the dump writes them: "<aws><iam>" (older) or "|aws|iam|" (newer)."""
    if not raw:
        return []
    names = re.findall(r"<([^<>]+)>", raw) if "<" in raw else raw.strip("|").split("|")
    return [name.strip().lower()[:35] for name in names if name.strip()]


def to_markdown(html: str | None) -> str:
    """The dump's HTML body as Markdown (rendered and sanitized by Kudos like any post)."""
    text = markdownify(html or "", heading_style="ATX", bullets="-", code_language="")
    return text.strip() or "(empty)"


# ---------------------------------------------------------------------------------------------
# Summary


@dataclass
class Summary:
    source: str
    added: Counter = field(default_factory=Counter)
    existing: Counter = field(default_factory=Counter)
    read: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    # The first few skipped rows by reason, as (file, row id), to show where to look.
    examples: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    seconds: float = 0.0
    peak_memory: int = 0
    members: int = 0
    points_match: int = 0
    points_match_with_bonus: int = 0
    badge_agreement: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def skip(self, file: str, row_id: str | None, reason: str) -> None:
        self.skipped[f"{file}: {reason}"] += 1
        examples = self.examples[f"{file}: {reason}"]
        if len(examples) < 3:
            examples.append((file, row_id or "?"))

    @property
    def rows_read(self) -> int:
        return sum(self.read.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        """The summary a person reads at the end of the import."""
        out = [f"Imported {self.source} in {self.seconds:.1f} s "
               f"({self.rows_read:,} rows read, {self.rows_per_second:,.0f} rows/s, "
               f"peak resident memory {self.peak_memory / 1e6:.0f} MB)."]  # fmt: skip
        for kind in ("users", "tags", "questions", "answers", "comments", "links", "revisions",
                     "votes", "accepts", "balances"):  # fmt: skip
            if self.added[kind] or self.existing[kind]:
                out.append(f"  {kind}: {self.added[kind]:,} added, "
                           f"{self.existing[kind]:,} already there")  # fmt: skip
        if self.skipped:
            out.append(f"Skipped {sum(self.skipped.values()):,} rows:")
            for reason, count in self.skipped.most_common():
                where = ", ".join(f"Id={row}" for _, row in self.examples.get(reason, ()))
                out.append(f"  {count:,}: {reason}" + (f" (e.g. {where})" if where else ""))
        if self.members:
            exact = self.points_match / self.members * 100
            bonus = self.points_match_with_bonus / self.members * 100
            out.append(
                f"Points agree with the dump's Reputation for {self.points_match:,} of "
                f"{self.members:,} members with posts ({exact:.0f}%); allowing for the +100 "
                f"association bonus, {self.points_match_with_bonus:,} ({bonus:.0f}%)."
            )
        for name, (both, dump_only, kudos_only) in self.badge_agreement.items():
            out.append(f"  {name}: {both} holders on both sides, {dump_only} only in the dump, "
                       f"{kudos_only} only in Kudos")  # fmt: skip
        return out


# ---------------------------------------------------------------------------------------------
# The import


class _Importer:
    def __init__(self, directory: Path, rules: Rules, strict: bool, progress):
        self.dir = directory
        self.source = directory.name
        self.slug = re.sub(r"[^a-z0-9]+", "-", self.source.lower()).strip("-") or "dump"
        self.rules = rules
        self.strict = strict
        self.progress = progress or (lambda file, count: None)
        self.summary = Summary(self.source)
        self.maps: dict[str, dict[int, int]] = {}
        self.placeholder_id: int | None = None
        self.community_wiki: dict[int, datetime] = {}
        self.accepted: dict[int, int] = {}  # local question id -> local accepted answer id
        self.reputation: dict[int, int] = {}

    # Id maps

    def _load_map(self, kind: str) -> dict[int, int]:
        if kind not in self.maps:
            self.maps[kind] = dict(
                db.session.execute(
                    select(ImportedRow.original_id, ImportedRow.local_id).where(
                        ImportedRow.source == self.source, ImportedRow.kind == kind
                    )
                ).all()
            )
        return self.maps[kind]

    def _remember(self, kind: str, pairs: list[tuple[int, int]]) -> None:
        if pairs:
            db.session.execute(
                ImportedRow.__table__.insert(),
                [
                    {"source": self.source, "kind": kind, "original_id": o, "local_id": loc}
                    for o, loc in pairs
                ],
            )
            self._load_map(kind).update(pairs)

    def skip(self, file: str, row: dict, reason: str) -> None:
        if self.strict:
            raise ImportFailed(f"{file}: row Id={row.get('Id')}: {reason} (--strict stops here).")
        self.summary.skip(file, row.get("Id"), reason)

    def _rows(self, name: str) -> Iterator[dict[str, str]]:
        for count, row in enumerate(rows(self.dir / name), start=1):
            self.summary.read[name] += 1
            if count % 1000 == 0:
                self.progress(name, 1000)
            yield row
        self.progress(name, self.summary.read[name] % 1000)

    # Steps

    def users(self) -> None:
        known = self._load_map("user")
        new: list[tuple[int, User]] = []
        for row in self._rows("Users.xml"):
            original = _int(row, "Id", "Users.xml")
            reputation = _int(row, "Reputation", "Users.xml") or 1
            if original is None:
                self.skip("Users.xml", row, "a user without an Id")
                continue
            self.reputation[original] = reputation
            if original in known:
                self.summary.existing["users"] += 1
                continue
            created = _time(row, "CreationDate", "Users.xml") or utcnow()
            user = User(
                # .invalid never resolves (RFC 2606): these addresses can never receive mail.
                email=f"user{original}@{self.slug}.import.invalid",
                display_name=(row.get("DisplayName") or f"user{original}")[:80],
                password_hash=None,
                role="member",
                created_at=created,
                # The Community bot owns wikis and stray votes; it ranks nowhere.
                suspended_at=created if original == COMMUNITY_USER else None,
            )
            new.append((original, user))
        db.session.add_all([user for _, user in new])
        db.session.flush()
        self._remember("user", [(original, user.id) for original, user in new])
        self.summary.added["users"] += len(new)

    def _placeholder(self) -> int:
        """The account that owns posts and comments whose author the dump no longer has."""
        if self.placeholder_id is None:
            known = self._load_map("user")
            if 0 in known:
                self.placeholder_id = known[0]
            else:
                user = User(
                    email=f"former-members@{self.slug}.import.invalid",
                    display_name="Former member",
                    role="member",
                    created_at=utcnow(),
                    suspended_at=utcnow(),
                )
                db.session.add(user)
                db.session.flush()
                self._remember("user", [(0, user.id)])
                self.placeholder_id = user.id
        return self.placeholder_id

    def _author(self, row: dict, name: str = "OwnerUserId", file: str = "Posts.xml") -> int:
        original = _int(row, name, file)
        users = self._load_map("user")
        return users[original] if original in users else self._placeholder()

    def tags(self) -> None:
        known = {tag.name: tag for tag in db.session.scalars(select(Tag))}
        for row in self._rows("Tags.xml"):
            names = split_tags(f"<{row.get('TagName', '')}>")
            if not names:
                self.skip("Tags.xml", row, "a tag without a name")
                continue
            if names[0] in known:
                self.summary.existing["tags"] += 1
                continue
            tag = Tag(name=names[0], question_count=0)
            db.session.add(tag)
            known[names[0]] = tag
            self.summary.added["tags"] += 1
        db.session.flush()
        self.tag_by_name = known

    def _tag(self, name: str) -> Tag:
        tag = self.tag_by_name.get(name)
        if tag is None:  # a tag in a post's list that Tags.xml did not have
            tag = Tag(name=name, question_count=0)
            db.session.add(tag)
            self.tag_by_name[name] = tag
            self.summary.added["tags"] += 1
        return tag

    def posts(self) -> None:
        """Questions in one pass, then answers (an answer needs its question's local id)."""
        questions = self._load_map("question")
        new_questions: list[tuple[int, Question, int | None]] = []
        for row in self._rows("Posts.xml"):
            kind = _int(row, "PostTypeId", "Posts.xml")
            original = _int(row, "Id", "Posts.xml")
            if kind not in POST_TYPES:
                reason = OTHER_POST_TYPES.get(kind)
                if reason is None:
                    self.skip("Posts.xml", row, f"unknown post type {kind}")
                else:
                    self.summary.skipped[f"Posts.xml: {reason} (not a question or answer)"] += 1
                continue
            if kind != 1:
                continue
            cw = _time(row, "CommunityOwnedDate", "Posts.xml")
            if original in questions:
                self.summary.existing["questions"] += 1
                if cw:
                    self.community_wiki[questions[original]] = cw
                continue
            created = _time(row, "CreationDate", "Posts.xml") or utcnow()
            title = " ".join((row.get("Title") or f"Question {original}").split())[:TITLE_MAX]
            question = Question(
                author_id=self._author(row),
                title=title,
                body=to_markdown(row.get("Body")),
                created_at=created,
                last_activity_at=_time(row, "LastActivityDate", "Posts.xml") or created,
                answer_count=0,
                view_count=_int(row, "ViewCount", "Posts.xml") or 0,
                score=0,
            )
            names = split_tags(row.get("Tags"))[:TAGS_MAX]
            question.tags = [self._tag(name) for name in dict.fromkeys(names)]
            for tag in question.tags:
                tag.question_count = (tag.question_count or 0) + 1
            new_questions.append((original, question, cw))
        db.session.add_all([question for _, question, _ in new_questions])
        db.session.flush()
        self._remember("question", [(original, q.id) for original, q, _ in new_questions])
        for _, question, cw in new_questions:
            if cw:
                self.community_wiki[question.id] = cw
            self._revision(question, question.author_id, question.created_at, "asked")
        self.summary.added["questions"] += len(new_questions)
        self._answers()

    def _answers(self) -> None:
        questions, answers = self._load_map("question"), self._load_map("answer")
        accepted_original: dict[int, int] = {}
        new: list[tuple[int, Answer, dict]] = []
        for row in rows(self.dir / "Posts.xml"):
            kind = _int(row, "PostTypeId", "Posts.xml")
            original = _int(row, "Id", "Posts.xml")
            if kind == 1:
                accepted = _int(row, "AcceptedAnswerId", "Posts.xml")
                if accepted is not None and original in questions:
                    accepted_original[questions[original]] = accepted
                continue
            if kind != 2:
                continue
            if original in answers:
                self.summary.existing["answers"] += 1
                cw = _time(row, "CommunityOwnedDate", "Posts.xml")
                if cw:
                    self.community_wiki[answers[original]] = cw
                continue
            parent = _int(row, "ParentId", "Posts.xml")
            if parent not in questions:
                self.skip("Posts.xml", row, "an answer to a question that is not in the dump")
                continue
            created = _time(row, "CreationDate", "Posts.xml") or utcnow()
            answer = Answer(
                author_id=self._author(row),
                parent_id=questions[parent],
                body=to_markdown(row.get("Body")),
                created_at=created,
                last_activity_at=_time(row, "LastActivityDate", "Posts.xml") or created,
                score=0,
            )
            new.append((original, answer, row))
        db.session.add_all([answer for _, answer, _ in new])
        db.session.flush()
        self._remember("answer", [(original, answer.id) for original, answer, _ in new])
        for _, answer, row in new:
            cw = _time(row, "CommunityOwnedDate", "Posts.xml")
            if cw:
                self.community_wiki[answer.id] = cw
            self._revision(answer, answer.author_id, answer.created_at, "answered")
        self.summary.added["answers"] += len(new)
        # Answer counts and accepted answers, recomputed for every imported question.
        counts = dict(
            db.session.execute(
                select(Post.parent_id, func.count())
                .where(Post.kind == "answer", Post.parent_id.in_(list(questions.values())))
                .group_by(Post.parent_id)
            ).all()
        )
        answers = self._load_map("answer")
        for question_id, original_answer in accepted_original.items():
            if original_answer in answers:
                self.accepted[question_id] = answers[original_answer]
        # One executemany on the table: an ORM update would re-check every object in the session.
        post = Post.__table__
        if questions:
            db.session.execute(
                update(post)
                .where(post.c.id == bindparam("question"))
                .values(
                    answer_count=bindparam("answers"), accepted_answer_id=bindparam("accepted")
                ),
                [
                    {
                        "question": question_id,
                        "answers": counts.get(question_id, 0),
                        "accepted": self.accepted.get(question_id),
                    }
                    for question_id in questions.values()
                ],
            )

    def _revision(self, post: Post, editor_id: int, at: datetime, note: str) -> None:
        db.session.add(
            PostRevision(
                post_id=post.id,
                number=1,
                editor_id=editor_id,
                title=post.title,
                body=post.body,
                tags=" ".join(tag.name for tag in post.tags) if post.kind == "question" else None,
                comment=note,
                created_at=at,
            )
        )

    def _post_id(self, original: int | None) -> int | None:
        questions, answers = self._load_map("question"), self._load_map("answer")
        if original in questions:
            return questions[original]
        return answers.get(original)

    def comments(self) -> None:
        known = self._load_map("comment")
        new: list[tuple[int, Comment]] = []
        for row in self._rows("Comments.xml"):
            original = _int(row, "Id", "Comments.xml")
            if original in known:
                self.summary.existing["comments"] += 1
                continue
            post_id = self._post_id(_int(row, "PostId", "Comments.xml"))
            if post_id is None:
                self.skip("Comments.xml", row, "a comment on a post that is not in the dump")
                continue
            text = (row.get("Text") or "").strip()
            if not text:
                self.skip("Comments.xml", row, "an empty comment")
                continue
            comment = Comment(
                post_id=post_id,
                author_id=self._author(row, "UserId", "Comments.xml"),
                body=text,
                created_at=_time(row, "CreationDate", "Comments.xml") or utcnow(),
            )
            new.append((original, comment))
        db.session.add_all([comment for _, comment in new])
        db.session.flush()
        self._remember("comment", [(original, comment.id) for original, comment in new])
        self.summary.added["comments"] += len(new)

    def links(self) -> None:
        known = self._load_map("link")
        new: list[tuple[int, PostLink]] = []
        for row in self._rows("PostLinks.xml"):
            original = _int(row, "Id", "PostLinks.xml")
            if original in known:
                self.summary.existing["links"] += 1
                continue
            kind = LINK_TYPES.get(_int(row, "LinkTypeId", "PostLinks.xml"))
            if kind is None:
                self.skip("PostLinks.xml", row, f"unknown link type {row.get('LinkTypeId')}")
                continue
            post_id = self._post_id(_int(row, "PostId", "PostLinks.xml"))
            related = self._post_id(_int(row, "RelatedPostId", "PostLinks.xml"))
            if post_id is None or related is None or post_id == related:
                self.skip("PostLinks.xml", row, "a link to a post that is not in the dump")
                continue
            link = PostLink(
                post_id=post_id,
                related_id=related,
                kind=kind,
                created_at=_time(row, "CreationDate", "PostLinks.xml") or utcnow(),
            )
            new.append((original, link))
        db.session.add_all([link for _, link in new])
        db.session.flush()
        self._remember("link", [(original, link.id) for original, link in new])
        self.summary.added["links"] += len(new)

    def history(self) -> None:
        """Title and body edits from PostHistory.xml, as revisions after the original."""
        if not (self.dir / "PostHistory.xml").exists():
            return
        known = self._load_map("revision")
        numbers = dict(
            db.session.execute(
                select(PostRevision.post_id, func.max(PostRevision.number)).group_by(
                    PostRevision.post_id
                )
            ).all()
        )
        current: dict[int, dict] = {}
        new: list[tuple[int, PostRevision]] = []
        for row in self._rows("PostHistory.xml"):
            what = HISTORY_EDITS.get(_int(row, "PostHistoryTypeId", "PostHistory.xml"))
            if what is None:
                continue
            original = _int(row, "Id", "PostHistory.xml")
            if original in known:
                self.summary.existing["revisions"] += 1
                continue
            post_id = self._post_id(_int(row, "PostId", "PostHistory.xml"))
            if post_id is None:
                self.summary.skipped["PostHistory.xml: an edit of a post not in the dump"] += 1
                continue
            state = current.setdefault(post_id, {})
            value = row.get("Text") or ""
            state[what] = value[:TITLE_MAX] if what == "title" else value
            numbers[post_id] = numbers.get(post_id, 1) + 1
            post = db.session.get(Post, post_id)
            revision = PostRevision(
                post_id=post_id,
                number=numbers[post_id],
                editor_id=self._author(row, "UserId", "PostHistory.xml"),
                title=state.get("title", post.title),
                body=state.get("body", post.body),
                comment=(row.get("Comment") or f"{what} edited")[:200],
                created_at=_time(row, "CreationDate", "PostHistory.xml") or utcnow(),
            )
            new.append((original, revision))
        db.session.add_all([revision for _, revision in new])
        db.session.flush()
        self._remember("revision", [(original, revision.id) for original, revision in new])
        self.summary.added["revisions"] += len(new)

    def votes(self) -> None:
        """Replay up votes, down votes and accepts in date order through the engine."""
        events: list[tuple[datetime, int, int, int, int]] = []
        for row in self._rows("Votes.xml"):
            kind = _int(row, "VoteTypeId", "Votes.xml")
            original = _int(row, "Id", "Votes.xml")
            if kind not in VOTE_TYPES:
                label = OTHER_VOTE_TYPES.get(kind, f"vote type {kind}")
                self.summary.skipped[f"Votes.xml: {label} (earns no points in Kudos)"] += 1
                continue
            post_id = self._post_id(_int(row, "PostId", "Votes.xml"))
            if post_id is None:
                self.skip("Votes.xml", row, "a vote on a post that is not in the dump (deleted)")
                continue
            at = _time(row, "CreationDate", "Votes.xml") or utcnow()
            # Accepts after the votes of their day: the dump keeps no time of day for votes.
            events.append((at, 1 if kind == 1 else 0, original, kind, post_id))
        events.sort()
        # Plain rows, and an empty session, so that each autoflush of the engine is small.
        db.session.flush()
        db.session.expunge_all()
        self.posts = {
            row.id: row
            for row in db.session.execute(
                select(Post.id, Post.kind, Post.author_id, Post.parent_id).where(
                    Post.id.in_({event[4] for event in events})
                )
            )
        }
        self.asker = dict(
            db.session.execute(
                select(Post.id, Post.author_id).where(Post.id.in_(list(self.accepted)))
            ).all()
        )
        prefix = self._key("")
        self.recorded = set(
            db.session.scalars(select(PointEvent.event_key).where(
                PointEvent.event_key.startswith(prefix, autoescape=True)))
        )  # fmt: skip
        self.scores: Counter = Counter()
        for at, _, original, kind, post_id in events:
            post = self.posts[post_id]
            if kind == 1:
                self._accept(original, post, at)
            else:
                self._vote(original, kind, post, at)
        post = Post.__table__
        if self.scores:
            db.session.execute(
                update(post)
                .where(post.c.id == bindparam("post"))
                .values(score=post.c.score + bindparam("delta")),
                [{"post": post_id, "delta": delta} for post_id, delta in self.scores.items()],
            )

    def _key(self, *parts) -> str:
        return ":".join(["se", self.slug[:60], *map(str, parts)])

    def _record(self, action: str, user_id: int, key: str, post, at: datetime, **extra):
        if key in self.recorded:
            return False
        self.recorded.add(key)
        question_id = post.parent_id or post.id
        engine.record(
            action,
            user_id,
            key=key,
            source_type="post",
            source_id=post.id,
            question_id=question_id,
            points=self.rules.points(action, at.date()),
            at=at,
            **extra,
        )
        return True

    def _vote(self, original: int, kind: int, post, at: datetime) -> None:
        value = 1 if kind == 2 else -1
        action = f"{post.kind}_{'upvoted' if value > 0 else 'downvoted'}"
        wiki = self.community_wiki.get(post.id)
        unpaid = "community wiki: no points" if wiki is not None and at >= wiki else None
        if self._record(action, post.author_id, self._key("vote", original), post, at,
                        unpaid=unpaid):  # fmt: skip
            self.scores[post.id] += value
            self.summary.added["votes"] += 1
        else:
            self.summary.existing["votes"] += 1

    def _accept(self, original: int, answer, at: datetime) -> None:
        if answer.kind != "answer" or self.accepted.get(answer.parent_id) != answer.id:
            self.summary.skipped["Votes.xml: an accept later withdrawn or moved"] += 1
            return
        asker = self.asker[answer.parent_id]
        if asker == answer.author_id:
            self.summary.skipped["Votes.xml: a self-accept (earns no points)"] += 1
            return
        if self._record("answer_accepted", answer.author_id,
                        self._key("accept", original, "answerer"), answer, at):  # fmt: skip
            self._record("accepted_an_answer", asker,
                         self._key("accept", original, "asker"), answer, at)  # fmt: skip
            self.summary.added["accepts"] += 1
        else:
            self.summary.existing["accepts"] += 1

    def carry_over(self) -> None:
        """One "imported balance" entry per member, so their total equals the dump's."""
        users = self._load_map("user")
        totals = dict(db.session.execute(select(UserScore.user_id, UserScore.total)).all())
        at = utcnow()
        for original, reputation in self.reputation.items():
            user_id = users.get(original)
            if user_id is None or original == COMMUNITY_USER:
                continue
            key = self._key("balance", original)
            if db.session.scalar(select(func.count()).where(PointEvent.event_key == key)):
                self.summary.existing["balances"] += 1
                continue
            delta = reputation - totals.get(user_id, engine.FLOOR)
            if delta:
                engine.record("imported_balance", user_id, key=key, source_type="import",
                              points=delta, at=at)  # fmt: skip
                self.summary.added["balances"] += 1

    def agreement(self) -> None:
        """How many members with posts have the dump's Reputation as their Kudos total."""
        users = self._load_map("user")
        with_posts = set(db.session.scalars(select(Post.author_id).distinct()))
        totals = dict(db.session.execute(select(UserScore.user_id, UserScore.total)).all())
        for original, reputation in self.reputation.items():
            user_id = users.get(original)
            if user_id is None or user_id not in with_posts or original == COMMUNITY_USER:
                continue
            total = totals.get(user_id, engine.FLOOR)
            self.summary.members += 1
            self.summary.points_match += total == reputation
            self.summary.points_match_with_bonus += total in (reputation, reputation - 100)


def import_dump(
    directory: str | Path,
    *,
    carry_over: bool = False,
    rules: Rules | None = None,
    strict: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> Summary:
    """Import a Stack Exchange dump folder in one transaction and return what happened."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ImportFailed(f"{directory}: there is no such folder.")
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if missing:
        raise ImportFailed(f"{directory}: the dump lacks {', '.join(missing)}.")
    started = time.perf_counter()
    importer = _Importer(directory, rules or Rules(), strict, progress)
    try:
        importer.users()
        importer.tags()
        importer.posts()
        importer.comments()
        importer.links()
        importer.history()
        importer.votes()
        if carry_over:
            importer.carry_over()
        db.session.flush()
        search.reindex_all()
        tag_scores.rebuild()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        summary = importer.summary
        # The process's peak resident memory (kilobytes on Linux): tracing every allocation
        # instead would slow the import several times over.
        summary.peak_memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    importer.agreement()
    summary.seconds = time.perf_counter() - started
    log.info("Imported %s: %s", importer.source, dict(summary.added))
    return summary


def badge_agreement(directory: str | Path, summary: Summary) -> None:
    """Compare the holders of badges both sides know (by name) after Kudos's own backfill."""
    directory = Path(directory)
    path = directory / "Badges.xml"
    if not path.is_file():
        return
    users = dict(
        db.session.execute(
            select(ImportedRow.original_id, ImportedRow.local_id).where(
                ImportedRow.source == directory.name, ImportedRow.kind == "user"
            )
        ).all()
    )
    dump: dict[str, set[int]] = defaultdict(set)
    for row in rows(path):
        name = row.get("Name")
        original = _int(row, "UserId", "Badges.xml")
        if name in BADGE_NAMES and original in users:
            dump[name].add(users[original])
    kudos: dict[str, set[int]] = defaultdict(set)
    for name, user_id in db.session.execute(
        select(Badge.name, BadgeAward.user_id)
        .join(BadgeAward, BadgeAward.badge_id == Badge.id)
        .where(Badge.name.in_(BADGE_NAMES), BadgeAward.user_id.in_(set(users.values())))
    ):
        kudos[name].add(user_id)
    for name in BADGE_NAMES:
        if dump[name] or kudos[name]:
            summary.badge_agreement[name] = (
                len(dump[name] & kudos[name]),
                len(dump[name] - kudos[name]),
                len(kudos[name] - dump[name]),
            )
