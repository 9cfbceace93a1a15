"""Survey pages: members answer open surveys once; leads and admins run them and see results.

The forms live here rather than in feedback/forms.py because only these pages use them.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from feedback import surveys
from feedback.surveys import COMMENT_MAX, KINDS, QUESTION_MAX, SurveyError
from kudos.forms import attach_error
from kudos.home import register_section
from kudos.models import Role
from kudos.security import role_required

bp = Blueprint("surveys", __name__)

runners_only = role_required(Role.LEAD, Role.ADMIN)


class SurveyForm(FlaskForm):
    # The service names unknown kinds and checks the cleaned text, so it gives the reasons.
    kind = SelectField(
        "Kind",
        choices=[SelectChoice(kind, label) for kind, label in KINDS.items()],
        validate_choice=False,
    )
    question = StringField(
        "Question",
        validators=[
            InputRequired("Write the question the survey asks."),
            Length(
                max=QUESTION_MAX + 50, message=f"A question has at most {QUESTION_MAX} characters."
            ),
        ],
    )
    opens_on = DateField(
        "First day", validators=[InputRequired("Choose the day the survey opens.")]
    )
    closes_on = DateField(
        "Last day", validators=[InputRequired("Choose the last day of the survey.")]
    )


class AnswerForm(FlaskForm):
    # A string, so that the service can say which scores the survey takes.
    score = StringField("Score", validators=[InputRequired("Choose a score.")])
    comment = TextAreaField(
        "Comment (optional)",
        validators=[
            Length(max=COMMENT_MAX, message=f"A comment has at most {COMMENT_MAX} characters.")
        ],
        render_kw={"rows": 4},
    )


def _me():
    return current_user._get_current_object()


def _found(survey_id: int) -> surveys.Survey:
    try:
        return surveys.get(survey_id)
    except SurveyError as error:
        abort(error.status, error.message)


@bp.route("/surveys")
@login_required
def index():
    return render_template("feedback/surveys/index.html", open_surveys=surveys.open_for(_me()))


@bp.route("/surveys/manage")
@runners_only
def manage():
    page = request.args.get("page", 1, type=int) or 1
    pagination = surveys.page_of(_me(), page)
    return render_template(
        "feedback/surveys/manage.html",
        pagination=pagination,
        counts=surveys.response_counts([survey.id for survey in pagination.items]),
    )


@bp.route("/surveys/new", methods=["GET", "POST"])
@runners_only
def new():
    form = SurveyForm()
    if form.validate_on_submit():
        try:
            survey = surveys.create(
                _me(), form.kind.data, form.question.data, form.opens_on.data, form.closes_on.data
            )
        except SurveyError as error:
            if error.status != 400:
                abort(error.status, error.message)
            attach_error(form, error.message, error.field)
        else:
            flash("The survey is saved; members see it while it is open.", "success")
            return redirect(url_for("surveys.results", survey_id=survey.id))
    return render_template("feedback/surveys/form.html", form=form)


@bp.route("/surveys/<int:survey_id>", methods=["GET", "POST"])
@login_required
def show(survey_id: int):
    survey = _found(survey_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            surveys.answer(_me(), survey_id, form.score.data, form.comment.data)
        except SurveyError as error:
            if error.status in (403, 404):
                abort(error.status, error.message)
            attach_error(form, error.message, error.field)
        else:
            flash("Thank you for your answer.", "success")
            return redirect(url_for("surveys.show", survey_id=survey_id))
    return render_template(
        "feedback/surveys/show.html",
        survey=survey,
        form=form,
        mine=surveys.response_of(_me(), survey_id),
    )


@bp.route("/surveys/<int:survey_id>/results")
@runners_only
def results(survey_id: int):
    try:
        survey, found = surveys.results(_me(), survey_id)
    except SurveyError as error:
        abort(error.status, error.message)
    return render_template("feedback/surveys/results.html", survey=survey, results=found)


@bp.route("/surveys/<int:survey_id>/close", methods=["POST"])
@runners_only
def close(survey_id: int):
    # CSRFProtect has already checked the token of this POST.
    try:
        surveys.close(_me(), survey_id)
    except SurveyError as error:
        if error.status != 409:
            abort(error.status, error.message)
        flash(error.message, "info")
    else:
        flash("The survey is closed; it takes no more answers.", "success")
    return redirect(url_for("surveys.results", survey_id=survey_id))


def _home_section(viewer) -> dict:
    if not getattr(viewer, "is_authenticated", False):
        return {"surveys": []}
    return {"surveys": surveys.open_for(viewer, limit=surveys.HOME_COUNT)}


register_section("surveys", "feedback/surveys/_home.html", _home_section)
