"""Pages of the help desk: a member's requests, the request form with its suggested answers,
one request with its conversation and rating, the leads' queue and tools, the SLA targets, and
the JSON view of requests under /api/v1.

A request is visible to its requester and to leads; anyone else gets 404, so guessing ids
tells nothing. Internal notes are loaded for leads only.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from feedback import support as services
from feedback import web
from feedback.support_forms import (
    AssignForm,
    LinkForm,
    PriorityForm,
    RatingForm,
    ReplyForm,
    RequestForm,
    SessionForm,
    SlaForm,
    StatusForm,
)
from feedback.support_models import CATEGORIES, PRIORITIES, STATUSES
from feedback.web import form_failed, page_number, refuse
from kudos.forms import attach_error
from kudos.models import utcnow
from kudos.security import role_required

bp = Blueprint("support", __name__)

PER_PAGE = 25
LEAD_ROLES = ("lead", "admin")


def _detail(request_id: int) -> str:
    return url_for("support.detail", request_id=request_id)


@bp.route("/support")
@login_required
def index():
    me = web.me()
    if not me.is_staff:
        return render_template(
            "feedback/support/index.html",
            pagination=services.own_requests(me, page_number(), PER_PAGE),
        )
    args = request.args
    try:
        filters = services.check_filter(
            args.get("status", "").strip(),
            args.get("category", "").strip(),
            args.get("priority", "").strip(),
            args.get("assignee", "").strip(),
            args.get("sla", "").strip(),
        )
    except services.SupportError as error:
        abort(400, error.message)
    now = utcnow()
    pagination = services.queue(me, filters, page_number(), PER_PAGE, now=now)
    return render_template(
        "feedback/support/queue.html",
        pagination=pagination,
        filters=filters,
        states={item.id: services.sla_state(item, now) for item in pagination.items},
        statuses=STATUSES,
        categories=CATEGORIES,
        priorities=PRIORITIES,
        staff=services.staff_members(),
    )


def _render_new(form, found, status: int = 200):
    return (
        render_template(
            "feedback/support/new.html",
            form=form,
            found=found,
            solved_form=SessionForm(session=form.session.data),
        ),
        status,
    )


@bp.route("/support/new", methods=["GET", "POST"])
@login_required
def new():
    me = web.me()
    form = RequestForm()
    if request.method == "GET":
        form.session.data = services.start_session(me)
        return _render_new(form, None)
    if "check" in request.form:
        # Without JavaScript, "Find answers first" shows the matches on the form.
        return _render_new(form, services.show_matches(me, form.session.data, form.subject.data))
    if form.validate_on_submit():
        try:
            filed = services.file_request(
                me,
                form.subject.data,
                form.description.data,
                form.category.data,
                form.priority.data,
                session_id=form.session.data,
            )
        except services.SupportError as error:
            attach_error(form, error.message, error.field)
        else:
            flash("Your request is filed. You will be told of every reply.", "success")
            return redirect(_detail(filed.id))
    found = services.show_matches(me, form.session.data, form.subject.data or "")
    return _render_new(form, found, 400)


@bp.route("/support/similar")
@login_required
def similar():
    found = services.show_matches(
        web.me(), request.args.get("session", ""), request.args.get("subject", "")[:200]
    )
    session = request.args.get("session", "")

    def link(kind: str, target_id: int) -> str:
        return url_for(
            "support.open_match", session_id=session or "-", kind=kind, target_id=target_id
        )

    return jsonify(
        questions=[
            {
                "id": question.id,
                "title": question.title,
                "url": link("question", question.id),
                "answers": question.answer_count or 0,
                "accepted": question.accepted_answer_id is not None,
            }
            for question in found.questions
        ],
        suggestions=[
            {
                "id": suggestion.id,
                "title": suggestion.title,
                "url": link("suggestion", suggestion.id),
                "status": suggestion.status,
                "status_label": suggestion.status_label,
            }
            for suggestion in found.suggestions
        ],
    )


@bp.route("/support/open/<session_id>/<kind>/<int:target_id>")
@login_required
def open_match(session_id: str, kind: str, target_id: int):
    try:
        target = services.open_match(web.me(), session_id, kind, target_id)
    except services.SupportError as error:
        abort(404, error.message)
    return redirect(target)


@bp.route("/support/solved", methods=["POST"])
@login_required
def solved():
    form = SessionForm()
    if not form.validate_on_submit():
        return form_failed(form, url_for("support.new"), "Try again from the request form.")
    services.mark_solved(web.me(), form.session.data)
    flash("Glad that helped! No request was filed.", "success")
    return redirect(url_for("support.index"))


def _render_detail(request_id: int, reply_form=None, rating_form=None, status: int = 200):
    me = web.me()
    try:
        item = services.get_visible(request_id, me)
    except services.SupportError as error:
        abort(404, error.message)
    assign_form = AssignForm(assignee=str(item.assignee_id or ""))
    staff = services.staff_members() if me.is_staff else []
    assign_form.assignee.choices = [
        SelectChoice("", "Nobody"),
        *(SelectChoice(str(u.id), u.display_name) for u in staff),
    ]
    return (
        render_template(
            "feedback/support/detail.html",
            item=item,
            messages=services.messages_for(item, me),
            history=services.history_of(item) if me.is_staff else [],
            rating=services.rating_of(item.id),
            sla=services.sla_state(item),
            reply_form=reply_form or ReplyForm(),
            rating_form=rating_form or RatingForm(),
            status_form=StatusForm(status=item.status),
            assign_form=assign_form,
            priority_form=PriorityForm(priority=item.priority),
            link_form=LinkForm(suggestion=item.suggestion_id),
            transitions=services.TRANSITIONS[item.status],
        ),
        status,
    )


@bp.route("/support/<int:request_id>")
@login_required
def detail(request_id: int):
    return _render_detail(request_id)


@bp.route("/support/<int:request_id>/reply", methods=["POST"])
@login_required
def reply(request_id: int):
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            services.reply(
                request_id,
                web.me(),
                form.body.data,
                internal=bool(form.internal.data),
                status=form.status.data or None,
            )
        except services.SupportError as error:
            if error.status in (403, 404):
                abort(error.status, error.message)
            attach_error(form, error.message, error.field if error.field == "body" else None)
        else:
            flash("Internal note added." if form.internal.data else "Reply sent.", "success")
            return redirect(_detail(request_id) + "#conversation")
    return _render_detail(request_id, reply_form=form, status=400)


@bp.route("/support/<int:request_id>/rating", methods=["POST"])
@login_required
def rate(request_id: int):
    form = RatingForm()
    if form.validate_on_submit():
        raw = form.score.data
        score = int(raw) if raw and str(raw).isdigit() else None
        try:
            services.rate(request_id, web.me(), score, form.comment.data, form.reason.data)
        except services.SupportError as error:
            if error.status != 400:  # not solved yet, already rated, not yours
                return refuse(error, _detail(request_id))
            attach_error(form, error.message, error.field)
        else:
            flash("Thank you for rating the help you got.", "success")
            return redirect(_detail(request_id) + "#rating")
    return _render_detail(request_id, rating_form=form, status=400)


# Leads


@bp.route("/support/<int:request_id>/status", methods=["POST"])
@role_required(*LEAD_ROLES)
def change_status(request_id: int):
    form = StatusForm()
    back = _detail(request_id)
    if not form.validate_on_submit():
        return form_failed(form, back, "The status could not be changed.")
    try:
        item = services.change_status(request_id, web.me(), form.status.data)
    except services.SupportError as error:
        return refuse(error, back)
    flash(f"The request is now {item.status}; the requester was told.", "success")
    return redirect(back)


@bp.route("/support/<int:request_id>/assign", methods=["POST"])
@role_required(*LEAD_ROLES)
def assign(request_id: int):
    form = AssignForm()
    back = _detail(request_id)
    if not form.validate_on_submit():
        return form_failed(form, back, "The request could not be assigned.")
    raw = form.assignee.data or ""
    if raw and not raw.isdigit():
        flash("Assign the request to an active lead.", "error")
        return redirect(back)
    try:
        item = services.assign(request_id, web.me(), int(raw) if raw else None)
    except services.SupportError as error:
        return refuse(error, back)
    flash(
        f"Assigned to {item.assignee.display_name}." if item.assignee else "Unassigned.",
        "success",
    )
    return redirect(back)


@bp.route("/support/<int:request_id>/priority", methods=["POST"])
@role_required(*LEAD_ROLES)
def set_priority(request_id: int):
    form = PriorityForm()
    back = _detail(request_id)
    if not form.validate_on_submit():
        return form_failed(form, back, "The priority could not be changed.")
    try:
        item = services.set_priority(request_id, web.me(), form.priority.data)
    except services.SupportError as error:
        return refuse(error, back)
    flash(f"Priority set to {item.priority}; the SLA due times follow it.", "success")
    return redirect(back)


@bp.route("/support/<int:request_id>/link", methods=["POST"])
@role_required(*LEAD_ROLES)
def link_suggestion(request_id: int):
    form = LinkForm()
    back = _detail(request_id)
    if not form.validate_on_submit():
        return form_failed(form, back, "Give the number of a suggestion.")
    try:
        item = services.link_suggestion(request_id, web.me(), form.suggestion.data)
    except services.SupportError as error:
        return refuse(error, back)
    if item.suggestion_id:
        flash(f"Linked to suggestion #{item.suggestion_id}; the requester follows it.", "success")
    else:
        flash("The request no longer waits for a suggestion.", "info")
    return redirect(back)


@bp.route("/support/sla", methods=["GET", "POST"])
@role_required("admin")
def sla():
    form = SlaForm()
    if request.method == "POST":
        back = url_for("support.sla")
        if not form.validate_on_submit():
            return form_failed(form, back, "The targets could not be saved.")
        try:
            target = services.set_sla_target(
                web.me(),
                form.priority.data,
                form.first_response_hours.data,
                form.resolution_hours.data,
            )
        except services.SupportError as error:
            return refuse(error, back)
        flash(
            f"{target.priority.capitalize()} requests filed from now on: first response within "
            f"{target.first_response_hours} h, resolution within {target.resolution_hours} h.",
            "success",
        )
        return redirect(back)
    return render_template(
        "feedback/support/sla.html",
        targets=services.sla_targets(),
        forms={
            priority: SlaForm(
                priority=priority,
                first_response_hours=target.first_response_hours,
                resolution_hours=target.resolution_hours,
            )
            for priority, target in services.sla_targets().items()
        },
    )


# JSON


def _api_user():
    if not current_user.is_authenticated:
        abort(401, "Log in to use the support API.")
    return web.me()


def _as_json(item, viewer, messages=None) -> dict:
    state = services.sla_state(item)
    data = {
        "id": item.id,
        "subject": item.subject,
        "description": item.description,
        "category": item.category,
        "priority": item.priority,
        "status": item.status,
        "created_at": item.created_at.isoformat(),
        "first_response_at": item.first_response_at.isoformat() if item.first_response_at else None,
        "solved_at": item.solved_at.isoformat() if item.solved_at else None,
        "sla": {"first_response": state.first_response, "resolution": state.resolution},
        "url": _detail(item.id),
    }
    if messages is not None:
        data["messages"] = [
            {
                "id": message.id,
                "author": message.author.display_name,
                "body": message.body,
                "created_at": message.created_at.isoformat(),
                **({"internal": message.internal} if viewer.is_staff else {}),
            }
            for message in messages
        ]
        rating = services.rating_of(item.id)
        data["rating"] = (
            {"score": rating.score, "comment": rating.comment, "reason": rating.reason}
            if rating
            else None
        )
    return data


@bp.route("/api/v1/support/requests")
def api_list():
    me = _api_user()
    pagination = services.own_requests(me, page_number(), PER_PAGE)
    return jsonify(
        requests=[_as_json(item, me) for item in pagination.items],
        page=pagination.page,
        pages=pagination.pages,
        total=pagination.total,
    )


@bp.route("/api/v1/support/requests/<int:request_id>")
def api_detail(request_id: int):
    me = _api_user()
    try:
        item = services.get_visible(request_id, me)
    except services.SupportError as error:
        abort(404, error.message)
    return jsonify(_as_json(item, me, services.messages_for(item, me)))
