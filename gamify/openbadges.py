"""Open Badges 2.0 hosted documents: the issuer, a badge class, an award's assertion.

Every id is the absolute URL the document is served at, so a backpack can fetch and check it
(hosted verification). The recipient is the member's email, salted and hashed with SHA-256.
These functions build URLs with url_for and so need a request context.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from flask import current_app, request, url_for
from markupsafe import escape

from gamify.badges import award_title, describe
from gamify.models import Badge, BadgeAward

CONTEXT = "https://w3id.org/openbadges/v2"
MEDIA_TYPE = "application/ld+json"

# (ring, face, text) for each tier.
TIER_COLOURS = {
    "bronze": ("#a0622d", "#f6e3d0", "#6b3d14"),
    "silver": ("#7c8594", "#eef1f5", "#444b57"),
    "gold": ("#c79a12", "#fff4cc", "#7a5c00"),
}


def issuer_url() -> str:
    return url_for("badges.ob_issuer", _external=True)


def badge_class_url(badge: Badge) -> str:
    return url_for("badges.ob_badge", slug=badge.slug, _external=True)


def assertion_url(award: BadgeAward) -> str:
    return url_for("badges.ob_assertion", award_uuid=award.uuid, _external=True)


def issuer_email() -> str:
    """The issuer's contact address: BADGE_ISSUER_EMAIL, else badges@ this host."""
    configured = current_app.config.get("BADGE_ISSUER_EMAIL")
    return configured or f"badges@{request.host.partition(':')[0]}"


def issuer() -> dict[str, Any]:
    """Return the Issuer profile of this Kudos instance."""
    name = current_app.config.get("BADGE_ISSUER_NAME") or "Kudos"
    return {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": issuer_url(),
        "name": name,
        "url": url_for("main.index", _external=True),
        "email": issuer_email(),
        "description": f"Badges earned by helping peers in the {name} community.",
    }


def badge_class(badge: Badge) -> dict[str, Any]:
    """Return the BadgeClass of a badge: what it is, its image, and what earns it."""
    return {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": badge_class_url(badge),
        "name": badge.name,
        "description": badge.description,
        "image": url_for("badges.ob_badge_image", slug=badge.slug, _external=True),
        "criteria": {
            "id": url_for("badges.detail", slug=badge.slug, _external=True),
            "narrative": describe(badge),
        },
        "issuer": issuer_url(),
        "tags": [badge.tier, badge.group.lower()],
    }


def hashed_email(email: str, salt: str) -> str:
    """Return the Open Badges identity of an email: sha256$ + hex(sha256(email + salt))."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def recipient(email: str, salt: str) -> dict[str, Any]:
    return {"type": "email", "hashed": True, "salt": salt, "identity": hashed_email(email, salt)}


def issued_on(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def assertion(award: BadgeAward, evidence_path: str | None = None) -> dict[str, Any]:
    """Return the hosted Assertion of an award; evidence_path is the post that earned it."""
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": assertion_url(award),
        "recipient": recipient(award.user.email, award.salt),
        "badge": badge_class_url(award.badge),
        "verification": {"type": "hosted"},
        "issuedOn": issued_on(award.awarded_at),
    }
    if award.source_key.startswith("tag:"):
        document["narrative"] = f"Earned as the {award_title(award.badge, award.source_key)}."
    if evidence_path:
        document["evidence"] = {
            "id": request.host_url.rstrip("/") + evidence_path,
            "narrative": "The post that earned this badge.",
        }
    return document


def revoked(award: BadgeAward) -> dict[str, Any]:
    """Return the body a revoked assertion answers with (410 Gone)."""
    return {
        "@context": CONTEXT,
        "id": assertion_url(award),
        "revoked": True,
        "revocationReason": award.revoked_reason or "Revoked by an administrator.",
    }


def image_svg(badge: Badge) -> str:
    """Draw a badge's image: a medal in its tier's colours with its initials and name."""
    ring, face, ink = TIER_COLOURS.get(badge.tier, TIER_COLOURS["bronze"])
    words = [word for word in badge.name.split() if word[:1].isalnum()]
    initials = "".join(word[0].upper() for word in words[:2]) or "K"
    name = badge.name if len(badge.name) <= 22 else badge.name[:21] + "\u2026"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256" '
        f'role="img" aria-label="{escape(badge.name)}, {badge.tier} badge">'
        f"<title>{escape(badge.name)} ({badge.tier} badge)</title>"
        f'<circle cx="128" cy="128" r="118" fill="{face}" stroke="{ring}" stroke-width="14"/>'
        f'<circle cx="128" cy="128" r="96" fill="none" stroke="{ring}" stroke-width="2" '
        'stroke-dasharray="6 6"/>'
        f'<text x="128" y="138" text-anchor="middle" font-family="sans-serif" font-size="72" '
        f'font-weight="700" fill="{ink}">{escape(initials)}</text>'
        f'<text x="128" y="188" text-anchor="middle" font-family="sans-serif" font-size="18" '
        f'fill="{ink}">{escape(name)}</text>'
        "</svg>"
    )
