"""The feedback badges (Idea Starter, Visionary, Trendsetter, Voice of the Customer), plugged
into gamify's badges.

gamify knows nothing of feedback: this module registers its criteria and catalog entries
through the badge engine's public hooks, and the feedback services raise the events
("suggestion", "suggestion_status", "suggestion_vote", "feedback_response") that can earn them.
"""

from __future__ import annotations

from sqlalchemy import case, func, literal_column, select, union_all

from feedback.models import Suggestion
from feedback.support_models import SupportRating
from feedback.surveys import SurveyResponse
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


def feedback_responses(responses: int, *, min_responses: int) -> bool:
    """Tell whether a member has answered enough surveys and CSAT requests."""
    return responses >= min_responses


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


def _responses_query():
    """Per member: survey answers plus support ratings given."""
    both = union_all(
        select(SurveyResponse.user_id.label("user_id"), literal_column("1").label("one")),
        select(SupportRating.user_id.label("user_id"), literal_column("1").label("one")),
    ).subquery()
    return select(both.c.user_id, func.count()).group_by(both.c.user_id)


def _responses(user_id: int) -> int:
    surveys = select(func.count()).where(SurveyResponse.user_id == user_id).scalar_subquery()
    ratings = select(func.count()).where(SupportRating.user_id == user_id).scalar_subquery()
    return int(db.session.scalar(select(surveys + ratings)) or 0)


def _evaluate_responses(facts: EventFacts, badges: list[Badge]) -> list[Candidate]:
    user_id = facts.ids.get("user_id")
    if user_id is None:
        return []
    count = _responses(user_id)
    return [
        Candidate(user_id, badge, "", None)
        for badge, params in _with_params(badges)
        if feedback_responses(count, **params)
    ]


def _backfill_responses(badge: Badge, params: dict) -> list[Candidate]:
    query = _responses_query()
    rows = db.session.execute(query.order_by(query.selected_columns[0]))
    return [
        Candidate(row[0], badge, "", None)
        for row in rows
        if feedback_responses(int(row[1]), **params)
    ]


def _progress_responses(facts: UserFacts, badge: Badge, params: dict, held: set[str]):
    target = params["min_responses"]
    return _responses(facts.user_id), target, f"{{current}} of {target} survey or CSAT answers"


register_criterion(
    Criterion(
        "feedback_responses",
        feedback_responses,
        lambda params, multiple: (
            f"Answer {params['min_responses']} surveys or satisfaction ratings."
        ),
        frozenset({"feedback_response"}),
        _evaluate_responses,
        _backfill_responses,
        _progress_responses,
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
    BadgeSpec(
        "voice-of-the-customer",
        "Voice of the Customer",
        "bronze",
        "Feedback",
        "Told the Cloud Foundation how it is doing in 10 surveys or satisfaction ratings.",
        "feedback_responses",
        {"min_responses": 10},
    ),
):
    add_to_catalog(_spec)
