"""A year of Cloud Foundation announcements for `kudos demo`, posted through the service."""

from __future__ import annotations

from datetime import timedelta

from feedback import announcements
from kudos.demo import DemoContext, register_step
from kudos.models import utcnow

ANNOUNCEMENTS = {"small": 6, "medium": 10, "large": 12}

NEWS = [
    (
        "Welcome to Kudos",
        "Kudos is the new home for questions about the company cloud, suggestions for the "
        "Cloud Foundation and support requests.\n\n- Ask and answer **questions** and earn "
        "points\n- Vote on **suggestions** and follow what we plan\n- See what changed in the "
        "**changelog**",
    ),
    (
        "Maintenance window for the shared Kubernetes clusters",
        "The shared clusters are upgraded on **Saturday between 06:00 and 10:00 UTC**. "
        "Workloads with a `PodDisruptionBudget` move without downtime; single-replica "
        "deployments restart once.",
    ),
    (
        "New landing zone baseline: MFA for every console login",
        "From next month every console login needs MFA. Break-glass accounts keep their "
        "exception; ask in the `security` tag if you are unsure whether yours is one.",
    ),
    (
        "Terraform module registry is live",
        "Shared modules now live in the internal registry. Pin a version:\n\n```\nsource  = "
        '"registry.internal/platform/network/aws"\nversion = "~> 2.1"\n```\n\nCopies of the '
        "old modules keep working until the end of the quarter.",
    ),
    (
        "Cost reports now group by cost-center tag",
        "The monthly cost report groups spend by the `cost-center` tag. Untagged resources "
        "land in the shared bucket, so tag yours to see your team's real numbers.",
    ),
    (
        "Private DNS across VPCs: you said, we did",
        "The most voted suggestion of the quarter is done: private zones now resolve across "
        "all VPCs of a landing zone. Thanks to everyone who voted and commented.",
    ),
    (
        "Office hours with the Cloud Foundation",
        "Every Thursday at 14:00 UTC the platform team answers questions live. Bring your "
        "error messages; we will turn the common ones into answers here.",
    ),
    (
        "GitHub Actions can deploy without static keys",
        "Workload identity federation is set up for the shared runners. Add your repository "
        "to the trust policy and delete the old access keys.",
    ),
    (
        "Support hours over the holidays",
        "Between 24 December and 2 January support requests are answered on working days "
        "only. Priority 1 incidents still page the on-call engineer.",
    ),
    (
        "Kudos badges for helping peers",
        "Helpful answers now earn **badges**. See `/badges` for what each one takes, and "
        "share them to your Open Badges backpack.",
    ),
    (
        "Budget alerts page the owning team",
        "Budget alerts now page the team named in the `owner` tag instead of the platform "
        "team. Check that your tags name a team that exists.",
    ),
    (
        "Roadmap for next quarter",
        "The roadmap shows what is planned and in progress. Suggestions with many votes and "
        "a clear use case move first; tell us yours.",
    ),
]


def announcement_count(scale: str) -> int:
    return ANNOUNCEMENTS[scale]


@register_step("announcements", size=announcement_count)
def make_announcements(ctx: DemoContext) -> None:
    """Post news over the past year, oldest first, as the leads and admins would."""
    staff = ctx.leads + ctx.admins
    count = ANNOUNCEMENTS[ctx.scale]
    end = utcnow().replace(microsecond=0) - timedelta(hours=2)
    # Evenly spread over the year with a little jitter, so the feed looks like a real one.
    step = timedelta(days=365) / count
    for number, (title, body) in enumerate(NEWS[:count]):
        at = end - step * (count - 1 - number) - timedelta(hours=ctx.rng.randrange(0, 48))
        author = ctx.rng.choice(staff)
        announcement = announcements.create(author, title, body, at=at)
        if ctx.rng.random() < 0.25:
            editor = ctx.rng.choice(staff)
            announcements.edit(
                editor,
                announcement.id,
                title,
                f"{body}\n\n_Updated: the details above are now final._",
                at=min(at + timedelta(hours=ctx.rng.randrange(1, 72)), end),
            )
        ctx.advance(1)
