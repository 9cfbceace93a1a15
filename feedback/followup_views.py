"""The follow-up queue page: leads and admins see low scores and record what they did.

Members never reach it (403): the comments are private customer feedback.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from feedback import followups
from feedback.followups import FILTERS, NOTE_MAX, FollowUpError
from kudos.models import Role
from kudos.security import role_required

bp = Blueprint("followups", __name__)

leads_only = role_required(Role.LEAD, Role.ADMIN)


class ResolveForm(FlaskForm):
    note = TextAreaField(
        "What was done",
        validators=[
            InputRequired("Say what was done about this score."),
            Length(max=NOTE_MAX, message=f"A note has at most {NOTE_MAX} characters."),
        ],
        render_kw={"rows": 2},
    )


def _me():
    return current_user._get_current_object()


def _state() -> str:
    state = request.args.get("state", "all")
    if state not in FILTERS:
        abort(400, f"Show all, open or done follow-ups, not “{state}”.")
    return state


def _render(state: str, failed: int | None = None, form: ResolveForm | None = None):
    page = request.args.get("page", 1, type=int) or 1
    return render_template(
        "feedback/followups/index.html",
        pagination=followups.page_of(_me(), state, page),
        state=state,
        filters=FILTERS,
        failed=failed,
        failed_form=form,
        form=ResolveForm(formdata=None),
    )


@bp.route("/follow-ups")
@leads_only
def index():
    return _render(_state())


@bp.route("/follow-ups/<int:followup_id>/resolve", methods=["POST"])
@leads_only
def resolve(followup_id: int):
    state = _state()
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            followups.resolve(followup_id, _me(), form.note.data)
        except FollowUpError as error:
            if error.status in (403, 404):
                abort(error.status, error.message)
            if error.status == 409:
                flash(error.message, "info")
                return redirect(url_for("followups.index", state=state))
            form.note.errors = [*form.note.errors, error.message]
        else:
            flash("Recorded what was done; the follow-up is closed.", "success")
            return redirect(url_for("followups.index", state=state))
    else:
        try:
            followups.get(followup_id)
        except FollowUpError as error:
            abort(error.status, error.message)
    return _render(state, failed=followup_id, form=form)
