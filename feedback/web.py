"""What the feedback pages share: the signed-in user, the page number, refusals and bad forms."""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_login import current_user


def me():
    """The signed-in user, as the model object the services take."""
    return current_user._get_current_object()


def viewer():
    """The signed-in user, or None for a visitor."""
    return me() if current_user.is_authenticated else None


def page_number() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def refuse(error, back: str):
    """Turn a service's refusal into what a user expects: 404/403, or the reason and back.

    error is any feedback error with .status and .message.
    """
    if error.status in (403, 404):
        abort(error.status, error.message)
    flash(error.message, "error")
    return redirect(back)


def form_failed(form, back: str, fallback: str):
    """Flash what a small action form got wrong (or fallback) and go back."""
    errors = [error for errors in form.errors.values() for error in errors]
    flash(" ".join(str(error) for error in errors) or fallback, "error")
    return redirect(back)
