"""Announcements: leads and admins write, edit and delete them; everyone reads them on `/`."""

from __future__ import annotations

import random
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import event, func, select

from feedback import announcements
from feedback.announcement_demo import ANNOUNCEMENTS, make_announcements
from feedback.announcements import Announcement, AnnouncementError
from kudos.demo import DemoContext
from kudos.extensions import db
from kudos.models import User, utcnow


@pytest.fixture
def make_announcement(app, make_user):
    """Post an announcement through the service as a lead and return its id."""

    def make(
        title="Maintenance on Saturday", body="The clusters restart.", author_id=None, at=None
    ):
        with app.app_context():
            author = db.session.get(User, author_id or make_user(role="lead"))
            return announcements.create(author, title, body, at=at).id

    return make


def rows(app) -> list[tuple[str, str]]:
    with app.app_context():
        query = select(Announcement.title, Announcement.body).order_by(Announcement.id)
        return [tuple(row) for row in db.session.execute(query)]


def test_a_lead_posts_and_members_and_visitors_read_it(client, auth, app):
    auth.login_as("lead")
    response = client.post(
        "/announcements/new",
        data={"title": "  Registry   is live ", "body": "Pin a **version**."},
    )
    assert response.status_code == 302
    with app.app_context():
        announcement = db.session.scalars(select(Announcement)).one()
        assert announcement.title == "Registry is live"
        assert announcement.updated_at is None
    assert response.headers["Location"] == f"/announcements/{announcement.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your announcement is posted." in page
    assert "<strong>version</strong>" in page

    auth.logout()
    auth.login_as("member")
    home = client.get("/").get_data(as_text=True)
    assert "Registry is live" in home
    assert 'href="/announcements"' in home
    assert "New announcement" not in home
    listing = client.get("/announcements").get_data(as_text=True)
    assert "<strong>version</strong>" in listing
    assert "/edit" not in listing
    auth.logout()
    assert "Registry is live" in client.get("/").get_data(as_text=True)
    assert client.get(f"/announcements/{announcement.id}").status_code == 200


def test_home_shows_the_five_newest_and_the_list_pages_through_all(client, make_announcement):
    start = utcnow() - timedelta(days=30)
    for number in range(12):
        make_announcement(title=f"News number {number:02d}", at=start + timedelta(days=number))
    home = client.get("/").get_data(as_text=True)
    shown = [n for n in range(12) if f"News number {n:02d}" in home]
    assert shown == [7, 8, 9, 10, 11]
    assert home.index("News number 11") < home.index("News number 07")

    first = client.get("/announcements").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "News number 11" in first and "News number 02" in first
    assert "News number 01" not in first
    second = client.get("/announcements?page=2").get_data(as_text=True)
    assert "News number 01" in second and "News number 00" in second
    assert "News number 02" not in second
    assert client.get("/announcements?page=99").status_code == 200
    assert client.get("/announcements?page=-3").status_code == 200


def test_home_without_announcements_says_so(client):
    assert "No announcements yet." in client.get("/").get_data(as_text=True)


def test_the_list_loads_in_a_fixed_number_of_queries(client, app, make_announcement, make_user):
    def statements_for(path: str) -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                assert client.get(path).status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    make_announcement()
    client.get("/")
    few = statements_for("/announcements"), statements_for("/")
    for _ in range(6):
        make_announcement(author_id=make_user(role="lead"))
    assert (statements_for("/announcements"), statements_for("/")) == few


WRITE_ROUTES = [
    ("get", "/announcements/new"),
    ("post", "/announcements/new"),
    ("get", "/announcements/{id}/edit"),
    ("post", "/announcements/{id}/edit"),
    ("post", "/announcements/{id}/delete"),
]


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
def test_members_get_403_on_every_write_route(client, auth, app, make_announcement, method, path):
    announcement_id = make_announcement()
    before = rows(app)
    auth.login_as("member")
    data = {"title": "Taken over", "body": "By a member."} if method == "post" else None
    response = getattr(client, method)(path.format(id=announcement_id), data=data)
    assert response.status_code == 403
    assert rows(app) == before


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
def test_visitors_are_sent_to_log_in(client, app, make_announcement, method, path):
    announcement_id = make_announcement()
    before = rows(app)
    data = {"title": "Taken over", "body": "By a visitor."} if method == "post" else None
    response = getattr(client, method)(path.format(id=announcement_id), data=data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert rows(app) == before


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_leads_and_admins_may_open_the_forms(client, auth, make_announcement, role):
    announcement_id = make_announcement()
    auth.login_as(role)
    assert client.get("/announcements/new").status_code == 200
    page = client.get(f"/announcements/{announcement_id}/edit").get_data(as_text=True)
    assert "Maintenance on Saturday" in page


BAD_INPUT = [
    ({"title": "", "body": "Text."}, "Give the announcement a title."),
    ({"title": "   ", "body": "Text."}, "Give the announcement a title."),
    ({"title": "x" * 151, "body": "Text."}, "A title has at most 150 characters."),
    ({"title": "x" * 400, "body": "Text."}, "A title has at most 150 characters."),
    ({"title": "A title", "body": "x" * 20_001}, "The text has at most 20000 characters."),
    ({"title": "A title", "body": ""}, "Write the text of the announcement."),
    ({"title": "A title", "body": " \n\t "}, "Write the text of the announcement."),
    ({"body": "No title field at all."}, "Give the announcement a title."),
]


@pytest.mark.parametrize(("data", "message"), BAD_INPUT)
def test_bad_input_on_new_is_refused_with_the_reason(client, auth, app, data, message):
    auth.login_as("lead")
    response = client.post("/announcements/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert rows(app) == []


@pytest.mark.parametrize(("data", "message"), BAD_INPUT)
def test_bad_input_on_edit_is_refused_and_changes_nothing(
    client, auth, app, make_announcement, data, message
):
    announcement_id = make_announcement()
    before = rows(app)
    auth.login_as("lead")
    response = client.post(f"/announcements/{announcement_id}/edit", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert rows(app) == before
    with app.app_context():
        assert db.session.get(Announcement, announcement_id).updated_at is None


def test_a_title_of_exactly_150_characters_is_accepted(client, auth, app):
    auth.login_as("lead")
    response = client.post("/announcements/new", data={"title": "t" * 150, "body": "Body."})
    assert response.status_code == 302
    assert rows(app) == [("t" * 150, "Body.")]


def test_an_edit_records_when_and_who(client, auth, app, make_user, make_announcement):
    lead = make_user(email="lead@example.com", name="Lee Lead", role="lead")
    announcement_id = make_announcement(author_id=lead)
    editor = auth.login_as("admin")
    with app.app_context():
        db.session.get(User, editor).display_name = "Ada Admin"
        db.session.commit()
    before = utcnow()
    response = client.post(
        f"/announcements/{announcement_id}/edit",
        data={"title": "Maintenance moved to Sunday", "body": "Same hours."},
    )
    assert response.status_code == 302
    with app.app_context():
        announcement = db.session.get(Announcement, announcement_id)
        assert (announcement.title, announcement.body) == (
            "Maintenance moved to Sunday",
            "Same hours.",
        )
        assert announcement.author_id == lead
        assert announcement.updated_by_id == editor
        assert announcement.updated_at >= before
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The announcement is saved." in page
    assert "Lee Lead" in page and "edited" in page and "Ada Admin" in page


def test_an_edit_that_changes_nothing_records_nothing(app, make_user, make_announcement):
    announcement_id = make_announcement()
    with app.app_context():
        editor = db.session.get(User, make_user(role="admin"))
        announcements.edit(
            editor, announcement_id, " Maintenance  on Saturday", "The clusters restart."
        )
        assert db.session.get(Announcement, announcement_id).updated_at is None


def test_delete_needs_a_post_with_the_csrf_token(client, auth, app, make_announcement):
    announcement_id = make_announcement()
    auth.login_as("lead")
    assert client.get(f"/announcements/{announcement_id}/delete").status_code == 405
    response = client.post(f"/announcements/{announcement_id}/delete", data={}, csrf=False)
    assert response.status_code == 400
    assert len(rows(app)) == 1

    response = client.post(f"/announcements/{announcement_id}/delete", data={})
    assert response.status_code == 302
    assert response.headers["Location"] == "/announcements"
    assert rows(app) == []
    assert "The announcement is deleted." in client.get("/announcements").get_data(as_text=True)
    # A second click (or a second lead) finds it gone: no error page, the same result.
    again = client.post(f"/announcements/{announcement_id}/delete", data={}, follow_redirects=True)
    assert again.status_code == 200
    assert "That announcement was already deleted." in again.get_data(as_text=True)


def test_missing_announcements_are_404(client, auth):
    assert client.get("/announcements/999").status_code == 404
    auth.login_as("lead")
    assert client.get("/announcements/999/edit").status_code == 404
    response = client.post("/announcements/999/edit", data={"title": "Title", "body": "Body"})
    assert response.status_code == 404


class Elements(HTMLParser):
    """Collect the tags and attributes a browser would build from a page."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


def test_script_and_javascript_links_never_reach_the_page(client, auth, make_announcement):
    body = (
        "Hello <script>alert('body')</script>\n\n"
        "[click me](javascript:alert('link')) and "
        '<a href="javascript:alert(2)">raw</a> '
        '<img src="x" onerror="alert(3)">\n\n'
        "![pic](javascript:alert('img'))\n\n"
        "[ok](https://example.com/docs)"
    )
    announcement_id = make_announcement(title="<script>alert('title')</script>", body=body)
    auth.login_as("lead")
    paths = ("/", "/announcements", f"/announcements/{announcement_id}")
    for path in (*paths, f"/announcements/{announcement_id}/edit"):
        response = client.get(path)
        assert response.status_code == 200
        parsed = Elements()
        parsed.feed(response.get_data(as_text=True))
        assert "script" not in parsed.tags, path
        assert not [
            (name, value)
            for name, value in parsed.attributes
            if name.startswith("on") or value.strip().lower().startswith("javascript:")
        ], path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = client.get(f"/announcements/{announcement_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page
    assert 'href="https://example.com/docs"' in page


def test_the_services_refuse_members_and_change_nothing(app, make_user, make_announcement):
    announcement_id = make_announcement()
    before = rows(app)
    with app.app_context():
        member = db.session.get(User, make_user())
        for call in (
            lambda: announcements.create(member, "A title", "A body"),
            lambda: announcements.edit(member, announcement_id, "A title", "A body"),
            lambda: announcements.delete(member, announcement_id),
        ):
            with pytest.raises(AnnouncementError) as refused:
                call()
            assert refused.value.status == 403
    assert rows(app) == before


def test_the_service_reports_which_field_is_wrong(app, make_user):
    with app.app_context():
        lead = db.session.get(User, make_user(role="lead"))
        with pytest.raises(AnnouncementError) as refused:
            announcements.create(lead, "Fine title", "   ")
        assert (refused.value.field, refused.value.status) == ("body", 400)
        with pytest.raises(AnnouncementError) as refused:
            announcements.edit(lead, 12345, "Fine title", "Fine body")
        assert refused.value.status == 404
        assert db.session.scalar(select(func.count(Announcement.id))) == 0


def test_the_demo_step_posts_a_year_of_news_deterministically(app, make_user):
    with app.app_context():
        leads = [db.session.get(User, make_user(role="lead")) for _ in range(3)]
        admins = [db.session.get(User, make_user(role="admin"))]

        def run(seed: int):
            ctx = DemoContext(rng=random.Random(seed), scale="small", leads=leads, admins=admins)
            units = []
            ctx.advance = units.append
            make_announcements(ctx)
            made = db.session.scalars(select(Announcement).order_by(Announcement.created_at)).all()
            summary = [
                (a.title, a.author_id, a.updated_by_id, a.created_at - made[0].created_at)
                for a in made
            ]
            spread = made[-1].created_at - made[0].created_at
            for announcement in made:
                db.session.delete(announcement)
            db.session.commit()
            return summary, sum(units), spread

        first, units, spread = run(7)
        assert len(first) == units == ANNOUNCEMENTS["small"]
        assert spread > timedelta(days=250)
        assert {author for _, author, _, _ in first} <= {u.id for u in leads + admins}
        assert run(7)[0] == first
