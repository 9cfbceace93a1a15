"""A year of community Q&A for `kudos demo`, written through the services and the engine."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from gamify import services
from kudos.demo import DemoContext, register_step
from kudos.models import utcnow

QUESTIONS = {"small": 60, "medium": 600, "large": 3000}

TOPICS = [
    ("aws iam", "rotate IAM access keys for a CI pipeline", "aws_iam_access_key"),
    (
        "aws networking",
        "peer two VPCs that live in different accounts",
        "aws_vpc_peering_connection",
    ),
    ("aws billing", "find which team owns an unexpected cost spike", "aws ce get-cost-and-usage"),
    (
        "azure iam",
        "grant a managed identity access to a storage account",
        "az role assignment create",
    ),
    (
        "azure networking",
        "reach a private endpoint from on-premises",
        "az network private-endpoint",
    ),
    (
        "gcp iam",
        "use workload identity federation from GitHub Actions",
        "gcloud iam workload-identity-pools",
    ),
    (
        "gcp billing",
        "split one billing account between product teams",
        "gcloud billing projects link",
    ),
    (
        "kubernetes networking",
        "expose a service through the shared ingress controller",
        "kubectl get ingress",
    ),
    (
        "kubernetes iam",
        "let a pod assume a cloud role without static keys",
        "kubectl annotate serviceaccount",
    ),
    ("kubernetes", "debug a pod stuck in CrashLoopBackOff", "kubectl describe pod"),
    ("terraform aws", "import an existing landing zone resource into state", "terraform import"),
    ("terraform", "share modules between teams without copying them", "terraform init -upgrade"),
    (
        "terraform azure",
        "lock state in an Azure storage backend",
        'terraform { backend "azurerm" {} }',
    ),
    (
        "landing-zones aws",
        "request a new account in the landing zone",
        "aws organizations list-accounts",
    ),
    (
        "landing-zones azure",
        "move a subscription under the right management group",
        "az account management-group",
    ),
    (
        "observability kubernetes",
        "ship container logs to the central log platform",
        "kubectl logs -f",
    ),
    (
        "security iam",
        "get an exception to the MFA policy for a break-glass user",
        "aws iam list-mfa-devices",
    ),
    ("networking dns", "resolve private DNS names across VPCs", "dig +short internal.example"),
    (
        "ci-cd kubernetes",
        "deploy to the shared cluster from our pipeline",
        "helm upgrade --install",
    ),
    (
        "billing gcp",
        "set a budget alert that pages the owning team",
        "gcloud billing budgets create",
    ),
]
OPENERS = [
    "How do I",
    "What is the recommended way to",
    "Is there a supported way to",
    "Why can't I",
]
CONTEXTS = [
    "We followed the platform docs but got stuck at the last step.",
    "This worked in our sandbox account but fails in production.",
    "Our team is new to the landing zone and we are not sure who owns this.",
    "We would like to do this without opening a support request every time.",
]
ERRORS = [
    "AccessDenied: not authorized to perform this operation",
    "Error: timeout while waiting for state to become 'available'",
    "403 Forbidden: the caller does not have permission",
    "connection refused (os error 111)",
]
ANSWERS = [
    "The platform supports this through the shared module; pin it to the latest release and "
    "set the `team` input. Do not create the resource by hand, the guardrails will remove it.",
    "You need the role from the landing zone baseline first. Request it in the access portal; "
    "after that the command works as written.",
    "This is a known limitation of the current network design. The workaround is to route "
    "through the hub and add the prefix to the allow-list, which takes about a day.",
    "Check the tags on the resource: the cost allocation report groups by `cost-center`, so "
    "untagged resources land in the shared bucket.",
    "Use short-lived credentials instead: the identity federation is already set up for the "
    "shared CI runners, you only need to add your repository to the trust policy.",
]
COMMENTS = [
    "Thanks, that fixed it for us.",
    "Does this also work in the EU regions?",
    "Could you add the exact policy you used?",
    "We hit the same issue last week.",
]


def question_count(scale: str) -> int:
    return QUESTIONS[scale]


@register_step("questions and answers", size=question_count)
def make_questions(ctx: DemoContext) -> None:
    """Spread questions over the past year; a few members answer most of them."""
    rng = ctx.rng
    members = ctx.members
    # A few very active helpers, many occasional ones (a long tail, as in real communities).
    helpers = members[: max(3, len(members) // 15)]
    weights = [12 if user in helpers else 1 for user in members]
    staff = ctx.leads + ctx.admins
    end = utcnow().replace(microsecond=0) - timedelta(hours=1)
    start = end - timedelta(days=365)
    count = QUESTIONS[ctx.scale]
    times = sorted(
        start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
        for _ in range(count)
    )
    for number, asked_at in enumerate(times):
        tags, task, snippet = rng.choice(TOPICS)
        asker = rng.choice(members)
        title = f"{rng.choice(OPENERS)} {task}?"
        if number >= len(TOPICS):
            title = f"{title[:-1]} ({rng.choice(['prod', 'dev', 'shared', 'eu', 'us'])})?"
        body = (
            f"{rng.choice(CONTEXTS)}\n\nWe ran:\n\n```\n{snippet}\n```\n\nand got "
            f"`{rng.choice(ERRORS)}`. What are we missing?"
        )
        try:
            question = services.ask(asker, title, body, tags, at=asked_at)
        except services.QAError as error:
            if error.status != 403 or not staff:
                raise
            # A member may not create tags yet: the Cloud Foundation opens each new topic.
            asker = rng.choice(staff)
            question = services.ask(asker, title, body, tags, at=asked_at)
        _answer_and_vote(ctx, question, asker, members, weights, staff, asked_at, end)
        ctx.advance(1)


def _later(ctx: DemoContext, after: datetime, end: datetime, hours: float) -> datetime:
    moment = after + timedelta(minutes=ctx.rng.randrange(5, int(hours * 60) + 6))
    return min(moment, end)


def _answer_and_vote(ctx, question, asker, members, weights, staff, asked_at, end) -> None:
    rng = ctx.rng
    answers = []
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        author = rng.choices(members, weights)[0]
        if author.id == asker.id:
            continue
        at = _later(ctx, asked_at, end, rng.choice([2, 12, 48]))
        answers.append((services.answer(author, question.id, rng.choice(ANSWERS), at=at), at))
    last = max([asked_at, *(at for _, at in answers)])
    for _ in range(rng.randrange(0, 9)):
        voter = rng.choice(members)
        at = _later(ctx, last, end, 72)
        targets = [(question, asker.id)] + [(post, post.author_id) for post, _ in answers]
        post, author_id = rng.choice(targets)
        if voter.id != author_id:
            value = -1 if rng.random() < 0.08 else 1
            # Without the points to vote, or past the daily limit, the vote is skipped, as a
            # real member would wait.
            with contextlib.suppress(services.QAError):
                services.vote(voter, post.id, value, at=at)
    if answers and rng.random() < 0.7:
        best = answers[0][0]
        accepter = asker if rng.random() < 0.9 or not staff else rng.choice(staff)
        services.accept(accepter, best.id, at=_later(ctx, last, end, 24))
    if rng.random() < 0.3:
        commenter = rng.choice(members)
        # Commenting on others' posts takes points; a member without them stays quiet.
        with contextlib.suppress(services.QAError):
            services.add_comment(
                commenter, question.id, rng.choice(COMMENTS), at=_later(ctx, asked_at, end, 6)
            )
