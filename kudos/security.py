"""Security by default: sessions, role checks, safe redirects and response headers."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, request
from flask_login import AnonymousUserMixin, LoginManager, current_user

from kudos.extensions import db, login_manager
from kudos.models import User

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class Anonymous(AnonymousUserMixin):
    role = None
    is_staff = False
    is_admin = False


def init_app(app: Flask, login_manager: LoginManager) -> None:
    """Wire Flask-Login and the headers that every response carries."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.anonymous_user = Anonymous
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)

    @app.after_request
    def add_security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


def load_user(user_id: str) -> User | None:
    """Return the signed-in user, or None when the session is stale or the account suspended."""
    raw_id, _, version = user_id.partition(":")
    if not raw_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or user.is_suspended or user.session_version != int(version):
        return None
    return user


def is_safe_next(target: str | None) -> bool:
    """Accept only a local path as a post-login redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def client_address() -> str:
    """Return the caller's address (behind a proxy, ProxyFix has already set it)."""
    return (request.remote_addr or "unknown")[:64]


def role_required(*roles: str):
    """Send visitors to log in and refuse signed-in users without one of roles (403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
