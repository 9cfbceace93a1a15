"""A year of suggestions for `kudos demo`: votes, comments, triage with notes, merges."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from feedback import suggestions as services
from gamify.models import Tag
from kudos.demo import DemoContext, register_step
from kudos.extensions import db
from kudos.models import utcnow

SUGGESTIONS = {"small": 40, "medium": 300, "large": 1500}

IDEAS = [
    ("Self-service creation of sandbox accounts", "aws landing-zones"),
    ("Terraform module for private DNS zones", "terraform networking"),
    ("Cost alerts per team in the chat tool", "billing"),
    ("Short-lived credentials for every CI runner", "iam ci-cd"),
    ("A shared ingress with automatic certificates", "kubernetes networking"),
    ("Central dashboards for cluster health", "observability kubernetes"),
    ("Break-glass access that expires by itself", "security iam"),
    ("Budget forecasts in the monthly cost report", "billing gcp"),
    ("Azure subscriptions through the same request form", "azure landing-zones"),
    ("Log retention that teams can choose per project", "observability"),
    ("Preview environments for every pull request", "ci-cd kubernetes"),
    ("Workload identity for GKE by default", "gcp iam"),
    ("A catalogue of approved Terraform modules", "terraform"),
    ("VPC peering requests without a ticket", "aws networking"),
    ("Policy checks that explain how to fix a finding", "security"),
]
SCOPES = [
    "for the EU regions",
    "for production",
    "for new teams",
    "in the sandbox",
    "for data teams",
]
WHY = [
    "Today we open a support request and wait about a week.",
    "Every team builds its own version of this, and they drift apart.",
    "It would save our on-call engineers a lot of manual steps.",
    "Our auditors keep asking for it.",
]
COMMENTS = [
    "+1, we need this too.",
    "Could this also cover the staging accounts?",
    "We built a workaround with a cron job; happy to share it.",
    "This would remove most of our support tickets.",
]
NOTES = {
    "under_review": [
        "We are looking into how many teams need this.",
        "Thanks! We are checking this against the platform roadmap.",
    ],
    "planned": [
        "Planned for next quarter; we will share the design first.",
        "Planned: it fits the landing zone work we start next month.",
    ],
    "in_progress": ["Work has started; a first version lands in the sandbox soon."],
    "completed": [
        "Released: see the platform docs for how to use it.",
        "Done, available in every account from today.",
    ],
    "declined": [
        "Declined: the security baseline does not allow this, but see the FAQ for an alternative.",
        "Declined for now: too few teams need it to justify the upkeep.",
    ],
}
# How far each suggestion gets (open, under review, planned, in progress, completed, declined).
PATHS = [
    ([], 30),
    (["under_review"], 14),
    (["under_review", "planned"], 14),
    (["planned", "in_progress"], 10),
    (["under_review", "planned", "in_progress", "completed"], 14),
    (["planned", "completed"], 5),
    (["under_review", "declined"], 8),
    (["under_review", "planned", "declined"], 2),
]
MERGE_SHARE = 0.06


def suggestion_count(scale: str) -> int:
    return SUGGESTIONS[scale]


def _later(ctx: DemoContext, after: datetime, end: datetime, days: float) -> datetime:
    return min(after + timedelta(minutes=ctx.rng.randrange(30, int(days * 1440) + 31)), end)


@register_step("suggestions", size=suggestion_count)
def make_suggestions(ctx: DemoContext) -> None:
    """Spread suggestions over the past year and triage most of them."""
    rng = ctx.rng
    members = ctx.members
    staff = ctx.leads + ctx.admins
    known = set(db.session.scalars(select(Tag.name)))
    end = utcnow().replace(microsecond=0) - timedelta(minutes=30)
    start = end - timedelta(days=365)
    count = SUGGESTIONS[ctx.scale]
    times = sorted(
        start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
        for _ in range(count)
    )
    made: list[int] = []
    paths, weights = zip(*PATHS, strict=True)
    for number, created_at in enumerate(times):
        idea, tags = IDEAS[number % len(IDEAS)]
        title = idea if number < len(IDEAS) else f"{idea} {rng.choice(SCOPES)}"
        author = rng.choice(members)
        names = [name for name in tags.split() if name in known]
        suggestion = services.submit(
            author,
            title,
            f"{rng.choice(WHY)}\n\n**What we would like:** {idea.lower()}.",
            names,
            at=created_at,
        )
        moment = created_at
        for voter in rng.sample(members, rng.randrange(0, min(len(members), 14))):
            moment = _later(ctx, moment, end, 3)
            services.vote(voter, suggestion.id, at=moment)
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            moment = _later(ctx, moment, end, 2)
            services.comment(rng.choice(members), suggestion.id, rng.choice(COMMENTS), at=moment)
        lead = rng.choice(staff)
        if made and rng.random() < MERGE_SHARE:
            original = rng.choice(made)
            target = services.get(original)
            if target.status != "duplicate":
                services.merge(suggestion.id, original, lead, at=_later(ctx, moment, end, 5))
                ctx.advance(1)
                continue
        for status in rng.choices(paths, weights)[0]:
            moment = _later(ctx, moment, end, 20)
            services.change_status(
                suggestion.id, lead, status, rng.choice(NOTES[status]), at=moment
            )
        made.append(suggestion.id)
        ctx.advance(1)
