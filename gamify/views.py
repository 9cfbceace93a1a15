"""Pages of the community Q&A and the leaderboards."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import partial

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from gamify import board_cache, engine, leaderboards, privileges, search, services
from gamify.forms import AnswerForm, AskForm, CommentForm, EditAnswerForm, EditForm, VoteForm
from gamify.models import Question
from kudos.extensions import login_manager
from kudos.forms import ActionForm, attach_error
from kudos.models import User, utcnow
from kudos.profile import register_section

bp = Blueprint("gamify", __name__)

QUESTIONS_PER_PAGE = 20
VIEWED_KEEP = 50


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _me():
    return current_user._get_current_object()


def _post_url(post) -> str:
    question_id = post.id if isinstance(post, Question) else post.parent_id
    return url_for("gamify.question", question_id=question_id, _anchor=f"post-{post.id}")


def _fail(error: services.QAError, back: str):
    """Turn a refused action into the page a user expects: 404, or a message and back."""
    if error.status == 404:
        abort(404, error.message)
    flash(error.message, "error")
    return redirect(back)


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _question_list(tag=None):
    sort = request.args.get("sort", "newest")
    if sort not in services.SORTS:
        abort(400, f"Questions can be sorted by {', '.join(services.SORTS)}.")
    pagination = services.list_questions(
        sort, _page(), QUESTIONS_PER_PAGE, tag=tag.name if tag else None
    )
    return render_template(
        "gamify/questions.html",
        pagination=pagination,
        sort=sort,
        tag=tag,
        popular_tags=services.popular_tags(),
    )


@bp.route("/questions")
def questions():
    return _question_list()


@bp.route("/tags/<name>")
def tag(name: str):
    try:
        tag = services.get_tag(name)
    except services.QAError as error:
        abort(404, error.message)
    return _question_list(tag)


@bp.route("/tags")
def tags():
    return render_template("gamify/tags.html", tags=services.popular_tags(limit=500))


@bp.route("/search")
def search_page():
    query = request.args.get("q", "").strip()[:200]
    results = search.search_questions(query, _page(), QUESTIONS_PER_PAGE)
    return render_template("gamify/search.html", query=query, results=results)


@bp.route("/questions/similar")
def similar():
    title = request.args.get("title", "").strip()[:200]
    found = search.similar_questions(title) if len(title) >= 3 else []
    return jsonify(
        questions=[
            {
                "id": question.id,
                "title": question.title,
                "url": url_for("gamify.question", question_id=question.id),
                "answers": question.answer_count,
                "score": question.score,
                "answered": question.accepted_answer_id is not None,
            }
            for question in found
        ]
    )


@bp.route("/questions/ask", methods=["GET", "POST"])
@login_required
def ask():
    form = AskForm()
    similar_found = []
    if request.method == "POST" and "check" in request.form:
        # Without JavaScript, "Check for similar questions" re-renders the form with them.
        similar_found = search.similar_questions(form.title.data or "")
    elif form.validate_on_submit():
        try:
            question = services.ask(_me(), form.title.data, form.body.data, form.tags.data)
        except services.QAError as error:
            attach_error(form, error.message, error.field)
        else:
            flash("Your question is posted.", "success")
            return redirect(url_for("gamify.question", question_id=question.id))
    if request.method == "POST" and not similar_found and form.title.data:
        similar_found = search.similar_questions(form.title.data)
    return render_template("gamify/ask.html", form=form, similar=similar_found)


def _count_view(question_id: int) -> None:
    """Count one view per question per browser session."""
    viewed = session.get("viewed", [])
    if question_id not in viewed and services.count_view(question_id):
        session["viewed"] = [*viewed, question_id][-VIEWED_KEEP:]


def _render_question(question_id: int, answer_form=None, status: int = 200):
    viewer = _viewer()
    try:
        page = services.question_page(question_id, viewer)
    except services.QAError as error:
        abort(404, error.message)
    return (
        render_template(
            "gamify/question.html",
            page=page,
            question=page.question,
            answer_form=answer_form or AnswerForm(),
            comment_form=CommentForm(),
            vote_form=VoteForm(),
            action_form=ActionForm(),
            can_edit_others=bool(viewer) and privileges.allowed(viewer, "edit_others"),
        ),
        status,
    )


@bp.route("/questions/<int:question_id>")
def question(question_id: int):
    _count_view(question_id)
    return _render_question(question_id)


@bp.route("/questions/<int:question_id>/answers", methods=["POST"])
@login_required
def answer(question_id: int):
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            post = services.answer(_me(), question_id, form.body.data)
        except services.QAError as error:
            if error.status == 404:
                abort(404, error.message)
            attach_error(form, error.message, error.field)
        else:
            flash("Your answer is posted.", "success")
            return redirect(_post_url(post))
    return _render_question(question_id, answer_form=form)


@bp.route("/posts/<int:post_id>/comments", methods=["POST"])
@login_required
def comment(post_id: int):
    form = CommentForm()
    try:
        post = services.get_post(post_id)
    except services.QAError as error:
        abort(404, error.message)
    back = _post_url(post)
    if not form.validate_on_submit():
        flash(" ".join(form.body.errors) or "The comment could not be saved.", "error")
        return redirect(back)
    try:
        services.add_comment(_me(), post_id, form.body.data)
    except services.QAError as error:
        return _fail(error, back)
    return redirect(back)


VOTE_VALUES = {"up": 1, "down": -1, "none": 0}


@bp.route("/posts/<int:post_id>/vote", methods=["POST"])
@login_required
def vote(post_id: int):
    form = VoteForm()
    try:
        post = services.get_post(post_id, allow_deleted=True)
    except services.QAError as error:
        abort(404, error.message)
    back = _post_url(post)
    if not form.validate_on_submit():
        flash("A vote is up, down or none.", "error")
        return redirect(back)
    try:
        services.vote(_me(), post_id, VOTE_VALUES[form.value.data])
    except services.QAError as error:
        return _fail(error, back)
    return redirect(back)


@bp.route("/answers/<int:answer_id>/accept", methods=["POST"])
@login_required
def accept(answer_id: int):
    try:
        question = services.accept(_me(), answer_id)
    except services.QAError as error:
        if error.status in (403, 404):
            abort(error.status, error.message)
        flash(error.message, "error")
        return redirect(url_for("gamify.questions"))
    flash("Answer accepted.", "success")
    return redirect(
        url_for("gamify.question", question_id=question.id, _anchor=f"post-{answer_id}")
    )


@bp.route("/questions/<int:question_id>/unaccept", methods=["POST"])
@login_required
def unaccept(question_id: int):
    try:
        services.unaccept(_me(), question_id)
    except services.QAError as error:
        abort(error.status if error.status in (403, 404) else 400, error.message)
    flash("The accepted answer was withdrawn.", "info")
    return redirect(url_for("gamify.question", question_id=question_id))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    try:
        post = services.get_post(post_id)
    except services.QAError as error:
        abort(404, error.message)
    me = _me()
    if me.id != post.author_id:
        try:
            privileges.require(me, "edit_others")
        except services.QAError as error:
            abort(403, error.message)
    is_question = isinstance(post, Question)
    if is_question:
        form = EditForm(
            title=post.title, body=post.body, tags=" ".join(tag.name for tag in post.tags)
        )
    else:
        form = EditAnswerForm(body=post.body)
    if form.validate_on_submit():
        try:
            services.edit(
                me,
                post.id,
                body=form.body.data,
                title=form.title.data if is_question else None,
                tags=form.tags.data if is_question else None,
                comment=form.comment.data,
            )
        except services.QAError as error:
            attach_error(form, error.message, error.field)
        else:
            flash("Your edit is saved.", "success")
            return redirect(_post_url(post))
    return render_template("gamify/edit.html", form=form, post=post, is_question=is_question)


@bp.route("/posts/<int:post_id>/revisions")
def revisions(post_id: int):
    try:
        post, rows = services.revisions(post_id, _viewer())
    except services.QAError as error:
        abort(404, error.message)
    return render_template("gamify/revisions.html", post=post, revisions=rows)


@bp.route("/posts/<int:post_id>/delete", methods=["POST"])
@login_required
def delete(post_id: int):
    try:
        post = services.delete(_me(), post_id)
    except services.QAError as error:
        abort(error.status if error.status in (403, 404) else 400, error.message)
    if isinstance(post, Question):
        flash("The question is deleted, and the points it earned were taken back.", "info")
        return redirect(url_for("gamify.questions"))
    flash("The answer is deleted, and the points it earned were taken back.", "info")
    return redirect(url_for("gamify.question", question_id=post.parent_id))


# Leaderboards


PERIOD_TABS = (
    ("week", "This week"),
    ("month", "This month"),
    ("quarter", "This quarter"),
    ("year", "This year"),
    ("all", "All time"),
)
HALL_OF_FAME_PERIODS = 6
# Stands in for the visitor's CSRF token in a page kept for every anonymous visitor; random
# per process, so that no text a user writes can contain it.
CSRF_SLOT = f"csrf-slot-{secrets.token_hex(16)}"
LEDGER_PER_PAGE = 20


@bp.route("/leaderboards", endpoint="leaderboards")
def show_leaderboards():
    period = request.args.get("period", "week")
    board = request.args.get("board", "members")
    tag = request.args.get("tag", "").strip() or None
    if period not in leaderboards.BOARD_PERIODS:
        abort(400, "There is no such leaderboard period: choose week, month, quarter, year or all.")
    if board not in leaderboards.BOARDS:
        abort(400, "There is no such leaderboard: choose the members or the staff board.")
    staff = board == "staff"
    if staff and not current_user.is_authenticated:
        return login_manager.unauthorized()
    if tag is not None and not leaderboards.tag_exists(tag):
        abort(404, f"There is no tag named “{tag}”.")
    today = utcnow().date()  # one date for every query of the page, even at midnight
    start = leaderboards.current_start(period, today) if period != "all" else None
    version = board_cache.version()
    page = partial(_leaderboards_page, version, period, board, tag, today, start)
    if current_user.is_authenticated or "_flashes" in session:
        return page()
    # An anonymous visitor's page differs from another's only by its CSRF token, so it is
    # rendered once per version and address with a slot where the token goes.
    html = board_cache.fresh(
        ("page", request.script_root, request.full_path, start),
        version,
        lambda: page(csrf_token=lambda: CSRF_SLOT),
        kind="pages",
    )
    return html.replace(CSRF_SLOT, escape(generate_csrf()))


def _leaderboards_page(version: int, period, board, tag, today, start, **context) -> str:
    """Render the leaderboard page for the current visitor from the parts kept at version."""
    staff = board == "staff"
    # Members are ranked on the members board only, leads and admins on the staff board only.
    ranked_here = current_user.is_authenticated and current_user.is_staff == staff
    standing = (
        leaderboards.rank_of(current_user.id, period, staff=staff, tag=tag, today=today)
        if ranked_here
        else None
    )
    board_key = (period, staff, tag, start)
    rows = board_cache.fresh(
        ("board", *board_key),
        version,
        lambda: tuple(leaderboards.board(period, staff=staff, tag=tag, today=today)),
    )
    mine = current_user.id if current_user.is_authenticated else None
    highlight = mine if any(row.user_id == mine for row in rows) else None
    board_html = (
        _fresh_html(
            version,
            ("board", *board_key, highlight),
            "gamify/_board_table.html",
            lambda: {"rows": rows, "highlight": highlight},
        )
        if rows
        else None
    )
    show_hall = period != "all" and not staff and tag is None
    hall_html = (
        _fresh_html(
            version,
            ("hall", period, start),
            "gamify/_hall_of_fame.html",
            lambda: {"hall": _hall(period, today)},
        )
        if show_hall
        else None
    )
    return render_template(
        "gamify/leaderboards.html",
        period=period,
        board=board,
        tag=tag,
        tabs=PERIOD_TABS,
        period_name=dict(PERIOD_TABS)[period],
        start=start,
        board_html=board_html,
        ranked_here=ranked_here,
        standing=standing,
        hall_html=hall_html,
        **context,
    )


def _hall(period: str, today) -> list:
    # Periods when nobody earned points (before the community started) are left out.
    return [
        entry
        for entry in leaderboards.hall_of_fame(period, count=HALL_OF_FAME_PERIODS, today=today)
        if entry[2]
    ]


def _fresh_html(version: int, key: tuple, template: str, context: Callable[[], dict]) -> Markup:
    """Render a part of the leaderboard page once per board version, per process.

    context() is called only when the part is rendered; key must name everything it shows.
    """
    html = board_cache.fresh(
        ("html", template, *key), version, lambda: render_template(template, **context())
    )
    return Markup(html)  # noqa: S704 - rendered by our own autoescaping template


def _points_section(user: User) -> dict:
    """Give the profile page a user's points, rank, chart and explained ledger."""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    ranked = not user.is_staff and not user.is_suspended
    return {
        "total": engine.total(user.id),
        "is_staff": user.is_staff,
        "standing": leaderboards.rank_of(user.id, "all", around=0) if ranked else None,
        "chart": leaderboards.points_chart(user.id),
        "history": leaderboards.history(
            user.id, page=page, per_page=LEDGER_PER_PAGE, show_deleted=current_user.is_staff
        ),
    }


register_section("points", "gamify/_profile_points.html", _points_section)
