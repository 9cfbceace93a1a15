"""Forms of the core: sign-up, sign-in, account settings, administration."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import Email, EqualTo, InputRequired, Length

from kudos.models import Role
from kudos.services import DISPLAY_NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH

PASSWORD_RULE = Length(
    min=PASSWORD_MIN_LENGTH,
    max=PASSWORD_MAX_LENGTH,
    message=f"A password needs at least {PASSWORD_MIN_LENGTH} characters.",
)


def attach_error(form: FlaskForm, message: str, field: str | None = None) -> None:
    """Show a service's refusal on the field it concerns, or on the form as a whole."""
    target = getattr(form, field, None) if field else None
    if target is not None:
        target.errors = [*target.errors, message]
    else:
        form.form_errors.append(message)


class RegisterForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            InputRequired("Enter your email address."),
            Email("That email address is not valid."),
            Length(max=254),
        ],
    )
    display_name = StringField(
        "Display name",
        validators=[InputRequired("Enter a display name."), Length(max=DISPLAY_NAME_MAX_LENGTH)],
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Choose a password."), PASSWORD_RULE]
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[
            InputRequired("Repeat the password."),
            EqualTo("password", "The two passwords do not match."),
        ],
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])
    remember = BooleanField("Remember me")
    next = HiddenField()


class DisplayNameForm(FlaskForm):
    display_name = StringField(
        "Display name",
        validators=[InputRequired("Enter a display name."), Length(max=DISPLAY_NAME_MAX_LENGTH)],
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    new_password = PasswordField(
        "New password", validators=[InputRequired("Choose a new password."), PASSWORD_RULE]
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[
            InputRequired("Repeat the new password."),
            EqualTo("new_password", "The two passwords do not match."),
        ],
    )


class RoleForm(FlaskForm):
    role = SelectField(
        "Role", choices=[SelectChoice(role.value, role.value.capitalize()) for role in Role]
    )


class ActionForm(FlaskForm):
    """A button that only needs a CSRF token (log out, suspend, restore)."""


class PresetForm(FlaskForm):
    """The privilege preset an admin picks; the view fills in the choices the feature offers."""

    # The setting service checks the value and says which presets exist.
    preset = SelectField("Privilege preset", choices=[], validate_choice=False)
