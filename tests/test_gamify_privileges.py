"""Privileges grow with points; staff have them all; votes from fresh accounts do not pay."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gamify import engine, ledger, privileges, services
from gamify.models import Comment, PointEvent, Post, Question, Tag, Vote
from kudos import settings
from kudos.extensions import db
from kudos.models import Setting, User

TITLE = "How do I peer two VPCs across accounts?"
BODY = "We have two AWS accounts and need private traffic between them."


@pytest.fixture(autouse=True)
def community_tags(app):
    """The tags make_question uses exist, as on a running community."""
    with app.app_context():
        db.session.add_all([Tag(name="aws"), Tag(name="iam")])
        db.session.commit()


def give_points(app, user_id, total):
    """Bring a user to exactly total points through the ledger."""
    with app.app_context():
        missing = total - engine.total(user_id)
        if missing:
            engine.record(
                "answer_accepted",
                user_id,
                key=f"seed:{user_id}:{total}",
                source_type="test",
                points=missing,
            )
            db.session.commit()


def use_preset(app, name):
    with app.app_context():
        privileges.set_preset(name, None)


def user(user_id):
    return db.session.get(User, user_id)


def vote(client, post_id, value):
    return client.post(f"/posts/{post_id}/vote", data={"value": value})


def votes(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Vote.id)))


# Presets and messages


def test_medium_is_the_default_and_the_thresholds_follow_the_product():
    assert privileges.DEFAULT_PRESET == "medium"
    assert privileges.PRESETS["medium"] == {
        "upvote": 15,
        "comment": 50,
        "edit_others": 100,
        "downvote": 125,
        "create_tags": 150,
    }
    for name in privileges.PRESETS:
        # A member earns them in this order under every preset.
        points = [privileges.PRESETS[name][p] for p in privileges.PRIVILEGES]
        assert points == sorted(points)
    assert privileges.PRESETS["low"]["upvote"] < privileges.VOTE_PAY_THRESHOLD


def test_downvote_at_124_is_refused_with_a_message_and_at_125_it_counts(
    client, auth, make_question, make_answer, app
):
    question_id = make_question()
    answer_id = make_answer(question_id)
    voter = auth.login_as("member")
    give_points(app, voter, 124)
    response = vote(client, answer_id, "down")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Downvoting needs 125 points; you have 124." in page
    assert votes(app) == 0
    give_points(app, voter, 125)
    vote(client, answer_id, "down")
    with app.app_context():
        assert db.session.get(Post, answer_id).score == -1
        assert engine.total(voter) == 124  # downvoting an answer costs one
    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "Downvoting needs" not in page


def test_upvote_at_14_is_refused_and_at_15_it_pays(client, auth, make_user, make_question, app):
    author = make_user()
    question_id = make_question(author_id=author)
    voter = auth.login_as("member")
    give_points(app, voter, 14)
    response = vote(client, question_id, "up")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Upvoting needs 15 points; you have 14." in page
    assert votes(app) == 0
    give_points(app, voter, 15)
    vote(client, question_id, "up")
    with app.app_context():
        assert engine.total(author) == 11


CASES = [
    (preset, privilege, points)
    for preset, table in privileges.PRESETS.items()
    for privilege, points in table.items()
]


def attempt(privilege, actor, question_id, answer_id):
    """Try the action a privilege guards; return nothing or raise QAError."""
    if privilege == "upvote":
        services.vote(actor, answer_id, 1)
    elif privilege == "downvote":
        services.vote(actor, answer_id, -1)
    elif privilege == "comment":
        services.add_comment(actor, answer_id, "Does this work across regions too?")
    elif privilege == "edit_others":
        services.edit(actor, answer_id, body="Use two keys and switch between them, then rotate.")
    else:
        services.ask(actor, TITLE, BODY, "aws vpc")


@pytest.mark.parametrize(("preset", "privilege", "needed"), CASES)
def test_each_privilege_under_each_preset_opens_at_its_threshold(
    app, make_user, make_question, make_answer, preset, privilege, needed
):
    use_preset(app, preset)
    question_id = make_question()
    answer_id = make_answer(question_id)
    member = make_user()
    message = f"{privileges.ACTIONS[privilege]} needs {needed} points; you have {needed - 1}."
    if privilege == "create_tags":
        message = f"Creating the new tag vpc needs {needed} points; you have {needed - 1}."
    if needed > 1:  # everyone has at least 1 point
        give_points(app, member, needed - 1)
        with app.app_context(), pytest.raises(services.QAError) as refused:
            attempt(privilege, user(member), question_id, answer_id)
        assert refused.value.message == message
        assert refused.value.status == 403
    give_points(app, member, needed)
    with app.app_context():
        attempt(privilege, user(member), question_id, answer_id)
        assert ledger.verify() == []


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_staff_have_every_privilege_at_one_point(app, make_user, make_question, make_answer, role):
    question_id = make_question()
    staff = make_user(role=role)
    with app.app_context():
        for privilege in privileges.PRIVILEGES:
            answer_id = make_answer(question_id)
            attempt(privilege, user(staff), question_id, answer_id)
        assert engine.total(staff) == 1
        assert db.session.scalar(select(func.count(Tag.id)).where(Tag.name == "vpc")) == 1
        assert db.session.scalar(select(func.count(Comment.id))) == 1


def test_withdrawing_a_vote_needs_no_points(app, make_user, make_question):
    question_id = make_question()
    voter = make_user()
    give_points(app, voter, 15)
    with app.app_context():
        services.vote(user(voter), question_id, 1)
    use_preset(app, "high")  # upvoting now needs 30
    with app.app_context():
        with pytest.raises(services.QAError, match=r"Upvoting needs 30 points; you have 15\."):
            services.vote(user(voter), make_question(), 1)
        state = services.vote(user(voter), question_id, 0)
        assert (state.score, state.my_vote) == (0, 0)


def test_changing_an_upvote_into_a_downvote_needs_the_downvote_privilege(
    app, make_user, make_question
):
    question_id = make_question()
    voter = make_user()
    give_points(app, voter, 15)
    with app.app_context():
        services.vote(user(voter), question_id, 1)
        with pytest.raises(services.QAError, match=r"Downvoting needs 125 points; you have 15\."):
            services.vote(user(voter), question_id, -1)
        assert db.session.get(Post, question_id).score == 1


def test_comments_on_your_own_post_and_on_answers_to_your_question_need_no_points(
    client, auth, make_user, make_question, make_answer, app
):
    me = auth.login_as("member")
    question_id = make_question(author_id=me)
    answer_id = make_answer(question_id)
    mine = make_answer(make_question(), author_id=me)
    for post_id in (question_id, answer_id, mine):
        client.post(f"/posts/{post_id}/comments", data={"body": "Thanks, that fixed it."})
    with app.app_context():
        assert db.session.scalar(select(func.count(Comment.id))) == 3


def test_a_comment_refused_for_points_says_why_on_the_page(
    client, auth, make_question, make_answer, app
):
    question_id = make_question()
    answer_id = make_answer(question_id)
    commenter = auth.login_as("member")
    give_points(app, commenter, 49)
    response = client.post(f"/posts/{answer_id}/comments", data={"body": "Works in EU too?"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Commenting on others&#39; posts needs 50 points; you have 49." in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_the_ask_form_shows_the_tag_refusal_on_the_tags_field(client, auth, app):
    auth.login_as("member")
    response = client.post(
        "/questions/ask", data={"title": TITLE, "body": BODY, "tags": "aws vpc dns"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert (
        '<p class="error" id="tags-error">Creating the new tags vpc, dns needs 150 points; '
        "you have 1.</p>" in page
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(Question.id))) == 0
        assert set(db.session.scalars(select(Tag.name))) == {"aws", "iam"}
    client.post("/questions/ask", data={"title": TITLE, "body": BODY, "tags": "aws iam"})
    with app.app_context():
        assert db.session.scalar(select(func.count(Question.id))) == 1  # existing tags are free


def test_editing_others_posts_opens_at_100_points(client, auth, make_question, app):
    question_id = make_question()
    editor = auth.login_as("member")
    give_points(app, editor, 99)
    response = client.get(f"/posts/{question_id}/edit")
    assert response.status_code == 403
    assert "Editing others&#39; posts needs 100 points; you have 99." in response.get_data(
        as_text=True
    )
    data = {"title": TITLE, "body": BODY, "tags": "aws iam", "comment": "clearer title"}
    assert client.post(f"/posts/{question_id}/edit", data=data).status_code == 403
    give_points(app, editor, 100)
    assert client.get(f"/posts/{question_id}/edit").status_code == 200
    assert client.post(f"/posts/{question_id}/edit", data=data).status_code == 302
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.title == TITLE
        # Retagging with a tag nobody has used needs more points still.
        with pytest.raises(services.QAError, match="Creating the new tag vpc needs 150 points"):
            services.edit(user(editor), question_id, body=BODY, tags="aws vpc")
        assert [tag.name for tag in db.session.get(Question, question_id).tags] == ["aws", "iam"]


def test_an_edit_refused_for_a_new_tag_leaves_the_post_as_it_was(app, make_user):
    author = make_user()
    with app.app_context():
        question = services.ask(user(author), TITLE, BODY, "aws")
        with pytest.raises(services.QAError):
            services.edit(
                user(author), question.id, body=BODY, title="A brand new title here", tags="vpc"
            )
        db.session.commit()  # whatever the session still holds
        db.session.expire_all()
        assert db.session.get(Question, question.id).title == TITLE


# The preset: configuration and administration


def test_the_configured_preset_applies_until_an_admin_chooses_one(app, make_user, make_question):
    question_id = make_question()
    voter = make_user()
    give_points(app, voter, 20)
    app.config["PRIVILEGE_PRESET"] = "high"
    with app.app_context():
        assert privileges.preset() == "high"
        with pytest.raises(services.QAError, match=r"Upvoting needs 30 points; you have 20\."):
            services.vote(user(voter), question_id, 1)
    use_preset(app, "medium")
    with app.app_context():
        assert privileges.preset() == "medium"
        assert services.vote(user(voter), question_id, 1).score == 1
    app.config["PRIVILEGE_PRESET"] = "extreme"  # a typo falls back to the default
    with app.app_context():
        db.session.execute(db.delete(Setting))
        db.session.commit()
        assert privileges.preset() == "medium"


def test_the_admin_page_shows_the_presets_and_the_one_in_force(client, auth):
    auth.login_as("admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="privileges"' in page
    assert 'Medium <span class="muted">(in force)</span>' in page
    assert "Downvoting</th>" in page
    assert '<option selected value="medium">Medium</option>' in page


def test_an_admin_switches_the_preset_and_members_feel_it(
    client, auth, make_user, make_question, app
):
    author = make_user()
    question_id = make_question(author_id=author)
    admin = auth.login_as("admin")
    response = client.post("/admin/privileges", data={"preset": "low"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/#privileges"
    page = client.get("/admin/").get_data(as_text=True)
    assert "Privileges now follow the low preset." in page
    assert 'Low <span class="muted">(in force)</span>' in page
    with app.app_context():
        row = db.session.get(Setting, settings.PRIVILEGE_PRESET)
        assert (row.value, row.updated_by_id) == ("low", admin)
    auth.logout()
    auth.login_as("member")
    vote(client, question_id, "up")
    with app.app_context():
        assert db.session.get(Post, question_id).score == 1


def test_an_unknown_preset_changes_nothing(client, auth, app):
    auth.login_as("admin")
    response = client.post("/admin/privileges", data={"preset": "extreme"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Choose a privilege preset: low, medium or high." in page
    with app.app_context():
        assert db.session.get(Setting, settings.PRIVILEGE_PRESET) is None
        assert privileges.preset() == "medium"


@pytest.mark.parametrize("role", ["member", "lead"])
def test_only_admins_choose_the_preset(client, auth, app, role):
    auth.login_as(role)
    response = client.post("/admin/privileges", data={"preset": "low"})
    assert response.status_code == 403
    with app.app_context():
        assert privileges.preset() == "medium"


def test_visitors_are_sent_to_log_in_to_choose_the_preset(client, app):
    response = client.post("/admin/privileges", data={"preset": "low"})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    with app.app_context():
        assert privileges.preset() == "medium"


# Votes from accounts below the pay threshold


def unpaid_rows(app):
    with app.app_context():
        return db.session.execute(
            select(PointEvent.action, PointEvent.requested, PointEvent.applied, PointEvent.note)
            .where(PointEvent.source_type == "post")
            .order_by(PointEvent.id)
        ).all()


def test_an_upvote_from_a_member_under_5_points_counts_but_does_not_pay(
    client, auth, make_user, make_question, app
):
    use_preset(app, "low")
    author = make_user()
    question_id = make_question(author_id=author)
    voter = auth.login_as("member")
    give_points(app, voter, 4)
    vote(client, question_id, "up")
    with app.app_context():
        assert db.session.get(Post, question_id).score == 1
        assert engine.total(author) == 1
        assert ledger.verify() == []
    assert unpaid_rows(app) == [
        ("question_upvoted", 10, 0, "votes from members with fewer than 5 points do not pay")
    ]
    profile = client.get(f"/users/{author}").get_data(as_text=True)
    assert "votes from members with fewer than 5 points do not pay" in profile
    vote(client, question_id, "none")
    give_points(app, voter, 5)
    vote(client, question_id, "up")
    with app.app_context():
        assert engine.total(author) == 11  # from 5 points on, votes pay


def test_a_downvote_that_does_not_pay_costs_nothing_either(
    app, make_user, make_question, make_answer, monkeypatch
):
    monkeypatch.setitem(privileges.PRESETS["low"], "downvote", 1)
    use_preset(app, "low")
    answerer = make_user()
    answer_id = make_answer(make_question(), author_id=answerer)
    give_points(app, answerer, 20)
    voter = make_user()
    with app.app_context():
        services.vote(user(voter), answer_id, -1)
        assert (engine.total(answerer), engine.total(voter)) == (20, 1)
    note = "votes from members with fewer than 5 points do not pay"
    assert unpaid_rows(app)[-2:] == [
        ("answer_downvoted", -2, 0, note),
        ("downvote_cast", -1, 0, note),
    ]


def test_staff_votes_pay_at_any_total(app, make_user, make_question):
    author = make_user()
    question_id = make_question(author_id=author)
    lead = make_user(role="lead")
    with app.app_context():
        services.vote(user(lead), question_id, 1)
        assert engine.total(author) == 11


def test_the_edit_link_shows_once_a_member_may_edit_others_posts(client, auth, make_question, app):
    question_id = make_question()
    me = auth.login_as("member")
    assert f"/posts/{question_id}/edit" not in client.get(f"/questions/{question_id}").get_data(
        as_text=True
    )
    with app.app_context():
        engine.record("answer_accepted", me, key="grant", source_type="test", points=99)
        db.session.commit()
    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert f"/posts/{question_id}/edit" in page
    assert f"/posts/{question_id}/delete" not in page  # deleting stays with the author
