"""A year of survey waves for `kudos demo`: quarterly NPS and two pulses, through the services.

Low scores land in the follow-up queue as they would live; the leads record what they did
about most of those from closed surveys. The latest NPS wave is still open, and the demo member
login has not answered it, so the home page shows it.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from feedback import followups, surveys
from feedback.followups import FollowUp
from kudos.demo import DEMO_LOGINS, DemoContext, register_step
from kudos.extensions import db
from kudos.models import Role, utcnow

NPS_QUESTION = "How likely are you to recommend the Cloud Foundation to a colleague?"
# (kind, question, first day as days ago, length in days, mean score, spread)
WAVES = [
    ("nps", NPS_QUESTION, 281, 21, 6.9, 2.4),
    (
        "csat",
        "How satisfied are you with how your last support request was handled?",
        220,
        14,
        3.8,
        1.0,
    ),
    ("nps", NPS_QUESTION, 190, 21, 7.3, 2.2),
    ("ces", "How easy was it to get a new landing zone account?", 130, 14, 5.0, 1.4),
    ("nps", NPS_QUESTION, 99, 21, 7.6, 2.0),
    ("nps", NPS_QUESTION, 8, 21, 7.9, 1.9),
]
COMMENTS = {
    "low": [
        "Support took a week to answer a simple IAM question.",
        "The landing zone request form keeps timing out.",
        "Documentation for the network modules is out of date.",
        "Hard to find who owns which part of the platform.",
    ],
    "middle": [
        "Mostly fine, but onboarding a new team still takes too long.",
        "Good platform; the cost reports could be clearer.",
    ],
    "high": [
        "The office hours are great, thank you!",
        "Self-service accounts saved us days.",
        "Fast, friendly answers in the Q&A.",
    ],
}
ACTIONS = [
    "Called the team; their request is now handled and we fixed the form.",
    "Answered by email with a link to the updated docs.",
    "Met the team lead; the feedback went into next quarter's roadmap.",
    "Opened a suggestion for this and linked the member to it.",
]
RESOLVED_SHARE = 0.75


def wave_count(scale: str) -> int:
    return len(WAVES)


def _bucket(kind: str, score: int) -> str:
    if followups.is_low(kind, score):
        return "low"
    return "high" if score >= {"nps": 9, "csat": 5, "ces": 6}[kind] else "middle"


@register_step("surveys", size=wave_count)
def make_surveys(ctx: DemoContext) -> None:
    """Run the survey waves of the past year, answered by part of the community."""
    # A generator of its own, seeded from the shared one without drawing from it: the steps
    # after this one get the same data whether or not it runs, or runs first (as in tests).
    rng = random.Random(f"surveys:{ctx.rng.getstate()!r}")  # noqa: S311 - not for secrets
    staff = ctx.leads + ctx.admins
    now = utcnow().replace(microsecond=0)
    demo_member = next(email for email, _, role in DEMO_LOGINS if role == Role.MEMBER)
    for kind, question, days_ago, length, mean, spread in WAVES:
        opens_on = now.date() - timedelta(days=days_ago)
        lead = rng.choice(staff)
        created = surveys.start_of(opens_on) - timedelta(days=2, hours=rng.randrange(0, 24))
        survey = surveys.create(
            lead, kind, question, opens_on, opens_on + timedelta(days=length - 1), at=created
        )
        end = min(survey.closes_at, now) - timedelta(minutes=5)
        still_open = survey.closes_at > now
        people = [m for m in ctx.members if not (still_open and m.email == demo_member)]
        share = rng.uniform(0.3, 0.55) if still_open else rng.uniform(0.4, 0.65)
        respondents = rng.sample(people, max(1, round(len(people) * share)))
        window = int((end - survey.opens_at).total_seconds())
        times = sorted(
            survey.opens_at + timedelta(seconds=rng.randrange(window)) for _ in respondents
        )
        lowest, highest = surveys.SCALES[kind]
        response_ids = []
        for member, at in zip(respondents, times, strict=True):
            score = min(highest, max(lowest, round(rng.gauss(mean, spread))))
            comment = None
            if rng.random() < 0.4:
                comment = rng.choice(COMMENTS[_bucket(kind, score)])
            response_ids.append(surveys.answer(member, survey.id, score, comment, at=at).id)
        if not still_open:
            _resolve_most(rng, response_ids, staff, now)
        ctx.advance(1)


def _resolve_most(rng: random.Random, response_ids: list[int], staff, now) -> None:
    """Record what a lead did about most of a closed survey's low scores, days later."""
    waiting = db.session.scalars(
        select(FollowUp)
        .where(FollowUp.kind == "survey", FollowUp.source_id.in_(response_ids))
        .order_by(FollowUp.id)
    ).all()
    for followup in waiting:
        if rng.random() < RESOLVED_SHARE:
            at = min(followup.created_at + timedelta(hours=rng.randrange(4, 144)), now)
            followups.resolve(followup.id, rng.choice(staff), rng.choice(ACTIONS), at=at)
