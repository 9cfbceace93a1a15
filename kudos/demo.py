"""A deterministic demo community, loaded through the services.

Each feature adds its part with register_step; steps run in registration order, after the
accounts, and draw from one seeded random generator so the same seed gives the same data.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from kudos import services
from kudos.models import Role, User

log = logging.getLogger(__name__)

DEMO_PASSWORD = "kudos-demo-password"  # noqa: S105 - printed for people trying the demo
DEMO_LOGINS = (
    ("admin@kudos.example", "Ada Admin", Role.ADMIN),
    ("lead@kudos.example", "Lee Lead", Role.LEAD),
    ("member@kudos.example", "Mia Member", Role.MEMBER),
)
SCALES = {"small": (20, 2), "medium": (200, 5), "large": (2000, 12)}

FIRST_NAMES = (
    "Alex Amira Ben Chen Dana Elif Farid Greta Hiro Ines Jonas Kemi Lars Maya Nils Olu "
    "Priya Quinn Rafael Sana Tomas Uma Viktor Wen Xenia Yusuf Zoe"
).split()
LAST_NAMES = (
    "Andersen Bauer Costa Dubois Eriksen Fischer Garcia Haddad Ito Jansen Kowalski Larsen "
    "Moreau Novak Okafor Petrov Rossi Schmidt Tanaka Ulrich Varga Weber Yilmaz Zhang"
).split()
TEAMS = "payments checkout search identity data mobile platform billing logistics".split()


@dataclass
class DemoContext:
    """What the steps share: the generator, the scale and the accounts made so far."""

    rng: random.Random
    scale: str
    advance: Callable[[int], None] = lambda units: None
    admins: list[User] = field(default_factory=list)
    leads: list[User] = field(default_factory=list)
    members: list[User] = field(default_factory=list)


Step = Callable[[DemoContext], None]
Size = Callable[[str], int]
_steps: list[tuple[str, Step, Size]] = []


def register_step(name: str, size: Size) -> Callable[[Step], Step]:
    """Add a feature's demo step; size(scale) is how many units it will report."""

    def decorator(step: Step) -> Step:
        if all(existing != name for existing, _, _ in _steps):
            _steps.append((name, step, size))
        return step

    return decorator


def account_count(scale: str) -> int:
    members, leads = SCALES[scale]
    return members + leads + 1


def steps() -> list[tuple[str, Step, Size]]:
    return [("accounts", make_accounts, account_count), *_steps]


def total_units(scale: str) -> int:
    """How many units of progress the whole demo reports at this scale."""
    return sum(size(scale) for _, _, size in steps())


def make_accounts(ctx: DemoContext) -> None:
    """Create the demo logins and a community of members of every role."""
    members, leads = SCALES[ctx.scale]
    for email, name, role in DEMO_LOGINS:
        user = services.create_user(email, name, DEMO_PASSWORD, role)
        {Role.ADMIN: ctx.admins, Role.LEAD: ctx.leads, Role.MEMBER: ctx.members}[role].append(user)
        ctx.advance(1)
    used: set[str] = set()
    for index in range(leads - 1 + members - 1):
        first, last = ctx.rng.choice(FIRST_NAMES), ctx.rng.choice(LAST_NAMES)
        handle = f"{first}.{last}".lower()
        if handle in used:
            handle = f"{handle}{index}"
        used.add(handle)
        is_lead = index < leads - 1
        team = "cloud-foundation" if is_lead else ctx.rng.choice(TEAMS)
        # Community members have no password: only the printed demo logins can sign in.
        user = services.create_user(
            f"{handle}@{team}.kudos.example",
            f"{first} {last}",
            None,
            Role.LEAD if is_lead else Role.MEMBER,
        )
        (ctx.leads if is_lead else ctx.members).append(user)
        ctx.advance(1)


def load(
    scale: str = "small", seed: int = 1, advance: Callable[[int], None] | None = None
) -> DemoContext:
    """Fill an empty database with the demo community and return the shared context."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose small, medium or large")
    if services.count_users():
        raise services.AccountError("The database already has accounts; demo data needs it empty.")
    ctx = DemoContext(rng=random.Random(seed), scale=scale)  # noqa: S311 - not for secrets
    if advance is not None:
        ctx.advance = advance
    for name, step, _ in steps():
        log.info("Demo step %s", name)
        step(ctx)
    return ctx
