"""Badge pages, the Open Badges documents, an admin's revocation, and `kudos badges ...`."""

from __future__ import annotations

import json
import logging

import click
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.cli import with_appcontext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from gamify import badges, openbadges
from kudos.extensions import db
from kudos.models import Role, User
from kudos.profile import register_section
from kudos.security import is_safe_next, role_required

log = logging.getLogger(__name__)

bp = Blueprint("badges", __name__)

HOLDERS_PER_PAGE = 30
PROFILE_RECENT = 20
PROGRESS_SHOWN = 6


class RevokeForm(FlaskForm):
    reason = StringField("Reason", validators=[Length(max=300)])
    next = HiddenField()


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _badge_or_404(slug: str):
    badge = badges.get_badge(slug)
    if badge is None:
        abort(404, f"There is no badge called “{slug}”. See all badges at /badges.")
    return badge


@bp.route("/badges")
def index():
    return render_template("badges/index.html", groups=badges.overview())


@bp.route("/badges/<slug>")
def detail(slug: str):
    badge = _badge_or_404(slug)
    is_admin = current_user.is_authenticated and current_user.is_admin
    pagination = badges.holders(badge, _page(), HOLDERS_PER_PAGE, include_revoked=is_admin)
    return render_template(
        "badges/detail.html",
        badge=badge,
        criterion=badges.describe(badge),
        pagination=pagination,
        links=badges.post_links(award.post_id for award in pagination.items),
        revoke_form=RevokeForm() if is_admin else None,
        award_title=badges.award_title,
    )


@bp.route("/admin/badges/awards/<award_uuid>/revoke", methods=["POST"])
@role_required(Role.ADMIN)
def revoke(award_uuid: str):
    award = badges.find_award(award_uuid)
    if award is None:
        abort(404, "There is no such badge award.")
    form = RevokeForm()
    back = form.next.data if is_safe_next(form.next.data) else None
    back = back or url_for("badges.detail", slug=award.badge.slug)
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or "The form could not be read; try again.", "error")
        return redirect(back)
    try:
        badges.revoke(award, current_user._get_current_object(), form.reason.data)
    except badges.BadgeError as error:
        flash(error.message, "error")
    else:
        title = badges.award_title(award.badge, award.source_key)
        flash(f"The {title} badge of {award.user.display_name} is revoked.", "success")
    return redirect(back)


# Open Badges 2.0 hosted documents


def _ld_json(document: dict, status: int = 200) -> Response:
    body = json.dumps(document, indent=2)
    response = Response(body, status=status, mimetype=openbadges.MEDIA_TYPE)
    # Backpacks fetch these documents from their own pages.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _ob_error(message: str, status: int = 404) -> Response:
    response = jsonify(error="Not found" if status == 404 else "Error", message=message)
    response.status_code = status
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/ob/issuer")
def ob_issuer():
    return _ld_json(openbadges.issuer())


@bp.route("/ob/badges/<slug>")
def ob_badge(slug: str):
    badge = badges.get_badge(slug)
    if badge is None:
        return _ob_error(f"There is no badge called “{slug}”.")
    return _ld_json(openbadges.badge_class(badge))


@bp.route("/ob/badges/<slug>/image")
def ob_badge_image(slug: str):
    badge = badges.get_badge(slug)
    if badge is None:
        return _ob_error(f"There is no badge called “{slug}”.")
    response = Response(openbadges.image_svg(badge), mimetype="image/svg+xml")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _assertion_or_error(award_uuid: str):
    """Return (award, None) or (None, an error response) for an assertion address."""
    if badges.parse_uuid(award_uuid) is None:
        return None, _ob_error("That is not a badge assertion id (a UUID is expected).")
    award = badges.find_award(award_uuid)
    if award is None:
        return None, _ob_error("There is no badge assertion with this id.")
    if award.revoked_at is not None:
        return None, _ld_json(openbadges.revoked(award), status=410)
    return award, None


def _assertion_document(award) -> dict:
    evidence = badges.post_paths([award.post_id]).get(award.post_id)
    return openbadges.assertion(award, evidence)


@bp.route("/ob/assertions/<award_uuid>")
def ob_assertion(award_uuid: str):
    award, error = _assertion_or_error(award_uuid)
    if error is not None:
        return error
    return _ld_json(_assertion_document(award))


@bp.route("/ob/assertions/<award_uuid>/download")
def ob_assertion_download(award_uuid: str):
    award, error = _assertion_or_error(award_uuid)
    if error is not None:
        return error
    response = _ld_json(_assertion_document(award))
    filename = f"kudos-{award.badge.slug}-{award.uuid}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The profile section


def _badges_section(user: User) -> dict:
    """Give the profile page a user's badges and, to its owner, progress and downloads."""
    mine = current_user.is_authenticated and current_user.id == user.id
    recent = badges.recent_awards(user.id, PROFILE_RECENT)
    # Progress (visit streaks included) is the owner's business; nearest badges first.
    progress = badges.progress(user.id) if mine else []
    progress.sort(key=lambda item: -item.current / item.target if item.target else 0)
    return {
        "held": badges.user_badges(user.id),
        "recent": recent,
        "links": badges.post_links(award.post_id for award in recent),
        "progress": progress[:PROGRESS_SHOWN],
        "more_progress": progress[PROGRESS_SHOWN:],
        "mine": mine,
        "award_title": badges.award_title,
    }


register_section("badges", "badges/_profile_badges.html", _badges_section)


# `kudos badges ...`


@click.group("badges")
def badges_group() -> None:
    """Keep the badge catalog and the awards up to date."""


@badges_group.command("sync")
@with_appcontext
def sync_command() -> None:
    """Insert catalog badges the database lacks and refresh their names and descriptions."""
    added = badges.sync_catalog()
    db.session.commit()
    total = len(badges.CATALOG)
    click.echo(f"Badge catalog synced: {added} badge(s) added, {total} in the catalog.")


@badges_group.command("backfill")
@click.option("--badge", "slug", metavar="SLUG", help="Only this badge (default: every one).")
@with_appcontext
def backfill_command(slug: str | None) -> None:
    """Award badges for past activity; the notifications are filed as read."""
    badges.sync_catalog()
    db.session.commit()
    try:
        targets = badges.backfill_targets(slug)
    except badges.UnknownBadge as error:
        raise click.ClickException(error.message) from None
    with click.progressbar(length=len(targets), label="Backfilling badges") as bar:
        awarded = badges.backfill(slug, progress=bar.update)
    log.info("Badge backfill awarded %d badges", awarded)
    click.echo(f"Backfill done: {awarded} badge(s) awarded for past activity.")
