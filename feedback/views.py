"""Pages of the suggestions board: list, submit, detail, triage, roadmap and changelog."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from feedback import boards
from feedback import suggestions as services
from feedback.forms import (
    BulkStatusForm,
    CommentForm,
    FollowForm,
    MergeForm,
    StatusForm,
    SuggestionForm,
    TagsForm,
    VoteForm,
)
from feedback.models import STATUSES, status_label
from feedback.web import form_failed, me, page_number, refuse, viewer
from kudos.forms import attach_error
from kudos.models import utcnow
from kudos.security import role_required

bp = Blueprint("feedback", __name__)

PER_PAGE = 20
TRIAGE_PER_PAGE = 50
SORT_TABS = (("trending", "Trending"), ("top", "Top"), ("newest", "Newest"))
LEAD_ROLES = ("lead", "admin")


def _detail(suggestion_id: int) -> str:
    return url_for("feedback.detail", suggestion_id=suggestion_id)


@bp.route("/suggestions")
def index():
    sort = request.args.get("sort", "trending")
    status = request.args.get("status", "").strip() or None
    tag = request.args.get("tag", "").strip().lower() or None
    query = request.args.get("q", "").strip()[:200] or None
    if sort not in boards.SORTS:
        abort(400, f"Suggestions can be sorted by {', '.join(boards.SORTS)}.")
    if status is not None and status not in STATUSES:
        abort(400, f"There is no status “{status}”.")
    pagination = boards.list_suggestions(
        sort, page_number(), PER_PAGE, status=status, tag=tag, query=query
    )
    return render_template(
        "feedback/index.html",
        pagination=pagination,
        sort=sort,
        status=status,
        tag=tag,
        query=query,
        tabs=SORT_TABS,
        statuses=[(value, status_label(value)) for value in STATUSES],
        tags=boards.all_tags(),
    )


@bp.route("/suggestions/similar")
def similar():
    title = request.args.get("title", "").strip()[:200]
    found = boards.similar(title) if len(title) >= 3 else []
    return jsonify(
        suggestions=[
            {
                "id": suggestion.id,
                "title": suggestion.title,
                "url": _detail(suggestion.id),
                "status": suggestion.status,
                "status_label": suggestion.status_label,
                "votes": suggestion.vote_count,
            }
            for suggestion in found
        ]
    )


@bp.route("/suggestions/new", methods=["GET", "POST"])
@login_required
def new():
    form = SuggestionForm()
    similar_found = []
    if request.method == "POST" and "check" in request.form:
        # Without JavaScript, "Check for similar suggestions" shows them on the form.
        similar_found = boards.similar(form.title.data or "")
    elif form.validate_on_submit():
        try:
            suggestion = services.submit(
                me(), form.title.data, form.description.data, form.tags.data
            )
        except services.FeedbackError as error:
            attach_error(form, error.message, error.field)
        else:
            flash("Your suggestion is posted. You will hear when its status changes.", "success")
            return redirect(_detail(suggestion.id))
    if request.method == "POST" and not similar_found and form.title.data:
        similar_found = boards.similar(form.title.data)
    return render_template("feedback/new.html", form=form, similar=similar_found)


def _render_detail(suggestion_id: int, comment_form=None, status: int = 200):
    try:
        page = boards.suggestion_page(suggestion_id, viewer())
    except services.FeedbackError as error:
        abort(404, error.message)
    suggestion = page.suggestion
    status_form = StatusForm(status=suggestion.status if suggestion.status != "duplicate" else None)
    return (
        render_template(
            "feedback/detail.html",
            page=page,
            suggestion=suggestion,
            comment_form=comment_form or CommentForm(),
            vote_form=VoteForm(),
            follow_form=FollowForm(),
            status_form=status_form,
            tags_form=TagsForm(tags=" ".join(tag.name for tag in suggestion.tags)),
            merge_form=MergeForm(),
        ),
        status,
    )


@bp.route("/suggestions/<int:suggestion_id>")
def detail(suggestion_id: int):
    return _render_detail(suggestion_id)


@bp.route("/suggestions/<int:suggestion_id>/vote", methods=["POST"])
@login_required
def vote(suggestion_id: int):
    form = VoteForm()
    back = _detail(suggestion_id)
    if not form.validate_on_submit():
        return form_failed(form, back, "A vote is cast or withdrawn.")
    try:
        if form.value.data == "up":
            services.vote(me(), suggestion_id)
        else:
            services.unvote(me(), suggestion_id)
    except services.FeedbackError as error:
        return refuse(error, back)
    return redirect(back)


@bp.route("/suggestions/<int:suggestion_id>/comments", methods=["POST"])
@login_required
def comment(suggestion_id: int):
    form = CommentForm()
    if form.validate_on_submit():
        try:
            services.comment(me(), suggestion_id, form.body.data)
        except services.FeedbackError as error:
            if error.status == 404:
                abort(404, error.message)
            attach_error(form, error.message, error.field)
        else:
            return redirect(_detail(suggestion_id) + "#comments")
    return _render_detail(suggestion_id, comment_form=form, status=400)


@bp.route("/suggestions/<int:suggestion_id>/follow", methods=["POST"])
@login_required
def follow(suggestion_id: int):
    form = FollowForm()
    back = _detail(suggestion_id)
    if not form.validate_on_submit():
        return form_failed(form, back, "Follow or unfollow.")
    try:
        if form.value.data == "follow":
            services.follow(me(), suggestion_id)
            flash("You follow this suggestion and will hear when its status changes.", "success")
        else:
            services.unfollow(me(), suggestion_id)
            flash("You no longer follow this suggestion.", "info")
    except services.FeedbackError as error:
        return refuse(error, back)
    return redirect(back)


# Leads


@bp.route("/suggestions/<int:suggestion_id>/status", methods=["POST"])
@role_required(*LEAD_ROLES)
def change_status(suggestion_id: int):
    form = StatusForm()
    back = _detail(suggestion_id)
    if not form.validate_on_submit():
        return form_failed(form, back, "The status could not be changed.")
    try:
        change = services.change_status(suggestion_id, me(), form.status.data, form.note.data)
    except services.FeedbackError as error:
        return refuse(error, back)
    flash(f"The suggestion is now {change.to_label}; its followers were told.", "success")
    return redirect(back)


@bp.route("/suggestions/<int:suggestion_id>/tags", methods=["POST"])
@role_required(*LEAD_ROLES)
def set_tags(suggestion_id: int):
    form = TagsForm()
    back = _detail(suggestion_id)
    if not form.validate_on_submit():
        return form_failed(form, back, "The tags could not be saved.")
    try:
        services.set_tags(suggestion_id, me(), form.tags.data)
    except services.FeedbackError as error:
        return refuse(error, back)
    flash("Tags saved.", "success")
    return redirect(back)


@bp.route("/suggestions/<int:suggestion_id>/merge", methods=["POST"])
@role_required(*LEAD_ROLES)
def merge(suggestion_id: int):
    form = MergeForm()
    back = _detail(suggestion_id)
    if not form.validate_on_submit():
        return form_failed(form, back, "Give the number of the original suggestion.")
    try:
        original = services.merge(suggestion_id, form.original.data, me(), form.note.data)
    except services.FeedbackError as error:
        if error.status == 404:
            flash(f"There is no suggestion #{form.original.data} to merge into.", "error")
            return redirect(back)
        return refuse(error, back)
    flash(f"Merged into #{original.id}; its votes and followers moved there.", "success")
    return redirect(_detail(original.id))


@bp.route("/suggestions/triage", methods=["GET", "POST"])
@role_required(*LEAD_ROLES)
def triage():
    form = BulkStatusForm()
    if request.method == "POST":
        back = url_for("feedback.triage")
        if not form.validate_on_submit():
            return form_failed(form, back, "The statuses could not be changed.")
        ids = [int(value) for value in request.form.getlist("suggestion") if value.isdigit()]
        try:
            changed = services.bulk_change_status(ids, me(), form.status.data, form.note.data)
        except services.FeedbackError as error:
            return refuse(error, back)
        count = len(changed)
        flash(
            f"{count} suggestion{'s' if count != 1 else ''} moved to "
            f"{status_label(form.status.data)}; their followers were told.",
            "success",
        )
        return redirect(back)
    return render_template(
        "feedback/triage.html",
        pagination=boards.untriaged(page_number(), TRIAGE_PER_PAGE),
        form=form,
    )


@bp.route("/suggestions/leaderboard")
@role_required(*LEAD_ROLES)
def leaderboard():
    today = utcnow().date()
    return render_template(
        "feedback/leaderboard.html",
        by_votes=boards.top_by_votes(),
        trending=boards.top_trending(),
        month=boards.top_contributors("month", today=today),
        all_time=boards.top_contributors("all", today=today),
        month_start=today.replace(day=1),
    )


# Public pages


@bp.route("/roadmap")
def roadmap():
    return render_template(
        "feedback/roadmap.html",
        roadmap=boards.roadmap(),
        days=boards.ROADMAP_COMPLETED_DAYS,
    )


@bp.route("/changelog")
def changelog():
    return render_template("feedback/changelog.html", months=boards.changelog())
