"""Forms of the community Q&A."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from gamify.services import BODY_MAX, COMMENT_MAX, TITLE_MAX


class AskForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[InputRequired("Give your question a title."), Length(max=TITLE_MAX + 50)],
    )
    body = TextAreaField(
        "Body", validators=[InputRequired("Describe your question."), Length(max=BODY_MAX)]
    )
    tags = StringField("Tags", validators=[InputRequired("Add at least one tag."), Length(max=200)])


class EditForm(AskForm):
    comment = StringField("Edit summary", validators=[Optional(), Length(max=200)])


class AnswerForm(FlaskForm):
    body = TextAreaField(
        "Your answer", validators=[InputRequired("Write your answer."), Length(max=BODY_MAX)]
    )


class EditAnswerForm(AnswerForm):
    comment = StringField("Edit summary", validators=[Optional(), Length(max=200)])


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Comment", validators=[InputRequired("Write a comment."), Length(max=COMMENT_MAX + 50)]
    )


class VoteForm(FlaskForm):
    value = HiddenField(validators=[AnyOf(["up", "down", "none"], "A vote is up, down or none.")])
