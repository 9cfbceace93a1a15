"""The points section of the profile: total, rank, chart and the ledger explained."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from gamify import engine
from gamify.models import Question
from kudos.extensions import db
from kudos.models import utcnow

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")
KEYS = "How do I rotate IAM keys?"
SECRET = "Secret plans for the outage"


def text_of(response) -> str:
    """Return the page's visible text, tags removed and whitespace collapsed."""
    text = " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())
    return re.sub(r" ([.,)])", r"\1", text)


def ledger_lines(response) -> list[str]:
    """Return the text of each line of the explained ledger, in page order."""
    page = response.get_data(as_text=True)
    items = re.findall(r'<span class="points-line">(.*?)</span>', page, flags=re.S)
    return [re.sub(r" ([.,)])", r"\1", " ".join(re.sub(r"<[^>]+>", " ", i).split())) for i in items]


def award(user_id, key, at, action="answer_upvoted", **kwargs):
    engine.record(action, user_id, key=key, source_type="test", at=at, **kwargs)
    db.session.commit()


@pytest.fixture
def pat(app, make_user):
    """A member with 25 ledger rows: a capped day, a withdrawn vote, a deleted question."""
    pat = make_user(name="Pat Example", password=None)
    asker = make_user(name="Asker", password=None)
    rival = make_user(name="Rival", password=None)
    with app.app_context():
        keys = Question(author_id=asker, title=KEYS, body="Body.")
        secret = Question(author_id=asker, title=SECRET, body="Body.")
        db.session.add_all([keys, secret])
        db.session.commit()
        today = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
        two_days_ago, yesterday = today - timedelta(days=2), today - timedelta(days=1)
        for number in range(20):
            award(pat, f"cap:{number}", two_days_ago + timedelta(seconds=number))
        award(pat, "cap:20", two_days_ago + timedelta(minutes=30))
        award(pat, "vote:keys", yesterday, question_id=keys.id)
        engine.reverse("vote:keys", reason="vote withdrawn", at=yesterday + timedelta(hours=1))
        award(pat, "vote:secret", yesterday + timedelta(hours=2), question_id=secret.id)
        award(pat, "accept", yesterday + timedelta(hours=3), "answer_accepted", question_id=keys.id)
        secret.deleted_at = utcnow()
        engine.record("suggestion_completed", rival, key="r", source_type="test", points=300)
        db.session.commit()
        return {"user": pat, "keys": keys.id, "secret": secret.id, "rival": rival}


def test_profile_shows_total_and_rank(client, pat):
    response = client.get(f"/users/{pat['user']}")
    assert response.status_code == 200
    text = text_of(response)
    assert "Total 226" in text  # 1 + 200 + 0 + 10 - 10 + 10 + 15
    assert "All-time rank #2 among members" in text
    rival = text_of(client.get(f"/users/{pat['rival']}"))
    assert "All-time rank #1 among members" in rival


def test_the_ledger_is_explained_newest_first(client, pat):
    response = client.get(f"/users/{pat['user']}")
    lines = ledger_lines(response)
    assert len(lines) == 20
    assert lines[:5] == [
        f"+15, answer accepted, on {KEYS}",
        "+10, answer upvoted, on a deleted post",
        f"\u221210, answer upvoted undone (vote withdrawn), on {KEYS}",
        f"+10, answer upvoted, on {KEYS}",
        "+0, answer upvoted (daily cap of 200 reached)",
    ]
    assert lines[5:] == ["+10, answer upvoted"] * 15
    page = response.get_data(as_text=True)
    assert f'href="/questions/{pat["keys"]}">{KEYS}</a>' in page
    assert SECRET not in page
    assert "Page 1 of 2" in text_of(response)


def test_the_second_page_holds_the_oldest_lines(client, pat):
    response = client.get(f"/users/{pat['user']}?page=2")
    assert ledger_lines(response) == ["+10, answer upvoted"] * 5
    assert "Page 2 of 2" in text_of(response)
    assert "There are no more entries" in text_of(client.get(f"/users/{pat['user']}?page=9"))


def test_members_do_not_see_a_deleted_questions_title_but_staff_do(client, auth, pat):
    auth.login_as("member")
    assert SECRET not in client.get(f"/users/{pat['user']}").get_data(as_text=True)
    auth.logout()
    auth.login_as("lead")
    lines = ledger_lines(client.get(f"/users/{pat['user']}"))
    assert lines[1] == f"+10, answer upvoted, on {SECRET} (deleted)"


def test_the_chart_is_an_inline_svg(client, pat):
    response = client.get(f"/users/{pat['user']}")
    page = response.get_data(as_text=True)
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "<polyline" in svg
    assert "from 1 to 226" in svg
    assert re.search(r">\s*226\s*</text>", svg)
    assert ' style="' not in page
    assert not INLINE_SCRIPT.search(page)


def test_a_user_without_points(client, make_user):
    user = make_user(name="Newbie", password=None)
    response = client.get(f"/users/{user}")
    text = text_of(response)
    assert "Total 1" in text
    assert "All-time rank not ranked yet" in text
    assert "No points yet." in text
    assert "<svg" not in response.get_data(as_text=True)


def test_staff_profiles_say_staff(client, app, make_user):
    lead = make_user(name="Lead", role="lead", password=None)
    with app.app_context():
        award(lead, "l", utcnow())
    text = text_of(client.get(f"/users/{lead}"))
    assert "Total 11" in text
    assert "All-time rank staff (ranked on the staff board)" in text
