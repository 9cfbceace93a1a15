"""Announcement pages: everyone reads them; leads and admins write, edit and delete them.

The form lives here rather than in feedback/forms.py because it is this page's only form.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from feedback import announcements
from feedback.announcements import BODY_MAX, TITLE_MAX, AnnouncementError
from kudos.forms import attach_error
from kudos.home import register_section
from kudos.models import Role
from kudos.security import role_required

bp = Blueprint("announcements", __name__)

writers_only = role_required(Role.LEAD, Role.ADMIN)


class AnnouncementForm(FlaskForm):
    # The lengths are loose on purpose: the service checks the cleaned text and says why.
    title = StringField(
        "Title",
        validators=[
            InputRequired("Give the announcement a title."),
            Length(max=TITLE_MAX + 50, message=f"A title has at most {TITLE_MAX} characters."),
        ],
    )
    body = TextAreaField(
        "Text",
        validators=[
            InputRequired("Write the text of the announcement."),
            Length(max=BODY_MAX, message=f"The text has at most {BODY_MAX} characters."),
        ],
        render_kw={"rows": 12},
    )


def _me():
    return current_user._get_current_object()


def _found(announcement_id: int):
    try:
        return announcements.get(announcement_id)
    except AnnouncementError as error:
        abort(error.status, error.message)


@bp.route("/announcements")
def index():
    page = request.args.get("page", 1, type=int) or 1
    return render_template(
        "feedback/announcements/index.html",
        pagination=announcements.page_of(page),
    )


@bp.route("/announcements/<int:announcement_id>")
def show(announcement_id: int):
    return render_template(
        "feedback/announcements/show.html",
        announcement=_found(announcement_id),
    )


@bp.route("/announcements/new", methods=["GET", "POST"])
@writers_only
def new():
    form = AnnouncementForm()
    if form.validate_on_submit():
        try:
            announcement = announcements.create(_me(), form.title.data, form.body.data)
        except AnnouncementError as error:
            if error.status != 400:
                abort(error.status, error.message)
            attach_error(form, error.message, error.field)
        else:
            flash("Your announcement is posted.", "success")
            return redirect(url_for("announcements.show", announcement_id=announcement.id))
    return render_template("feedback/announcements/form.html", form=form, announcement=None)


@bp.route("/announcements/<int:announcement_id>/edit", methods=["GET", "POST"])
@writers_only
def edit(announcement_id: int):
    announcement = _found(announcement_id)
    form = AnnouncementForm(obj=announcement)
    if form.validate_on_submit():
        try:
            announcements.edit(_me(), announcement_id, form.title.data, form.body.data)
        except AnnouncementError as error:
            if error.status != 400:
                abort(error.status, error.message)
            attach_error(form, error.message, error.field)
        else:
            flash("The announcement is saved.", "success")
            return redirect(url_for("announcements.show", announcement_id=announcement_id))
    return render_template("feedback/announcements/form.html", form=form, announcement=announcement)


@bp.route("/announcements/<int:announcement_id>/delete", methods=["POST"])
@writers_only
def delete(announcement_id: int):
    # CSRFProtect has already checked the token of this POST.
    try:
        announcements.delete(_me(), announcement_id)
    except AnnouncementError as error:
        if error.status != 404:
            abort(error.status, error.message)
        # A repeated click or a second lead got there first: the result is the same.
        flash("That announcement was already deleted.", "info")
    else:
        flash("The announcement is deleted.", "success")
    return redirect(url_for("announcements.index"))


def _home_section(viewer) -> dict:
    return {"announcements": announcements.newest()}


register_section("announcements", "feedback/announcements/_home.html", _home_section)
