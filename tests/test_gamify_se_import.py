"""Importing a Stack Exchange dump: the real conlang.meta dump, and small hand-made ones."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gamify import badges, ledger, se_import, tag_scores
from gamify.models import (
    AnswerTagScore,
    Badge,
    BadgeAward,
    Comment,
    ImportedRow,
    PointEvent,
    Post,
    PostLink,
    UserScore,
)
from kudos.extensions import db
from kudos.models import User

DUMPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "stackexchange"
CONLANG = DUMPS / "conlang.meta.stackexchange.com"

pytestmark = pytest.mark.skipif(not CONLANG.is_dir(), reason=f"{CONLANG} is not here")


def _rows(path: Path) -> list[dict]:
    return [row.attrib for row in ET.parse(path).getroot()]  # noqa: S314


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _local_users() -> dict[int, int]:
    return dict(
        db.session.execute(
            select(ImportedRow.original_id, ImportedRow.local_id).where(ImportedRow.kind == "user")
        ).all()
    )


def by_hand(dump: Path, original_user: int) -> tuple[int, bool]:
    """A member's points from their posts' votes by the rules, and whether that is simple:
    no UTC day above the 200 cap and no fall to the floor (so a plain sum is the answer)."""
    posts = {row["Id"]: row for row in _rows(dump / "Posts.xml") if row["PostTypeId"] in "12"}
    accepted = {row["AcceptedAnswerId"] for row in posts.values() if row.get("AcceptedAnswerId")}
    by_day: dict[str, int] = defaultdict(int)
    running, lowest, total = 1, 1, 1
    for vote in sorted(_rows(dump / "Votes.xml"), key=lambda v: (v["CreationDate"], v["Id"])):
        post = posts.get(vote["PostId"])
        wiki = (post or {}).get("CommunityOwnedDate")
        if post is None or (wiki and vote["CreationDate"] >= wiki):
            continue  # deleted, or community wiki by then: no points on Stack Exchange
        kind, day = vote["VoteTypeId"], vote["CreationDate"][:10]
        gain = 0
        if kind == "2" and post.get("OwnerUserId") == str(original_user):
            question = post["PostTypeId"] == "1"
            gain = (5 if day < "2019-11-13" else 10) if question else 10
            by_day[day] += gain
        elif kind == "3" and post.get("OwnerUserId") == str(original_user):
            gain = -2
        elif kind == "1" and vote["PostId"] in accepted and post["PostTypeId"] == "2":
            asker = posts[post["ParentId"]].get("OwnerUserId")
            if asker != post.get("OwnerUserId"):
                if post.get("OwnerUserId") == str(original_user):
                    gain = 15
                elif asker == str(original_user):
                    gain = 2
        running += gain
        lowest = min(lowest, running)
        total += gain
    simple = all(points <= 200 for points in by_day.values()) and lowest >= 1
    return total, simple


def test_the_conlang_dump_imports_counts_match_and_a_second_import_adds_nothing(app):
    posts = _rows(CONLANG / "Posts.xml")
    types = Counter(row["PostTypeId"] for row in posts)
    with app.app_context():
        summary = se_import.import_dump(CONLANG, rules=se_import.Rules.load("se-history"))
        assert summary.added["users"] == len(_rows(CONLANG / "Users.xml"))
        assert _count(Post) == types["1"] + types["2"] == 169
        assert summary.added["questions"] == types["1"]
        assert _count(Comment) == len(_rows(CONLANG / "Comments.xml"))
        links = _rows(CONLANG / "PostLinks.xml")
        assert _count(PostLink) == summary.added["links"] <= len(links)
        assert summary.skipped["Posts.xml: tag wiki (not a question or answer)"] == types["5"]
        ledger_rows = _count(PointEvent)
        assert ledger_rows > 1000
        assert ledger.verify() == []
        # The answer scores per tag that tag badges read agree with the imported posts.
        assert _count(AnswerTagScore) > 0
        assert tag_scores.drift() == []
        # Totals by hand, for the members whose history a plain sum describes.
        users = _local_users()
        owners = Counter(row.get("OwnerUserId") for row in posts if row.get("OwnerUserId"))
        checked = 0
        for original, _ in owners.most_common(15):
            expected, simple = by_hand(CONLANG, int(original))
            if simple:
                total = db.session.scalar(
                    select(UserScore.total).where(UserScore.user_id == users[int(original)])
                )
                assert total == expected, f"user {original}"
                checked += 1
        assert checked >= 5

        again = se_import.import_dump(CONLANG, rules=se_import.Rules.load("se-history"))
        assert sum(again.added.values()) == 0
        assert again.existing["users"] == summary.added["users"]
        assert again.existing["votes"] == summary.added["votes"]
        assert _count(Post) == 169 and _count(PointEvent) == ledger_rows
        assert ledger.verify() == []


def test_badges_come_from_kudoss_own_engine_and_agree_with_the_dump(app):
    with app.app_context():
        summary = se_import.import_dump(CONLANG, rules=se_import.Rules.load("se-history"))
        assert _count(BadgeAward) == 0  # nothing is copied from Badges.xml
        badges.backfill()
        se_import.badge_agreement(CONLANG, summary)
        for name in ("Student", "Teacher", "Scholar", "Nice Question", "Nice Answer"):
            both, dump_only, _ = summary.badge_agreement[name]
            assert both >= 0.8 * (both + dump_only), name
        users = _local_users()
        teacher = db.session.scalar(select(Badge.id).where(Badge.name == "Teacher"))
        holders = set(
            db.session.scalars(select(BadgeAward.user_id).where(BadgeAward.badge_id == teacher))
        )
        dump_teachers = {
            users[int(row["UserId"])]
            for row in _rows(CONLANG / "Badges.xml")
            if row["Name"] == "Teacher"
        }
        assert dump_teachers <= holders


def test_carry_over_makes_totals_equal_the_dumps_reputation(app):
    reputation = {int(row["Id"]): int(row["Reputation"]) for row in _rows(CONLANG / "Users.xml")}
    with app.app_context():
        summary = se_import.import_dump(CONLANG, carry_over=True)
        assert summary.added["balances"] > 0
        users = _local_users()
        totals = dict(db.session.execute(select(UserScore.user_id, UserScore.total)).all())
        for original, rep in reputation.items():
            if original != -1:
                assert totals.get(users[original], 1) == rep, original
        assert ledger.verify() == []
        note = db.session.scalar(
            select(func.count()).where(PointEvent.action == "imported_balance")
        )
        assert note == summary.added["balances"]


# Small hand-made dumps --------------------------------------------------------------------------


def write_dump(folder: Path, **files: str) -> Path:
    """Write a dump whose files hold the given <row> lines (the others empty)."""
    folder.mkdir(parents=True, exist_ok=True)
    roots = {"Users": "users", "Posts": "posts", "Tags": "tags", "Comments": "comments",
             "Votes": "votes", "PostLinks": "postlinks"}  # fmt: skip
    for name, root in roots.items():
        body = files.get(name, "")
        (folder / f"{name}.xml").write_text(
            f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>\n{body}\n</{root}>\n',
            encoding="utf-8",
        )
    return folder


USERS = """
<row Id="1" Reputation="13" CreationDate="2018-01-01T10:00:00.000" DisplayName="Asha" />
<row Id="2" Reputation="36" CreationDate="2018-01-01T11:00:00.000" DisplayName="Ben" />
"""
POSTS = """
<row Id="10" PostTypeId="1" AcceptedAnswerId="11" CreationDate="2018-02-01T10:00:00.000"
  Body="&lt;p&gt;How do I &lt;b&gt;rotate&lt;/b&gt;?&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
  OwnerUserId="1" Title="How do I rotate keys safely?" Tags="&lt;iam&gt;&lt;aws&gt;" />
<row Id="11" PostTypeId="2" ParentId="10" CreationDate="2018-02-01T12:00:00.000"
  Body="&lt;p&gt;Use two keys.&lt;/p&gt;" OwnerUserId="2" />
"""
VOTES = """
<row Id="100" PostId="10" VoteTypeId="2" CreationDate="2018-02-02T00:00:00.000" />
<row Id="101" PostId="11" VoteTypeId="2" CreationDate="2018-02-02T00:00:00.000" />
<row Id="102" PostId="11" VoteTypeId="1" CreationDate="2018-02-03T00:00:00.000" />
<row Id="103" PostId="11" VoteTypeId="2" CreationDate="2018-02-04T00:00:00.000" />
"""


def _totals() -> dict[str, int]:
    return dict(
        db.session.execute(
            select(User.display_name, UserScore.total).join(UserScore, UserScore.user_id == User.id)
        ).all()
    )


def test_a_small_dump_scores_by_the_rules_and_renders_safely(app, client, tmp_path):
    dump = write_dump(tmp_path / "tiny.example.com", Users=USERS, Posts=POSTS, Votes=VOTES)
    with app.app_context():
        se_import.import_dump(dump)
        # Asha: 1 + question upvote 10 + accepting 2; Ben: 1 + 2 answer upvotes 20 + 15.
        assert _totals() == {"Asha": 13, "Ben": 36}
        question = db.session.scalar(select(Post).where(Post.kind == "question"))
        assert (question.score, question.accepted_answer_id is not None) == (1, True)
        assert "**rotate**" in question.body
        emails = db.session.scalars(select(User.email)).all()
        assert all(email.endswith("@tiny-example-com.import.invalid") for email in emails)
        assert db.session.scalar(select(User.password_hash)) is None
    page = client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert "<strong>rotate</strong>" in page and "<script>alert" not in page


def test_rule_values_of_the_old_site_apply_before_their_date(app, tmp_path):
    dump = write_dump(tmp_path / "old.example.com", Users=USERS, Posts=POSTS, Votes=VOTES)
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"question_upvoted": [{"until": "2019-11-13", "points": 5}]}))
    with app.app_context():
        se_import.import_dump(dump, rules=se_import.Rules.load(str(rules)))
        assert _totals()["Asha"] == 8  # +5 for the 2018 question upvote, not +10
        event = db.session.scalar(select(PointEvent).where(PointEvent.action == "question_upvoted"))
        assert (event.requested, event.applied) == (5, 5)
        history = se_import.Rules.load("se-history")
        assert history.points("question_upvoted", date(2019, 11, 12)) == 5
        assert history.points("question_upvoted", date(2019, 11, 13)) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "expected an object of action names"),
        ('{"teleported": []}', "there is no points rule “teleported”"),
        ('{"question_upvoted": [{"until": "soon"}]}', "entries look like"),
        ("{not json", "not JSON"),
    ],
)
def test_a_bad_rules_file_is_refused_with_the_reason(app, tmp_path, content, message):
    rules = tmp_path / "rules.json"
    rules.write_text(content)
    with app.app_context(), pytest.raises(se_import.ImportFailed, match=message):
        se_import.Rules.load(str(rules))


def test_a_folder_without_the_required_files_is_refused(app, runner, tmp_path):
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / "Users.xml").write_text("<users></users>")
    result = runner.invoke(args=["import", "stackexchange", str(folder)])
    assert result.exit_code == 1
    assert "lacks Posts.xml, Tags.xml, Comments.xml, Votes.xml, PostLinks.xml" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert _count(User) == 0


def test_malformed_xml_names_the_file_and_changes_nothing(app, runner, tmp_path):
    dump = write_dump(tmp_path / "cut.example.com", Users=USERS, Posts=POSTS, Votes=VOTES)
    votes = dump / "Votes.xml"
    votes.write_text(votes.read_text()[:-40])  # cut off mid-row
    result = runner.invoke(args=["import", "stackexchange", str(dump)])
    assert result.exit_code == 1
    assert "Votes.xml: the XML is malformed or cut off at line" in result.output
    assert "Nothing was imported." in result.output
    with app.app_context():
        assert _count(User) == 0 and _count(Post) == 0 and _count(PointEvent) == 0


def test_unusable_rows_are_skipped_with_reasons_or_stop_a_strict_import(app, runner, tmp_path):
    odd = VOTES + '<row Id="104" PostId="999" VoteTypeId="2" CreationDate="2018-02-05" />'
    posts = POSTS + '<row Id="12" PostTypeId="42" CreationDate="2018-02-01T12:00:00" Body="" />'
    dump = write_dump(tmp_path / "odd.example.com", Users=USERS, Posts=posts, Votes=odd)
    result = runner.invoke(args=["import", "stackexchange", "--strict", str(dump)])
    assert result.exit_code == 1
    assert "Posts.xml: row Id=12: unknown post type 42" in result.output
    with app.app_context():
        assert _count(User) == 0
    result = runner.invoke(args=["import", "stackexchange", str(dump)])
    assert result.exit_code == 0, result.output
    assert "Posts.xml: unknown post type 42 (e.g. Id=12)" in result.output
    assert "Votes.xml: a vote on a post that is not in the dump (deleted) (e.g. Id=104)" in (
        result.output
    )
    assert "Points agree with the dump's Reputation for 2 of 2 members" in result.output
    again = runner.invoke(args=["import", "stackexchange", str(dump)])
    assert "users: 0 added, 2 already there" in again.output


def test_duplicate_links_show_on_the_question_page(app, client, tmp_path):
    posts = POSTS + (
        '<row Id="20" PostTypeId="1" CreationDate="2018-03-01T10:00:00.000" OwnerUserId="2"'
        ' Title="Rotating access keys without downtime?" Body="&lt;p&gt;Same?&lt;/p&gt;"'
        ' Tags="&lt;iam&gt;" />'
    )
    links = (
        '<row Id="5" CreationDate="2018-03-02T00:00:00" PostId="20" RelatedPostId="10"'
        ' LinkTypeId="3" />'
    )
    dump = write_dump(tmp_path / "dup.example.com", Users=USERS, Posts=posts, PostLinks=links)
    with app.app_context():
        se_import.import_dump(dump)
        duplicate = db.session.scalar(
            select(Post.id).where(Post.title == "Rotating access keys without downtime?")
        )
        original = db.session.scalar(select(Post.id).where(Post.title.like("How do I rotate%")))
    page = client.get(f"/questions/{duplicate}").get_data(as_text=True)
    assert "This question has an answer already" in page
    assert f'href="/questions/{original}">How do I rotate keys safely?</a>' in page
