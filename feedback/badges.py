"""The feedback badges (Idea Starter, Visionary, Trendsetter), plugged into gamify's badges.

gamify knows nothing of suggestions: this module registers its criteria and catalog entries
through the badge engine's public hooks, and the suggestion services raise the events
("suggestion", "suggestion_status", "suggestion_vote") that can earn them.
"""

from __future__ import annotations

from sqlalchemy import case, func, select

from feedback.models import Suggestion
from gamify.badges import (
    BadgeSpec,
    Candidate,
    Criterion,
    EventFacts,
    UserFacts,
    add_to_catalog,
    effective_params,
    register_criterion,
)
from gamify.models import Badge
from kudos.extensions import db

# ---------------------------------------------------------------------------------------------
# Criteria: pure functions over plain facts. Keyword-only arguments are the badge parameters.


def suggestions_submitted(submitted: int, *, min_suggestions: int) -> bool:
    """Tell whether a member has submitted enough suggestions."""
    return submitted >= min_suggestions


def suggestions_completed(completed: int, *, min_completed: int) -> bool:
    """Tell whether enough of a member's suggestions were completed."""
    return completed >= min_completed


def suggestion_votes(votes: int, *, min_votes: int) -> bool:
    """Tell whether one of a member's suggestions reached the badge's number of votes."""
    return votes >= min_votes


# ---------------------------------------------------------------------------------------------
# Facts


def _stats_query():
    """Per author: suggestions submitted, completed, and the most votes on a live one."""
    live_votes = case((Suggestion.status != "duplicate", Suggestion.vote_count), else_=0)
    return select(
        Suggestion.author_id,
        func.count(Suggestion.id),
        func.coalesce(func.sum(case((Suggestion.status == "completed", 1), else_=0)), 0),
        func.coalesce(func.max(live_votes), 0),
    ).group_by(Suggestion.author_id)


def _stats(author_id: int) -> tuple[int, int, int]:
    row = db.session.execute(_stats_query().where(Suggestion.author_id == author_id)).first()
    return (int(row[1]), int(row[2]), int(row[3])) if row else (0, 0, 0)


def _event_author(facts: EventFacts) -> int | None:
    suggestion_id = facts.ids.get("suggestion_id")
    if suggestion_id is None:
        return None
    return db.session.scalar(select(Suggestion.author_id).where(Suggestion.id == suggestion_id))


def _facts_stats(facts: UserFacts) -> tuple[int, int, int]:
    """Load a profile's suggestion numbers once for the three badges."""
    cached = getattr(facts, "_suggestion_stats", None)
    if cached is None:
        cached = _stats(facts.user_id)
        facts._suggestion_stats = cached
    return cached


def _with_params(badges: list[Badge]):
    for badge in badges:
        params = effective_params(badge)
        if params is not None:
            yield badge, params


def _criterion(name: str, check, position: int, events: frozenset[str], describe, label):
    def evaluate(facts: EventFacts, badges: list[Badge]) -> list[Candidate]:
        author_id = _event_author(facts)
        if author_id is None:
            return []
        value = _stats(author_id)[position]
        return [
            Candidate(author_id, badge, "", None)
            for badge, params in _with_params(badges)
            if check(value, **params)
        ]

    def backfill(badge: Badge, params: dict) -> list[Candidate]:
        rows = db.session.execute(_stats_query().order_by(Suggestion.author_id))
        return [
            Candidate(row[0], badge, "", None)
            for row in rows
            if check(int(row[position + 1]), **params)
        ]

    def progress(facts: UserFacts, badge: Badge, params: dict, held: set[str]):
        target = next(iter(params.values()))
        return _facts_stats(facts)[position], target, label(target)

    return Criterion(name, check, describe, events, evaluate, backfill, progress)


register_criterion(
    _criterion(
        "suggestions_submitted",
        suggestions_submitted,
        0,
        frozenset({"suggestion"}),
        lambda params, multiple: (
            "Submit your first suggestion."
            if params["min_suggestions"] == 1
            else f"Submit {params['min_suggestions']} suggestions."
        ),
        lambda target: f"{{current}} of {target} suggestion{'s' if target != 1 else ''}",
    )
)
register_criterion(
    _criterion(
        "suggestions_completed",
        suggestions_completed,
        1,
        frozenset({"suggestion_status"}),
        lambda params, multiple: (
            "Have a suggestion of yours completed by the Cloud Foundation."
            if params["min_completed"] == 1
            else f"Have {params['min_completed']} of your suggestions completed."
        ),
        lambda target: f"{{current}} of {target} completed suggestion{'s' if target != 1 else ''}",
    )
)
register_criterion(
    _criterion(
        "suggestion_votes",
        suggestion_votes,
        2,
        frozenset({"suggestion_vote", "suggestion_status"}),
        lambda params, multiple: f"Submit a suggestion that reaches {params['min_votes']} votes.",
        lambda target: f"most votes on a suggestion {{current}} of {target}",
    )
)

for _spec in (
    BadgeSpec(
        "idea-starter",
        "Idea Starter",
        "bronze",
        "Feedback",
        "Submitted a first suggestion to the Cloud Foundation.",
        "suggestions_submitted",
        {"min_suggestions": 1},
    ),
    BadgeSpec(
        "visionary",
        "Visionary",
        "silver",
        "Feedback",
        "Suggested something that the Cloud Foundation then built.",
        "suggestions_completed",
        {"min_completed": 1},
    ),
    BadgeSpec(
        "trendsetter",
        "Trendsetter",
        "gold",
        "Feedback",
        "Submitted a suggestion that 25 members voted for.",
        "suggestion_votes",
        {"min_votes": 25},
    ),
):
    add_to_catalog(_spec)
