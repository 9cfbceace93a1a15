"""Full-text search finds live questions by relevance and shrugs off any query text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from conftest import reset_schema
from gamify import search
from gamify.models import Answer, Question, Tag
from kudos.extensions import db

SEARCH_REVISION_PARENT = "b5cff8e2871d"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def author(make_user):
    return make_user()


@pytest.fixture
def ask(app, author):
    """Create a question with the models, index it, commit, and return its id."""

    def make(title, body="Nothing else to say here.", *, at=None, tags=()):
        with app.app_context():
            question = Question(title=title, body=body, author_id=author)
            if at is not None:
                question.created_at = question.last_activity_at = at
            question.tags = [Tag(name=name) for name in tags]
            db.session.add(question)
            db.session.flush()
            search.index_question(question.id)
            db.session.commit()
            return question.id

    return make


def found(query, page=1, per_page=20):
    return [question.id for question in search.search_questions(query, page, per_page).items]


def test_a_title_match_ranks_above_a_body_only_match(app, ask):
    # Unweighted, the short body that repeats the word would win.
    in_body = ask("Quotas", "Terraform, terraform and more terraform.")
    in_title = ask(
        "Terraform state is locked after a failed apply in the pipeline",
        "What do I do now that the run has stopped and nobody can apply any change at all?",
    )
    ask("Unrelated", "Nothing about infrastructure code.")
    with app.app_context():
        page = search.search_questions("terraform", 1, 20)
        assert [question.id for question in page.items] == [in_title, in_body]
        assert page.total == 2
        assert page.items[0].title.startswith("Terraform state")


def test_every_word_must_match_and_words_are_stemmed(app, ask):
    both = ask("Rotating access keys", "The deploy user needs new keys.")
    ask("Access reviews", "Who signs off the quarterly review?")
    with app.app_context():
        assert found("rotate access keys") == [both]
        assert found("ROTATING KEY") == [both]


def test_the_bodies_of_live_answers_are_searched(app, ask, author):
    question_id = ask("Cluster upgrade stuck", "The node pool never finishes.")
    with app.app_context():
        assert found("kubectl") == []
        answer = Answer(
            parent_id=question_id, body="Drain each node with kubectl.", author_id=author
        )
        db.session.add(answer)
        search.index_question(question_id)
        db.session.commit()
        assert found("kubectl drain") == [question_id]

        answer.deleted_at = T0
        search.index_question(question_id)
        db.session.commit()
        assert found("kubectl") == []
        assert found("cluster") == [question_id]


def test_a_deleted_question_disappears(app, ask):
    kept = ask("VPC peering across accounts")
    gone = ask("VPC endpoints for S3")
    with app.app_context():
        question = db.session.get(Question, gone)
        question.deleted_at = T0
        search.unindex_question(gone)
        db.session.commit()
        assert found("vpc") == [kept]
        assert search.similar_questions("vpc endpoints") == [db.session.get(Question, kept)]


def test_a_deleted_question_stays_out_even_if_reindexed(app, ask):
    question_id = ask("Budget alerts per account")
    with app.app_context():
        db.session.get(Question, question_id).deleted_at = T0
        search.index_question(question_id)
        db.session.commit()
        assert found("budget") == []


def test_an_edit_is_reindexed(app, ask):
    question_id = ask("Old wording about pipelines", "Some body text.")
    with app.app_context():
        question = db.session.get(Question, question_id)
        question.title = "New wording about workflows"
        question.body = "Rewritten entirely."
        search.index_question(question_id)
        db.session.commit()
        assert found("pipelines") == []
        assert found("workflows") == [question_id]
        assert found("rewritten") == [question_id]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"kubernetes',
        "*",
        "kubernetes*",
        "AND OR NOT",
        "kubernetes AND",
        "NOT kubernetes",
        "title:",
        "title: kubernetes",
        "(",
        "(kubernetes",
        "kubernetes)",
        "-x",
        "NEAR(kubernetes upgrade)",
        "kubernetes^2",
        "{title}: kubernetes",
        "'; DROP TABLE post; --",
        "\x00 kubernetes",
        "🚀",
        "🚀 kubernetes",
        "ü" * 50,
        "k" * 1000,
        "kubernetes " * 200,
        "x" * 50 + " " + "?" * 950,
    ],
)
def test_hostile_queries_never_break_the_search(app, ask, query):
    question_id = ask("Kubernetes upgrade fails", "The node pool is stuck.")
    with app.app_context():
        page = search.search_questions(query, 1, 20)
        assert page.total == len(page.items)
        assert set(question.id for question in page.items) <= {question_id}
        assert len(search.similar_questions(query)) <= 1
        assert db.session.get(Question, question_id) is not None


@pytest.mark.parametrize("query", ["kubernetes)", "(kubernetes", '"kubernetes"', "kubernetes*"])
def test_punctuation_around_a_word_still_finds_it(app, ask, query):
    question_id = ask("Kubernetes upgrade fails")
    with app.app_context():
        assert found(query) == [question_id]


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "?!", "🚀"])
def test_an_empty_query_returns_an_empty_page(app, ask, query):
    ask("Anything at all")
    with app.app_context():
        page = search.search_questions(query, 1, 20)
        assert (page.items, page.total, page.pages) == ([], 0, 0)


def test_pages_split_the_results_newest_first_on_equal_relevance(app, ask):
    ids = [
        ask("Same title on quotas", "Same body.", at=T0 + timedelta(minutes=n)) for n in range(25)
    ]
    ask("Something else", "Same body.")
    newest_first = list(reversed(ids))
    with app.app_context():
        first = search.search_questions("quotas", 1, 10)
        assert (first.total, first.pages, first.page, first.per_page) == (25, 3, 1, 10)
        assert first.has_next and not first.has_prev
        pages = [found("quotas", page, 10) for page in (1, 2, 3)]
        assert pages[0] + pages[1] + pages[2] == newest_first
        assert len(pages[2]) == 5
        assert found("quotas", 4, 10) == []
        assert found("quotas", 0, 10) == newest_first[:10]


def test_similar_questions_match_any_significant_word_of_a_draft_title(app, ask):
    best = ask("Rotate access keys for the deploy user")
    some = ask("Access reviews every quarter")
    ask("How do I write a good question?")
    with app.app_context():
        similar = search.similar_questions("How do I rotate my access keys?")
        assert [question.id for question in similar] == [best, some]
        assert search.similar_questions("how do I", limit=5) == []
        assert search.similar_questions("") == []
        assert len(search.similar_questions("access", limit=1)) == 1


def test_results_carry_their_tags(app, ask):
    ask("Tagged question on networking", tags=("vpc", "dns"))
    with app.app_context():
        (question,) = search.search_questions("networking", 1, 20).items
        assert [tag.name for tag in question.tags] == ["dns", "vpc"]


def test_reindex_all_rebuilds_the_index_from_the_posts(app, ask):
    live = ask("Service control policies")
    deleted = ask("Service quotas")
    with app.app_context():
        db.session.get(Question, deleted).deleted_at = T0
        assert search.reindex_all() == 1
        db.session.commit()
        assert found("service") == [live]


def test_drop_all_removes_the_search_table(app):
    with app.app_context():
        assert search.SEARCH_TABLE in inspect(db.engine).get_table_names()
        db.drop_all()
        assert not any(
            name.startswith(search.SEARCH_TABLE) for name in inspect(db.engine).get_table_names()
        )


def test_the_migration_builds_the_index_and_fills_it_with_existing_questions(app, make_user):
    directory = app.extensions["migrate"].directory
    with app.app_context():
        reset_schema()
        upgrade(directory=directory)
        author = make_user()
        question = Question(title="Migrated question about egress", body="Body.", author_id=author)
        db.session.add(question)
        db.session.commit()
        downgrade(directory=directory, revision=SEARCH_REVISION_PARENT)
        assert search.SEARCH_TABLE not in inspect(db.engine).get_table_names()

        upgrade(directory=directory)
        assert found("egress") == [question.id]
        question.body = "Now about ingress."
        search.index_question(question.id)
        db.session.commit()
        assert found("ingress") == [question.id]
