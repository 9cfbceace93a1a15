"""A year of support requests for `kudos demo`: realistic reply times, notes, ratings, and
form sessions in which a suggested answer did (or did not) save a request."""

from __future__ import annotations

from datetime import datetime, timedelta

from feedback import support as services
from feedback.support_models import CATEGORIES
from kudos.demo import DemoContext, register_step
from kudos.models import utcnow

REQUESTS = {"small": 60, "medium": 400, "large": 2000}
SUBJECTS = {
    "accounts": ["New sandbox account for our team", "Move our account to the EU landing zone"],
    "networking": ["VPC peering to the shared services network", "Private DNS zone not resolving"],
    "iam": ["Access denied when assuming the deploy role", "Need read access to the audit logs"],
    "billing": ["Cost report shows a charge we do not recognise", "Budget alert fires too early"],
    "kubernetes": ["Pods stuck pending in the shared cluster", "Ingress certificate expired"],
    "ci_cd": ["Pipeline runner cannot pull from the registry", "Deploy job times out"],
    "observability": ["Logs missing from the central workspace", "Dashboard shows no data"],
    "other": ["Question about the platform roadmap", "Who owns the shared Terraform modules?"],
}
PRIORITY_WEIGHTS = (("urgent", 5), ("high", 20), ("normal", 55), ("low", 20))
# Typical first-reply delay in minutes per priority (most within the SLA, some not).
FIRST_REPLY_MINUTES = {"urgent": (10, 90), "high": (30, 300), "normal": (60, 600),
                       "low": (120, 1800)}  # fmt: skip
# Minutes from one step to the next after the first reply (the requester's answer, the solve):
# two such steps fit the resolution target most of the time.
STEP_MINUTES = {"urgent": (10, 220), "high": (30, 660), "normal": (60, 2100), "low": (120, 3500)}
REPLIES = [
    "Thanks for the details. We are looking into it now.",
    "Could you send the account id and the exact error message?",
    "We found the cause: the role's trust policy was missing your pipeline. Fixed now.",
    "This is a known limit of the shared cluster; we raised it for your namespace.",
]
NOTES = [
    "Checked CloudTrail: the deny comes from the SCP, not the role.",
    "Same root cause as last week's incident; linking the postmortem.",
    "Needs a change in the landing zone module; asked the network team.",
]
REQUESTER_REPLIES = ["That works, thank you!", "Still failing for us, see the new log."]
REASONS = [
    "It took three days to get a first answer.",
    "The fix only worked for one of our accounts.",
    "I had to explain the problem twice.",
]
COMMENTS = ["Quick and clear, thanks.", "Great help from the team.", ""]
# Weights of the scores 1 to 5.
SCORE_WEIGHTS = (4, 6, 10, 35, 45)
RATED_SHARE = 0.6
SESSIONS_PER_REQUEST = 0.5


def request_count(scale: str) -> int:
    return REQUESTS[scale]


def _minutes(ctx: DemoContext, low: int, high: int) -> timedelta:
    return timedelta(minutes=ctx.rng.randint(low, high))


def _deflection_sessions(ctx: DemoContext, start: datetime, end: datetime) -> None:
    """Form sessions that ended without a request: some opened a match, some said it helped."""
    rng = ctx.rng
    for _ in range(int(REQUESTS[ctx.scale] * SESSIONS_PER_REQUEST)):
        member = rng.choice(ctx.members)
        at = start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
        session = services.start_session(member, at=at)
        category = rng.choice(list(SUBJECTS))
        found = services.show_matches(member, session, rng.choice(SUBJECTS[category]), at=at)
        shown = [("question", q.id) for q in found.questions] + [
            ("suggestion", s.id) for s in found.suggestions
        ]
        if shown and rng.random() < 0.6:
            kind, target = rng.choice(shown)
            services.open_match(member, session, kind, target, at=at + timedelta(minutes=1))
            if rng.random() < 0.5:
                services.mark_solved(member, session, at=at + timedelta(minutes=4))


@register_step("support requests", size=request_count)
def make_requests(ctx: DemoContext) -> None:
    """Spread requests over the past year and work them the way a help desk does."""
    rng = ctx.rng
    staff = ctx.leads + ctx.admins
    now = utcnow().replace(microsecond=0)
    end = now - timedelta(hours=2)
    start = end - timedelta(days=365)
    count = REQUESTS[ctx.scale]
    times = sorted(
        start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
        for _ in range(count)
    )
    priorities, weights = zip(*PRIORITY_WEIGHTS, strict=True)
    for created_at in times:
        category = rng.choice(list(CATEGORIES))
        priority = rng.choices(priorities, weights)[0]
        requester = rng.choice(ctx.members)
        session = services.start_session(requester, at=created_at - timedelta(minutes=3))
        subject = rng.choice(SUBJECTS[category])
        services.show_matches(requester, session, subject, at=created_at - timedelta(minutes=2))
        request = services.file_request(
            requester,
            subject,
            f"{subject}.\n\nWe tried the steps in the platform docs; it still fails.",
            category,
            priority,
            session_id=session,
            at=created_at,
        )
        lead = rng.choice(staff)
        services.assign(request.id, lead, lead.id, at=created_at + timedelta(minutes=2))
        # The last two weeks are still being worked: some wait for a first reply.
        recent = created_at > end - timedelta(days=14)
        moment = created_at + _minutes(ctx, *FIRST_REPLY_MINUTES[priority])
        if moment >= now or (recent and rng.random() < 0.25):
            ctx.advance(1)
            continue  # still waiting for a first reply
        if rng.random() < 0.4:
            services.reply(
                request.id, lead, rng.choice(NOTES), internal=True, at=moment - timedelta(minutes=5)
            )
        services.reply(request.id, lead, rng.choice(REPLIES), status="pending", at=moment)
        moment += _minutes(ctx, *STEP_MINUTES[priority])
        if moment < now and rng.random() < 0.7:
            services.reply(request.id, requester, rng.choice(REQUESTER_REPLIES), at=moment)
            moment += _minutes(ctx, *STEP_MINUTES[priority])
        if moment >= now or (recent and rng.random() < 0.5):
            ctx.advance(1)
            continue  # still being worked
        services.change_status(request.id, lead, "solved", at=moment)
        if rng.random() < RATED_SHARE:
            score = rng.choices(range(1, 6), SCORE_WEIGHTS)[0]
            rated_at = min(moment + _minutes(ctx, 5, 2000), now)
            services.rate(
                request.id,
                requester,
                score,
                rng.choice(COMMENTS) or None,
                rng.choice(REASONS) if score <= 3 else None,
                at=rated_at,
            )
        ctx.advance(1)
    services.autoclose(now=now)
    _deflection_sessions(ctx, start, end)
