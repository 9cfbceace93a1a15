"""Error pages in HTML, and JSON error bodies under /api/."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from kudos.extensions import db

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Log in required",
    403: "Forbidden",
    404: "Page not found",
    405: "Method not allowed",
    413: "Upload too large",
    429: "Too many attempts",
    500: "Something went wrong",
}

MESSAGES = {
    400: "The request could not be understood. Go back and try again.",
    403: "Your account does not have access to this page.",
    404: "There is nothing at this address. It may have moved or been deleted.",
    405: "This address does not accept that kind of request.",
    413: "What you sent is larger than this server accepts.",
    429: "Too many attempts. Wait a little and try again.",
    500: "Kudos hit an unexpected error. It has been logged; please try again.",
}


def wants_json() -> bool:
    """Answer in JSON under /api/ and to clients that accept only JSON."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def error_response(code: int, message: str, headers=()):
    """Render one error for people (HTML) or programs (JSON)."""
    if wants_json():
        response = jsonify(error=TITLES.get(code, "Error"), message=message)
    else:
        response = render_template(
            "errors/error.html", code=code, title=TITLES.get(code, "Error"), message=message
        )
    response = make_response(response, code)
    for name, value in headers:
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    """Register the handlers for every HTTP error and for unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(
            400,
            "The form's security token is missing or has expired. "
            "Reload the page and submit it again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        message = MESSAGES.get(code, exc.description)
        # A description set by our own code (abort(404, "...")) is meant for the user.
        if exc.description and exc.description != type(exc).description:
            message = exc.description
        return error_response(code, message, exc.get_headers())

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(500, MESSAGES[500])

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError):
        log.error("Internal error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(500, MESSAGES[500])
