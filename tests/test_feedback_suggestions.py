"""Suggestions: submitting, voting, the status workflow and its history, merging, following."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from feedback import boards
from feedback import suggestions as services
from feedback.models import (
    Suggestion,
    SuggestionFollow,
    SuggestionStatusChange,
    SuggestionVote,
)
from gamify.models import Tag
from kudos.extensions import db
from kudos.models import Notification, User, utcnow

DESCRIPTION = "Teams wait a week for this today; a self-service form would fix it."


@pytest.fixture
def tags(app):
    with app.app_context():
        db.session.add_all([Tag(name=name) for name in ("aws", "networking", "billing")])
        db.session.commit()


@pytest.fixture
def make_suggestion(app, make_user, tags):
    """Submit a suggestion through the service and return its id."""
    counter = iter(range(1, 1000))

    def make(author_id=None, title=None, tag_names="aws", at=None):
        with app.app_context():
            author = db.session.get(User, author_id or make_user(password=None))
            title = title or f"Self-service sandbox accounts number {next(counter)}"
            return services.submit(author, title, DESCRIPTION, tag_names, at=at).id

    return make


@pytest.fixture
def users(app, make_user):
    """Return a function that loads users by id inside the current app context."""

    def load(*ids):
        found = [db.session.get(User, user_id) for user_id in ids]
        return found[0] if len(found) == 1 else found

    return load


def _suggestion(suggestion_id: int) -> Suggestion:
    return db.session.get(Suggestion, suggestion_id, populate_existing=True)


def _notifications(user_id: int) -> list[Notification]:
    """Return a user's status-change notifications (badges notify too, of their own kind)."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.kind == "suggestion_status")
            .order_by(Notification.id)
        )
    )


# ---------------------------------------------------------------------------------------------
# Submitting and bad input


def test_submitting_stores_the_suggestion_and_the_author_follows_it(
    app, make_user, make_suggestion
):
    author_id = make_user(password=None)
    suggestion_id = make_suggestion(author_id, tag_names="aws, networking")
    with app.app_context():
        suggestion = _suggestion(suggestion_id)
        assert suggestion.status == "open"
        assert [tag.name for tag in suggestion.tags] == ["aws", "networking"]
        assert services.is_following(author_id, suggestion_id)


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("Too short", "A title needs at least 10 characters."),
        ("x" * 151, "A title has at most 150 characters; this one has 151."),
    ],
)
def test_a_title_out_of_bounds_is_refused_with_the_reason(app, client, auth, tags, title, message):
    auth.login_as("member")
    response = client.post(
        "/suggestions/new",
        data={"title": title, "description": DESCRIPTION, "tags": "aws"},
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Suggestion.id))) == 0
        with pytest.raises(services.FeedbackError, match=message.split(";")[0]):
            services.submit(db.session.scalars(select(User)).first(), title, DESCRIPTION)


def test_tags_must_exist_for_members_and_at_most_five(app, make_user, tags):
    with app.app_context():
        member = db.session.get(User, make_user(password=None))
        with pytest.raises(services.FeedbackError, match="There is no tag quantum"):
            services.submit(member, "A quantum computing landing zone", DESCRIPTION, "quantum")
        with pytest.raises(services.FeedbackError, match="at most 5 tags"):
            services.submit(member, "A landing zone for everything", DESCRIPTION, "a b c d e f")
        assert db.session.scalar(select(func.count(Suggestion.id))) == 0
        assert db.session.scalar(select(Tag).where(Tag.name == "quantum")) is None


def test_a_member_submits_through_the_page(app, client, auth, tags):
    user_id = auth.login_as("member")
    response = client.post(
        "/suggestions/new",
        data={
            "title": "Cost alerts per team in chat",
            "description": DESCRIPTION,
            "tags": "billing",
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cost alerts per team in chat" in page
    assert "Your suggestion is posted" in page
    with app.app_context():
        suggestion = db.session.scalars(select(Suggestion)).one()
        assert suggestion.author_id == user_id


# ---------------------------------------------------------------------------------------------
# The status workflow and its history


def test_every_status_change_is_a_row_in_the_history(app, client, auth, make_suggestion):
    suggestion_id = make_suggestion()
    lead_id = auth.login_as("lead")
    steps = [
        ("under_review", "Looking into it."),
        ("planned", "Planned for Q3."),
        ("in_progress", None),
        ("completed", "Released to every account."),
    ]
    for status, note in steps:
        response = client.post(
            f"/suggestions/{suggestion_id}/status", data={"status": status, "note": note or ""}
        )
        assert response.status_code == 302
    with app.app_context():
        history = db.session.scalars(
            select(SuggestionStatusChange)
            .where(SuggestionStatusChange.suggestion_id == suggestion_id)
            .order_by(SuggestionStatusChange.id)
        ).all()
        assert [(h.from_status, h.to_status, h.note) for h in history] == [
            ("open", "under_review", "Looking into it."),
            ("under_review", "planned", "Planned for Q3."),
            ("planned", "in_progress", None),
            ("in_progress", "completed", "Released to every account."),
        ]
        assert {h.changed_by_id for h in history} == {lead_id}
        suggestion = _suggestion(suggestion_id)
        assert suggestion.status == "completed"
        assert suggestion.status_changed_at == history[-1].created_at
    page = client.get(f"/suggestions/{suggestion_id}").get_data(as_text=True)
    assert "Planned for Q3." in page
    assert "in progress → <strong>completed</strong>" in page


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("shipped", "There is no status “shipped”"),
        ("duplicate", "becomes a duplicate by merging"),
        ("open", "is already open"),
    ],
)
def test_an_impossible_status_is_refused_and_nothing_changes(
    app, client, auth, make_suggestion, status, message
):
    suggestion_id = make_suggestion()
    auth.login_as("lead")
    response = client.post(
        f"/suggestions/{suggestion_id}/status",
        data={"status": status, "note": "Nope"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert _suggestion(suggestion_id).status == "open"
        assert db.session.scalar(select(func.count(SuggestionStatusChange.id))) == 0


# ---------------------------------------------------------------------------------------------
# Votes


def test_one_vote_per_member_and_it_can_be_undone(app, client, auth, make_suggestion):
    suggestion_id = make_suggestion()
    voter_id = auth.login_as("member")
    for _ in range(2):
        client.post(f"/suggestions/{suggestion_id}/vote", data={"value": "up"})
    with app.app_context():
        assert _suggestion(suggestion_id).vote_count == 1
        assert services.is_following(voter_id, suggestion_id)
    page = client.get(f"/suggestions/{suggestion_id}").get_data(as_text=True)
    assert "Undo my vote" in page
    client.post(f"/suggestions/{suggestion_id}/vote", data={"value": "none"})
    with app.app_context():
        assert _suggestion(suggestion_id).vote_count == 0
        assert db.session.scalar(select(func.count(SuggestionVote.id))) == 0


@pytest.mark.parametrize("status", ["completed", "declined"])
def test_a_decided_suggestion_takes_no_votes(
    app, client, auth, make_user, make_suggestion, users, status
):
    suggestion_id = make_suggestion()
    with app.app_context():
        lead = users(make_user(role="lead", password=None))
        services.change_status(suggestion_id, lead, status, "Decided.")
    auth.login_as("member")
    response = client.post(
        f"/suggestions/{suggestion_id}/vote", data={"value": "up"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert f"This suggestion is {status}; it takes no more votes." in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert _suggestion(suggestion_id).vote_count == 0
        assert db.session.scalar(select(func.count(SuggestionVote.id))) == 0


# ---------------------------------------------------------------------------------------------
# Merging


def test_merge_moves_votes_once_and_the_duplicates_people_follow_the_original(
    app, client, make_user, make_suggestion, users
):
    duplicate_author = make_user(password=None)
    original_id = make_suggestion(title="Self-service sandbox accounts")
    duplicate_id = make_suggestion(duplicate_author, title="Let us create sandbox accounts")
    both, only_duplicate, only_original = (make_user(password=None) for _ in range(3))
    lead_id = make_user(role="lead", password=None)
    with app.app_context():
        for voter_id, targets in (
            (both, [duplicate_id, original_id]),
            (only_duplicate, [duplicate_id]),
            (only_original, [original_id]),
        ):
            for target in targets:
                services.vote(users(voter_id), target)
        services.merge(duplicate_id, original_id, users(lead_id))

        original, duplicate = _suggestion(original_id), _suggestion(duplicate_id)
        assert original.vote_count == 3
        assert duplicate.vote_count == 0
        assert duplicate.status == "duplicate"
        assert duplicate.duplicate_of_id == original_id
        voters = db.session.scalars(
            select(SuggestionVote.voter_id).where(SuggestionVote.suggestion_id == original_id)
        ).all()
        assert sorted(voters) == sorted([both, only_duplicate, only_original])
        moved = db.session.scalar(
            select(SuggestionVote).where(SuggestionVote.voter_id == only_duplicate)
        )
        assert moved.merged_from_id == duplicate_id
        for user_id in (duplicate_author, both, only_duplicate):
            assert services.is_following(user_id, original_id)
        change = db.session.scalars(
            select(SuggestionStatusChange).where(
                SuggestionStatusChange.suggestion_id == duplicate_id
            )
        ).one()
        assert (change.from_status, change.to_status) == ("open", "duplicate")
        # A merged duplicate takes no more votes.
        with pytest.raises(services.FeedbackError, match=f"merged into #{original_id}"):
            services.vote(users(make_user(password=None)), duplicate_id)
    # The duplicate's page links to its original, where its votes and followers went.
    page = client.get(f"/suggestions/{duplicate_id}").get_data(as_text=True)
    assert f'href="/suggestions/{original_id}">#{original_id} ' in page
    assert "its votes and followers are there" in page


def test_merge_refuses_itself_and_cycles_and_changes_nothing(
    app, client, auth, make_user, make_suggestion, users
):
    a = make_suggestion(title="Self-service sandbox accounts")
    b = make_suggestion(title="Let us create sandbox accounts")
    voter_id = make_user(password=None)
    auth.login_as("lead")
    with app.app_context():
        services.vote(users(voter_id), a)
    response = client.post(f"/suggestions/{a}/merge", data={"original": a}, follow_redirects=True)
    assert "A suggestion cannot be merged into itself." in response.get_data(as_text=True)
    assert client.post(f"/suggestions/{b}/merge", data={"original": a}).status_code == 302
    # a now has b as its duplicate: merging a into b would make a cycle.
    response = client.post(f"/suggestions/{a}/merge", data={"original": b}, follow_redirects=True)
    assert response.status_code == 200
    assert "would make a cycle" in response.get_data(as_text=True)
    response = client.post(f"/suggestions/{a}/merge", data={"original": 999}, follow_redirects=True)
    assert "There is no suggestion #999 to merge into." in response.get_data(as_text=True)
    with app.app_context():
        assert _suggestion(a).status == "open"
        assert _suggestion(a).vote_count == 1
        assert _suggestion(b).duplicate_of_id == a
        assert (
            db.session.scalar(
                select(func.count(SuggestionStatusChange.id)).where(
                    SuggestionStatusChange.suggestion_id == a
                )
            )
            == 0
        )


# ---------------------------------------------------------------------------------------------
# Hearing back


def test_followers_hear_of_status_changes_with_the_note_but_not_of_comments(
    app, make_user, make_suggestion, users
):
    author_id = make_user(password=None)
    voter_id = make_user(password=None)
    quitter_id = make_user(password=None)
    suggestion_id = make_suggestion(author_id, title="Central dashboards for cluster health")
    lead_id = make_user(role="lead", password=None)
    with app.app_context():
        services.vote(users(voter_id), suggestion_id)
        services.vote(users(quitter_id), suggestion_id)
        services.unfollow(users(quitter_id), suggestion_id)
        services.comment(users(voter_id), suggestion_id, "We need this for on-call too.")
        assert _notifications(author_id) == []
        services.change_status(suggestion_id, users(lead_id), "planned", "Planned for May.")
        for user_id in (author_id, voter_id):
            (notification,) = _notifications(user_id)
            assert notification.kind == "suggestion_status"
            assert notification.text == (
                "“Central dashboards for cluster health” is now planned: Planned for May."
            )
            assert notification.link == f"/suggestions/{suggestion_id}"
        assert _notifications(quitter_id) == []
        assert _notifications(lead_id) == []
        # Voting again after unfollowing does not sign the member up again...
        services.unvote(users(quitter_id), suggestion_id)
        services.vote(users(quitter_id), suggestion_id)
        assert not services.is_following(quitter_id, suggestion_id)
    # ...but following again does.
    with app.app_context():
        services.follow(users(quitter_id), suggestion_id)
        services.change_status(suggestion_id, users(lead_id), "in_progress", None)
        assert [n.text for n in _notifications(quitter_id)] == [
            "“Central dashboards for cluster health” is now in progress."
        ]
        assert len(_notifications(author_id)) == 2


def test_a_member_unfollows_and_follows_again_from_the_page(app, client, auth, make_suggestion):
    suggestion_id = make_suggestion()
    user_id = auth.login_as("member")
    client.post(f"/suggestions/{suggestion_id}/vote", data={"value": "up"})
    page = client.post(
        f"/suggestions/{suggestion_id}/follow", data={"value": "unfollow"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "You no longer follow this suggestion." in page
    with app.app_context():
        row = db.session.get(SuggestionFollow, (suggestion_id, user_id))
        assert row.unfollowed_at is not None
    client.post(f"/suggestions/{suggestion_id}/follow", data={"value": "follow"})
    with app.app_context():
        assert services.is_following(user_id, suggestion_id)


# ---------------------------------------------------------------------------------------------
# Only leads triage


LEAD_ROUTES = [
    ("get", "/suggestions/triage", None),
    ("post", "/suggestions/triage", {"status": "planned", "note": "x", "suggestion": "1"}),
    ("get", "/suggestions/leaderboard", None),
    ("post", "/suggestions/1/status", {"status": "planned", "note": "x"}),
    ("post", "/suggestions/1/tags", {"tags": "aws"}),
    ("post", "/suggestions/1/merge", {"original": "2"}),
]


@pytest.mark.parametrize(("method", "path", "data"), LEAD_ROUTES)
def test_every_triage_route_is_forbidden_to_members(
    app, client, auth, make_suggestion, method, path, data
):
    first, second = make_suggestion(), make_suggestion()
    assert (first, second) == (1, 2)
    auth.login_as("member")
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 403
    with app.app_context():
        assert _suggestion(1).status == "open"
        assert [tag.name for tag in _suggestion(1).tags] == ["aws"]
        assert db.session.scalar(select(func.count(SuggestionStatusChange.id))) == 0


@pytest.mark.parametrize(("method", "path", "data"), LEAD_ROUTES)
def test_visitors_are_sent_to_log_in_for_triage_routes(client, method, path, data):
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_triage_queue_orders_by_votes_then_age_and_changes_in_bulk(
    app, client, auth, make_user, make_suggestion, users
):
    now = utcnow()
    old = make_suggestion(title="Oldest idea without votes", at=now - timedelta(days=9))
    new = make_suggestion(title="Newest idea without votes", at=now - timedelta(days=1))
    popular = make_suggestion(title="Popular idea with votes", at=now - timedelta(days=3))
    triaged = make_suggestion(title="An idea a lead looked at")
    with app.app_context():
        services.vote(users(make_user(password=None)), popular)
        lead = users(make_user(role="lead", password=None))
        services.change_status(triaged, lead, "under_review", None)
        services.change_status(triaged, lead, "open", "Back to the queue.")
        assert [s.id for s in boards.untriaged().items] == [popular, old, new]
    auth.login_as("lead")
    page = client.get("/suggestions/triage").get_data(as_text=True)
    assert page.index("Popular idea") < page.index("Oldest idea") < page.index("Newest idea")
    assert "An idea a lead looked at" not in page
    response = client.post(
        "/suggestions/triage",
        data={"status": "declined", "note": "Out of scope.", "suggestion": [str(old), str(new)]},
        follow_redirects=True,
    )
    assert "2 suggestions moved to declined" in response.get_data(as_text=True)
    with app.app_context():
        assert _suggestion(old).status == _suggestion(new).status == "declined"
        assert [s.id for s in boards.untriaged().items] == [popular]
        notes = db.session.scalars(
            select(SuggestionStatusChange.note).where(
                SuggestionStatusChange.to_status == "declined"
            )
        ).all()
        assert notes == ["Out of scope.", "Out of scope."]


def test_a_bulk_change_with_a_merged_duplicate_changes_nothing(
    app, make_user, make_suggestion, users
):
    a, b, c = make_suggestion(), make_suggestion(), make_suggestion()
    with app.app_context():
        lead = users(make_user(role="lead", password=None))
        services.merge(b, a, lead)
        with pytest.raises(services.FeedbackError, match=f"#{b} was merged into #{a}"):
            services.bulk_change_status([a, b, c], lead, "planned", "Soon.")
        assert _suggestion(a).status == _suggestion(c).status == "open"


def test_a_lead_sets_tags(app, client, auth, make_suggestion):
    suggestion_id = make_suggestion()
    auth.login_as("lead")
    client.post(f"/suggestions/{suggestion_id}/tags", data={"tags": "billing networking"})
    with app.app_context():
        assert [t.name for t in _suggestion(suggestion_id).tags] == ["billing", "networking"]
