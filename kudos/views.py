"""Core pages: home and health, sign-up and sign-in, account settings, notifications,
profiles, admin."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import TooManyRequests

from kudos import home, notifications, services, settings
from kudos.database import migration_state
from kudos.forms import (
    ActionForm,
    DisplayNameForm,
    LoginForm,
    PasswordForm,
    PresetForm,
    RegisterForm,
    RoleForm,
    attach_error,
)
from kudos.models import Role
from kudos.profile import sections
from kudos.security import client_address, is_safe_next, role_required

log = logging.getLogger(__name__)

main = Blueprint("main", __name__)
auth = Blueprint("auth", __name__)
users = Blueprint("users", __name__, url_prefix="/users")
admin = Blueprint("admin", __name__, url_prefix="/admin")


def _redirect_next(default: str = "main.index"):
    target = request.values.get("next")
    return redirect(target if is_safe_next(target) else url_for(default))


def _wait_phrase(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if seconds > 60 else "a minute"


@main.route("/")
def index():
    return render_template("main/index.html", sections=home.sections(current_user))


@main.route("/healthz")
def healthz():
    state = migration_state()
    healthy = state["reachable"] and not state["behind"]
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": {"reachable": state["reachable"]},
        "migrations": {
            "current": state["current"],
            "head": state["head"],
            "at_head": state["at_head"],
            "behind": state["behind"],
        },
    }
    return jsonify(body), 200 if healthy else 503


@main.app_context_processor
def unread_notifications():
    """Give every page the signed-in user's unread count for the bell (one COUNT query)."""
    if not current_user.is_authenticated:
        return {}
    try:
        return {"unread_notifications": notifications.unread_count(current_user.id)}
    except SQLAlchemyError:
        # A page (an error page, say) must still render when the count cannot be read.
        log.exception("Could not count the unread notifications of user %s", current_user.id)
        return {}


@main.route("/notifications")
@login_required
def notification_list():
    page = max(1, request.args.get("page", 1, type=int) or 1)
    pagination = notifications.page_for(current_user.id, page)
    return render_template(
        "notifications/index.html",
        pagination=pagination,
        safe_links={n.id for n in pagination.items if is_safe_next(n.link)},
    )


@main.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read_notification(notification_id: int):
    notification = notifications.get_for(current_user.id, notification_id)
    if notification is None:
        abort(404, "There is no such notification.")
    link = notification.link
    notifications.mark_read(current_user.id, notification_id)
    return redirect(link if is_safe_next(link) else url_for("main.notification_list"))


@main.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all_notifications():
    changed = notifications.mark_read(current_user.id)
    if changed:
        flash(
            f"{changed} notification{'s' if changed != 1 else ''} marked as read.",
            "success",
        )
    return redirect(url_for("main.notification_list"))


@auth.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register(form.email.data, form.display_name.data, form.password.data)
        except services.AccountError as error:
            attach_error(form, error.message, error.field)
        else:
            login_user(user)
            flash(f"Welcome to Kudos, {user.display_name}!", "success")
            return _redirect_next()
    return render_template("auth/register.html", form=form)


@auth.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return _redirect_next()
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, client_address())
        except services.LoginThrottled as throttled:
            wait = throttled.retry_after
            raise TooManyRequests(
                "Too many failed sign-in attempts for this account or from your address. "
                f"Try again in {_wait_phrase(wait)} "
                f"(after {throttled.until:%H:%M} UTC).",
                retry_after=wait,
            ) from None
        except services.AccountError as error:
            attach_error(form, error.message, error.field)
        else:
            login_user(user, remember=form.remember.data)
            flash(f"Welcome back, {user.display_name}.", "success")
            return _redirect_next()
    return render_template("auth/login.html", form=form)


@auth.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("You have been logged out.", "info")
    return redirect(url_for("main.index"))


@auth.route("/account", methods=["GET", "POST"])
@login_required
def account():
    me = current_user._get_current_object()
    name_form = DisplayNameForm(prefix="name", display_name=current_user.display_name)
    password_form = PasswordForm(prefix="password")
    if "name-display_name" in request.form and name_form.validate_on_submit():
        try:
            services.change_display_name(me, name_form.display_name.data)
        except services.AccountError as error:
            attach_error(name_form, error.message, error.field)
        else:
            flash("Your display name has been changed.", "success")
            return redirect(url_for("auth.account"))
    elif "password-new_password" in request.form and password_form.validate_on_submit():
        try:
            user = services.change_password(
                me,
                password_form.current_password.data,
                password_form.new_password.data,
            )
        except services.AccountError as error:
            attach_error(password_form, error.message, error.field)
        else:
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            # The password change ended every session, this one included; start it again.
            login_user(user, remember=remembered in request.cookies)
            flash("Your password has been changed; other sessions have been logged out.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", name_form=name_form, password_form=password_form)


@users.route("/<int:user_id>")
def profile(user_id: int):
    user = services.get_user(user_id)
    if user is None or (user.is_suspended and not current_user.is_staff):
        abort(404)
    return render_template("users/profile.html", user=user, sections=sections(user))


@admin.route("/", endpoint="index")
@role_required(Role.ADMIN)
def user_list():
    query = request.args.get("q", "").strip()
    page = request.args.get("page", 1, type=int)
    pagination = services.search_users(query, page, current_app.config["USERS_PER_PAGE"])
    # The privilege preset is offered once a feature (gamify) has declared it.
    preset_choice = settings.registered(settings.PRIVILEGE_PRESET)
    preset_form = None
    if preset_choice is not None:
        preset_form = PresetForm(preset=settings.current(preset_choice.key))
        preset_form.preset.choices = [(name, name.capitalize()) for name in preset_choice.options]
    return render_template(
        "admin/index.html",
        pagination=pagination,
        query=query,
        role_form=RoleForm(),
        action_form=ActionForm(),
        privileges=preset_choice,
        preset_form=preset_form,
    )


@admin.route("/privileges", methods=["POST"])
@role_required(Role.ADMIN)
def privileges():
    choice = settings.registered(settings.PRIVILEGE_PRESET)
    if choice is None:
        abort(404)
    # CSRFProtect has checked the token; the setting service checks the preset.
    name = PresetForm().preset.data or ""
    try:
        preset = settings.choose(choice.key, name, current_user._get_current_object())
    except settings.SettingError as error:
        flash(error.message, "error")
    else:
        flash(f"Privileges now follow the {preset} preset.", "success")
    return redirect(url_for("admin.index", _anchor="privileges"))


def _target_user(user_id: int):
    user = services.get_user(user_id)
    if user is None:
        abort(404)
    return user


@admin.route("/users/<int:user_id>/role", methods=["POST"])
@role_required(Role.ADMIN)
def set_role(user_id: int):
    user = _target_user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose one of the roles member, lead or admin.", "error")
    else:
        try:
            services.set_role(current_user, user, form.role.data)
        except services.AccountError as error:
            flash(error.message, "error")
        else:
            flash(f"{user.display_name} is now {user.role}.", "success")
    return _redirect_next("admin.index")


@admin.route("/users/<int:user_id>/suspend", methods=["POST"])
@role_required(Role.ADMIN)
def suspend(user_id: int):
    user = _target_user(user_id)
    try:
        services.suspend(current_user, user)
    except services.AccountError as error:
        flash(error.message, "error")
    else:
        flash(f"{user.display_name} is suspended and can no longer log in.", "success")
    return _redirect_next("admin.index")


@admin.route("/users/<int:user_id>/restore", methods=["POST"])
@role_required(Role.ADMIN)
def restore(user_id: int):
    user = _target_user(user_id)
    services.restore(current_user, user)
    flash(f"{user.display_name} is restored and can log in again.", "success")
    return _redirect_next("admin.index")
