"""Community Q&A through the pages: ask, answer, comment, vote, accept, edit, delete."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from gamify import engine, ledger
from gamify.models import Comment, Post, PostRevision, Question, Tag, Vote
from kudos.extensions import db

TITLE = "How do I peer two VPCs across accounts?"
BODY = "We have two AWS accounts and need private traffic between them."


@pytest.fixture(autouse=True)
def community_tags(request, app):
    """Create the tags these tests use, as a running community has them (creating a new tag is
    a privilege of its own, tested in test_gamify_privileges.py)."""
    names = getattr(request, "param", "aws iam networking terraform kubernetes")
    with app.app_context():
        db.session.add_all([Tag(name=name) for name in names.split()])
        db.session.commit()


def give_points(app, user_id, total):
    """Bring a member to total points through the ledger, for the privileges a test needs."""
    with app.app_context():
        missing = total - engine.total(user_id)
        engine.record(
            "answer_accepted", user_id, key=f"seed:{user_id}", source_type="test", points=missing
        )
        db.session.commit()


def ask(client, title=TITLE, body=BODY, tags="aws networking"):
    return client.post("/questions/ask", data={"title": title, "body": body, "tags": tags})


def points(app, user_id):
    with app.app_context():
        return engine.total(user_id)


def question_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Post.id)))


def test_ask_shows_the_question_with_its_tags(client, auth, app):
    auth.login_as("member")
    response = ask(client, tags="AWS, networking aws")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert TITLE in page
    assert "private traffic between them" in page
    assert 'href="/tags/aws"' in page
    assert 'href="/tags/networking"' in page
    with app.app_context():
        question = db.session.scalar(select(Question))
        assert [tag.name for tag in question.tags] == ["aws", "networking"]
        assert db.session.scalar(select(Tag.question_count).where(Tag.name == "aws")) == 1
        assert db.session.scalar(select(func.count(PostRevision.id))) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "Too short"}, "A title needs at least 15 characters."),
        ({"title": "x" * 151}, "A title has at most 150 characters."),
        ({"tags": ""}, "Add at least one tag."),
        ({"tags": "a b c d e f"}, "Use at most 5 tags; you gave 6."),
        ({"tags": "bad_tag!"}, "bad_tag! is not valid"),
        ({"body": ""}, "Describe your question."),
        ({"body": "short"}, "The body needs at least 10 characters."),
    ],
)
def test_ask_bad_input_rerenders_and_saves_nothing(client, auth, app, fields, message):
    auth.login_as("member")
    data = {"title": TITLE, "body": BODY, "tags": "aws", **fields}
    response = client.post("/questions/ask", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert question_count(app) == 0


def test_visitors_are_sent_to_login_to_ask(client):
    response = client.get("/questions/ask")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_user_markdown_never_carries_script(client, auth, make_question):
    question_id = make_question(
        body="Hi <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    )
    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert 'href="javascript' not in page.lower()
    assert re.search(r"<img[^>]*onerror", page) is None
    assert "[x](javascript:alert(2))" in page  # shown as text, not as a link


def test_answer_comment_and_view_count(client, auth, make_question, app):
    question_id = make_question()
    auth.login_as("member")
    response = client.post(
        f"/questions/{question_id}/answers", data={"body": "Use a Transit Gateway attachment."}
    )
    assert response.status_code == 302
    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "Transit Gateway attachment" in page
    assert "1 answer" in page
    with app.app_context():
        answer_id = db.session.scalar(select(Post.id).where(Post.kind == "answer"))
    client.post(f"/posts/{answer_id}/comments", data={"body": "Works across regions too."})
    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "Works across regions too." in page
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.answer_count == 1
        assert question.view_count == 1  # one per browser session


def test_an_empty_answer_rerenders_the_question_with_the_reason(client, auth, make_question, app):
    question_id = make_question()
    auth.login_as("member")
    response = client.post(f"/questions/{question_id}/answers", data={"body": "no"})
    assert response.status_code == 200
    assert "The body needs at least 10 characters." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Question, question_id).answer_count == 0


def test_a_short_comment_is_refused_with_a_message(client, auth, make_question, app):
    question_id = make_question()
    auth.login_as("member")
    client.post(f"/posts/{question_id}/comments", data={"body": "ok"})
    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "A comment needs at least 5 characters." in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Comment.id))) == 0


def vote(client, post_id, value):
    return client.post(f"/posts/{post_id}/vote", data={"value": value})


def test_upvote_change_and_undo_move_points_and_score(client, auth, make_user, make_question, app):
    author = make_user()
    question_id = make_question(author_id=author)
    voter = auth.login_as("member")
    give_points(app, voter, 125)  # downvoting needs 125 under the default preset
    vote(client, question_id, "up")
    assert points(app, author) == 11
    vote(client, question_id, "down")
    assert points(app, author) == 1  # +10 undone, -2 floored at 1
    vote(client, question_id, "none")
    assert points(app, author) == 1
    vote(client, question_id, "up")  # a second upvote is a new event and pays again
    assert points(app, author) == 11
    with app.app_context():
        assert db.session.get(Post, question_id).score == 1
        assert db.session.scalar(select(func.count(Vote.id))) == 3
        assert ledger.verify() == []


def test_downvoting_an_answer_costs_the_voter_one(
    client, auth, make_user, make_question, make_answer, app
):
    question_id = make_question()
    answerer = make_user()
    answer_id = make_answer(question_id, author_id=answerer)
    with app.app_context():
        engine.record("answer_accepted", answerer, key="seed", source_type="test")
        db.session.commit()
    voter = auth.login_as("lead")  # staff downvote at any total; the cost is the same
    with app.app_context():
        engine.record("answer_accepted", voter, key="seed2", source_type="test")
        db.session.commit()
    vote(client, answer_id, "down")
    assert points(app, answerer) == 14
    assert points(app, voter) == 15
    vote(client, answer_id, "none")
    assert points(app, answerer) == 16
    assert points(app, voter) == 16


def test_voting_on_your_own_post_is_refused(client, auth, app):
    me = auth.login_as("member")
    ask(client)
    with app.app_context():
        question_id = db.session.scalar(select(Question.id))
    vote(client, question_id, "up")
    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "You cannot vote on your own post." in page
    assert points(app, me) == 1


def test_votes_on_deleted_and_missing_posts_are_refused(client, auth, make_question, app):
    question_id = make_question()
    with app.app_context():
        db.session.get(Post, question_id).deleted_at = db.func.now()
        db.session.commit()
    give_points(app, auth.login_as("member"), 15)
    assert vote(client, 9999, "up").status_code == 404
    vote(client, question_id, "up")
    with app.app_context():
        assert db.session.scalar(select(func.count(Vote.id))) == 0


def test_a_bad_vote_value_changes_nothing(client, auth, make_question, app):
    question_id = make_question()
    auth.login_as("member")
    vote(client, question_id, "sideways")
    with app.app_context():
        assert db.session.scalar(select(func.count(Vote.id))) == 0


def test_thirty_votes_a_day_then_a_message_saying_when(client, auth, make_user, make_question, app):
    author = make_user()
    questions = [
        make_question(author_id=author, title=f"Question number {n} about networking")
        for n in range(31)
    ]
    give_points(app, auth.login_as("member"), 15)
    for question_id in questions[:30]:
        vote(client, question_id, "up")
    vote(client, questions[30], "up")
    page = client.get(f"/questions/{questions[30]}").get_data(as_text=True)
    assert "You have cast your 30 votes for today. Voting opens again at 00:00 UTC" in page
    with app.app_context():
        assert db.session.get(Post, questions[30]).score == 0


def test_accept_pays_both_and_switching_moves_the_award(
    client, auth, make_user, make_question, make_answer, app
):
    asker = make_user()
    question_id = make_question(author_id=asker)
    first, second = make_user(), make_user()
    answer_one = make_answer(question_id, author_id=first)
    answer_two = make_answer(question_id, author_id=second)
    with app.app_context():
        email = db.session.get(__import__("kudos.models").models.User, asker).email
    auth.login(email)
    client.post(f"/answers/{answer_one}/accept", data={})
    assert (points(app, first), points(app, asker)) == (16, 3)
    client.post(f"/answers/{answer_two}/accept", data={})
    assert (points(app, first), points(app, second), points(app, asker)) == (1, 16, 3)
    client.post(f"/questions/{question_id}/unaccept", data={})
    assert (points(app, second), points(app, asker)) == (1, 1)
    client.post(f"/answers/{answer_two}/accept", data={})
    assert (points(app, second), points(app, asker)) == (16, 3)
    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert page.index(f'id="post-{answer_two}"') < page.index(f'id="post-{answer_one}"')
    with app.app_context():
        assert ledger.verify() == []


def test_only_the_asker_or_a_lead_accepts(client, auth, make_question, make_answer, app):
    question_id = make_question()
    answer_id = make_answer(question_id)
    auth.login_as("member")
    assert client.post(f"/answers/{answer_id}/accept", data={}).status_code == 403
    with app.app_context():
        assert db.session.get(Question, question_id).accepted_answer_id is None
    auth.logout()
    auth.login_as("lead")
    client.post(f"/answers/{answer_id}/accept", data={})
    with app.app_context():
        assert db.session.get(Question, question_id).accepted_answer_id == answer_id


def test_accepting_your_own_answer_pays_nothing(client, auth, app):
    me = auth.login_as("member")
    ask(client)
    with app.app_context():
        question_id = db.session.scalar(select(Question.id))
    client.post(
        f"/questions/{question_id}/answers", data={"body": "I solved it myself, here is how."}
    )
    with app.app_context():
        answer_id = db.session.scalar(select(Post.id).where(Post.kind == "answer"))
    client.post(f"/answers/{answer_id}/accept", data={})
    with app.app_context():
        assert db.session.get(Question, question_id).accepted_answer_id == answer_id
    assert points(app, me) == 1


@pytest.mark.parametrize("community_tags", ["aws networking vpc"], indirect=True)
def test_edit_keeps_a_visible_revision_history(client, auth, app):
    auth.login_as("member")
    ask(client)
    with app.app_context():
        question_id = db.session.scalar(select(Question.id))
    response = client.post(
        f"/posts/{question_id}/edit",
        data={
            "title": "How do I peer two VPCs across AWS accounts?",
            "body": BODY + " Both are in eu-west-1.",
            "tags": "aws vpc",
            "comment": "added region",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "Both are in eu-west-1." in page
    assert 'href="/tags/vpc"' in page
    history = client.get(f"/posts/{question_id}/revisions").get_data(as_text=True)
    assert "Revision 2" in history
    assert "added region" in history
    assert "Revision 1" in history
    with app.app_context():
        counts = dict(db.session.execute(select(Tag.name, Tag.question_count)).all())
        assert counts == {"aws": 1, "networking": 0, "vpc": 1}


def test_others_cannot_edit_or_delete(client, auth, make_question, app):
    question_id = make_question()
    auth.login_as("member")
    assert client.get(f"/posts/{question_id}/edit").status_code == 403
    response = client.post(
        f"/posts/{question_id}/edit", data={"title": TITLE, "body": BODY, "tags": "x"}
    )
    assert response.status_code == 403
    assert client.post(f"/posts/{question_id}/delete", data={}).status_code == 403
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.deleted_at is None
        assert question.title == "How do I rotate IAM access keys?"


def test_deleting_an_answer_reverses_what_it_earned(
    client, auth, make_user, make_question, make_answer, app
):
    asker = make_user()
    question_id = make_question(author_id=asker)
    answerer = make_user()
    answer_id = make_answer(question_id, author_id=answerer)
    give_points(app, auth.login_as("member"), 15)
    vote(client, answer_id, "up")
    auth.logout()
    with app.app_context():
        from gamify import services
        from kudos.models import User

        services.accept(db.session.get(User, asker), answer_id)
    assert points(app, answerer) == 26
    assert points(app, asker) == 3
    with app.app_context():
        from kudos.models import User

        email = db.session.get(User, answerer).email
    auth.login(email)
    client.post(f"/posts/{answer_id}/delete", data={})
    assert points(app, answerer) == 1
    assert points(app, asker) == 1
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.answer_count == 0
        assert question.accepted_answer_id is None
        assert ledger.verify() == []
    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "This answer is deleted" in page  # its author still sees it
    auth.logout()
    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "Use two keys" not in page


def test_a_lead_deletes_a_question_and_its_points_go(
    client, auth, make_user, make_question, make_answer, app
):
    asker = make_user()
    question_id = make_question(author_id=asker)
    answerer = make_user()
    answer_id = make_answer(question_id, author_id=answerer)
    give_points(app, auth.login_as("member"), 15)
    vote(client, question_id, "up")
    vote(client, answer_id, "up")
    auth.logout()
    assert (points(app, asker), points(app, answerer)) == (11, 11)
    auth.login_as("lead")
    client.post(f"/posts/{question_id}/delete", data={})
    assert (points(app, asker), points(app, answerer)) == (1, 1)
    auth.logout()
    assert client.get(f"/questions/{question_id}").status_code == 404
    assert TITLE not in client.get("/questions").get_data(as_text=True)


def test_lists_newest_active_unanswered_and_by_tag(client, make_question, make_answer):
    old = make_question(title="Terraform state locking with DynamoDB", tags="terraform aws")
    new = make_question(title="Kubernetes pod cannot pull from ECR", tags="kubernetes aws")
    make_answer(old)
    page = client.get("/questions").get_data(as_text=True)
    assert page.index("Kubernetes pod cannot pull") < page.index("Terraform state locking")
    page = client.get("/questions?sort=active").get_data(as_text=True)
    assert page.index("Terraform state locking") < page.index("Kubernetes pod cannot pull")
    page = client.get("/questions?sort=unanswered").get_data(as_text=True)
    assert "Kubernetes pod cannot pull" in page
    assert "Terraform state locking" not in page
    page = client.get("/tags/terraform").get_data(as_text=True)
    assert "Terraform state locking" in page
    assert "Kubernetes pod cannot pull" not in page
    assert client.get("/tags/no-such-tag").status_code == 404
    assert client.get("/questions?sort=sideways").status_code == 400
    assert new


def test_pagination(client, make_question, make_user):
    author = make_user()
    for number in range(22):
        make_question(author_id=author, title=f"Question number {number:02d} about IAM")
    page = client.get("/questions").get_data(as_text=True)
    assert "Page 1 of 2" in page
    assert "Question number 21" in page
    page2 = client.get("/questions?page=2").get_data(as_text=True)
    assert "Question number 00" in page2
    assert client.get("/questions?page=99").status_code == 200


def test_search_and_similar_questions(client, make_question):
    make_question(title="Rotate IAM access keys safely", body="Key rotation for CI users.")
    make_question(title="Kubernetes ingress returns 502", body="Behind an ALB.", tags="kubernetes")
    page = client.get("/search?q=rotation").get_data(as_text=True)
    assert "Rotate IAM access keys safely" in page
    assert "Kubernetes ingress" not in page
    assert client.get('/search?q="AND (*').status_code == 200
    data = client.get("/questions/similar?title=ingress 502 errors").get_json()
    assert [q["title"] for q in data["questions"]] == ["Kubernetes ingress returns 502"]


def test_ask_page_shows_similar_questions_without_javascript(client, auth, make_question):
    make_question(title="Kubernetes ingress returns 502", body="Behind an ALB.", tags="kubernetes")
    auth.login_as("member")
    response = client.post(
        "/questions/ask",
        data={"title": "Why does my ingress give 502?", "body": "", "tags": "", "check": "1"},
    )
    page = response.get_data(as_text=True)
    assert "Similar questions" in page
    assert "Kubernetes ingress returns 502" in page
    assert "Describe your question." not in page  # checking is not submitting


def test_question_page_loads_in_a_fixed_number_of_queries(client, make_question, make_answer, app):
    from sqlalchemy import event

    question_id = make_question()
    make_answer(question_id)
    with app.app_context():
        engine_ = db.engine

    def queries_for_page():
        counter = [0]

        def count(*args, **kwargs):
            counter[0] += 1

        event.listen(engine_, "before_cursor_execute", count)
        try:
            assert app.test_client().get(f"/questions/{question_id}").status_code == 200
        finally:
            event.remove(engine_, "before_cursor_execute", count)
        return counter[0]

    first = queries_for_page()
    for _ in range(6):
        make_answer(question_id)
    assert queries_for_page() == first


def test_view_counts_once_per_session(client, make_question, app):
    question_id = make_question()
    client.get(f"/questions/{question_id}")
    client.get(f"/questions/{question_id}")
    app.test_client().get(f"/questions/{question_id}")
    with app.app_context():
        assert db.session.get(Question, question_id).view_count == 2


def test_unknown_question_is_404(client):
    assert client.get("/questions/424242").status_code == 404
    assert re.search("Page not found", client.get("/questions/424242").get_data(as_text=True))
