"""Forms of the suggestions board."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from feedback.models import TITLE_MAX, status_label
from feedback.suggestions import COMMENT_MAX, DESCRIPTION_MAX, NOTE_MAX, SETTABLE_STATUSES

STATUS_CHOICES = [
    SelectChoice(status, status_label(status).capitalize()) for status in SETTABLE_STATUSES
]


class SuggestionForm(FlaskForm):
    # Lengths are the service's to judge, so that its message is the one shown.
    title = StringField(
        "Title",
        validators=[InputRequired("Give your suggestion a title."), Length(max=TITLE_MAX + 50)],
    )
    description = TextAreaField(
        "Description",
        validators=[InputRequired("Describe your suggestion."), Length(max=DESCRIPTION_MAX)],
    )
    tags = StringField("Tags", validators=[Optional(), Length(max=200)])


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Comment", validators=[InputRequired("Write a comment."), Length(max=COMMENT_MAX + 50)]
    )


class VoteForm(FlaskForm):
    value = HiddenField(validators=[AnyOf(["up", "none"], "A vote is cast or withdrawn.")])


class FollowForm(FlaskForm):
    value = HiddenField(validators=[AnyOf(["follow", "unfollow"], "Follow or unfollow.")])


class StatusForm(FlaskForm):
    # Any value reaches the service, which names the statuses that exist.
    status = SelectField("New status", choices=STATUS_CHOICES, validate_choice=False)
    note = TextAreaField("Note to followers", validators=[Optional(), Length(max=NOTE_MAX + 50)])


class TagsForm(FlaskForm):
    tags = StringField("Tags", validators=[Optional(), Length(max=200)])


class MergeForm(FlaskForm):
    original = IntegerField(
        "Merge into suggestion #", validators=[InputRequired("Give the original's number.")]
    )
    note = TextAreaField("Note to followers", validators=[Optional(), Length(max=NOTE_MAX + 50)])


class BulkStatusForm(StatusForm):
    """The status change applied to every suggestion ticked on the triage page."""
