"""Forms of the help desk: the request form, replies and notes, the leads' tools, the rating."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from feedback.support import COMMENT_MAX, DESCRIPTION_MAX, MESSAGE_MAX
from feedback.support_models import CATEGORIES, PRIORITIES, STATUSES, SUBJECT_MAX

CATEGORY_CHOICES = [
    SelectChoice("", "Choose a category"),
    *(SelectChoice(value, label) for value, label in CATEGORIES.items()),
]
PRIORITY_CHOICES = [SelectChoice(priority, priority.capitalize()) for priority in PRIORITIES]
STATUS_CHOICES = [SelectChoice(status, status.capitalize()) for status in STATUSES]


class RequestForm(FlaskForm):
    # Choices and lengths are the service's to judge, so that its message is the one shown.
    subject = StringField(
        "Subject",
        validators=[InputRequired("Give your request a subject."), Length(max=SUBJECT_MAX + 50)],
    )
    description = TextAreaField(
        "Description",
        validators=[InputRequired("Describe what you need."), Length(max=DESCRIPTION_MAX)],
    )
    category = SelectField("Category", choices=CATEGORY_CHOICES, validate_choice=False)
    priority = SelectField(
        "Priority", choices=PRIORITY_CHOICES, default="normal", validate_choice=False
    )
    session = HiddenField()


class ReplyForm(FlaskForm):
    body = TextAreaField(
        "Reply", validators=[InputRequired("Write a reply."), Length(max=MESSAGE_MAX + 50)]
    )
    internal = BooleanField("Internal note (only leads see it)")
    status = SelectField(
        "Then set the status to",
        choices=[SelectChoice("", "Keep the status"), *STATUS_CHOICES],
        validate_choice=False,
    )


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=STATUS_CHOICES, validate_choice=False)


class AssignForm(FlaskForm):
    assignee = SelectField("Assignee", choices=[SelectChoice("", "Nobody")], validate_choice=False)


class PriorityForm(FlaskForm):
    priority = SelectField("Priority", choices=PRIORITY_CHOICES, validate_choice=False)


class LinkForm(FlaskForm):
    suggestion = IntegerField("Needs the feature of suggestion #", validators=[Optional()])


class RatingForm(FlaskForm):
    score = RadioField(
        "How satisfied are you with the help you got?",
        choices=[SelectChoice(str(value), str(value)) for value in range(1, 6)],
        validate_choice=False,
    )
    reason = TextAreaField(
        "What went wrong? (needed for a rating of 3 or lower)",
        validators=[Optional(), Length(max=COMMENT_MAX + 50)],
    )
    comment = TextAreaField("Anything else?", validators=[Optional(), Length(max=COMMENT_MAX + 50)])


class SlaForm(FlaskForm):
    priority = HiddenField()
    first_response_hours = IntegerField(
        "First response (hours)", validators=[InputRequired("Give the hours.")]
    )
    resolution_hours = IntegerField(
        "Resolution (hours)", validators=[InputRequired("Give the hours.")]
    )


class SessionForm(FlaskForm):
    """The "one of these solved it" button of a form session."""

    session = HiddenField()
