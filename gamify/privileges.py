"""Privileges that grow with points, and the points a vote needs before it pays.

An admin picks one of three presets on /admin (medium unless configured otherwise; see
kudos.settings). Points needed for each privilege:

=====================================  ===  ======  ====
privilege                              low  medium  high
=====================================  ===  ======  ====
upvote                                   1      15    30
comment on others' posts                25      50   100
edit others' posts                      50     100   200
downvote                                60     125   250
create new tags                         75     150   300
=====================================  ===  ======  ====

Medium follows PRODUCT.md (edit others' posts at 100, downvote at 125) and a Stack Exchange
site's order; low halves it (and lets anyone upvote, for a young community); high doubles it.
Always allowed, whatever the points: asking, answering, withdrawing a vote, commenting on your
own post or on an answer to your own question, and editing your own posts. Leads and admins
have every privilege.

Anti-gaming: a vote from a member with fewer than VOTE_PAY_THRESHOLD (5) points counts on the
post's score but pays its author nothing (and costs the voter nothing), so fresh accounts made
to upvote a friend earn that friend no points. It matters where upvoting opens below it (the
low preset). Staff votes always pay.
"""

from __future__ import annotations

from gamify import engine
from kudos.models import User
from kudos.settings import PRIVILEGE_PRESET, Choice, choose, current, register_choice

# Points each privilege needs under the low, medium and high presets.
THRESHOLDS = {
    "upvote": (1, 15, 30),
    "comment": (25, 50, 100),
    "edit_others": (50, 100, 200),
    "downvote": (60, 125, 250),
    "create_tags": (75, 150, 300),
}
PRIVILEGES = tuple(THRESHOLDS)
PRESETS = {
    name: {privilege: points[column] for privilege, points in THRESHOLDS.items()}
    for column, name in enumerate(("low", "medium", "high"))
}
DEFAULT_PRESET = "medium"
# What the refusal message calls each action (capitalised, as it starts the sentence).
ACTIONS = {
    "upvote": "Upvoting",
    "comment": "Commenting on others' posts",
    "edit_others": "Editing others' posts",
    "downvote": "Downvoting",
    "create_tags": "Creating new tags",
}
VOTE_PAY_THRESHOLD = 5
UNPAID_VOTE = f"votes from members with fewer than {VOTE_PAY_THRESHOLD} points do not pay"

register_choice(
    Choice(
        key=PRIVILEGE_PRESET,
        title="Privilege preset",
        options=tuple(PRESETS),
        default=DEFAULT_PRESET,
        config_key="PRIVILEGE_PRESET",
        rows=tuple((ACTIONS[privilege], points) for privilege, points in THRESHOLDS.items()),
    )
)


def preset() -> str:
    """Return the name of the preset in force."""
    return current(PRIVILEGE_PRESET)


def threshold(privilege: str) -> int:
    """Return the points a privilege needs under the preset in force."""
    return PRESETS[preset()][privilege]


def require(
    user: User, privilege: str, *, field: str | None = None, action: str | None = None
) -> None:
    """Refuse (QAError, 403) an action the user has not earned yet, saying what it needs.

    action replaces the standard name of the action in the message.
    """
    if user.is_staff:
        return
    needed, have = threshold(privilege), engine.total(user.id)
    if have < needed:
        from gamify.services import QAError  # services imports this module

        raise QAError(
            f"{action or ACTIONS[privilege]} needs {needed} points; you have {have}.",
            field,
            status=403,
        )


def allowed(user: User, privilege: str) -> bool:
    """Tell whether the user may do this now (staff always may)."""
    return user.is_staff or engine.total(user.id) >= threshold(privilege)


def set_preset(name: str, actor: User | None) -> str:
    """Switch the instance to another preset and commit (kudos.settings.SettingError if unknown)."""
    return choose(PRIVILEGE_PRESET, name, actor)


def unpaid_vote_reason(voter: User) -> str | None:
    """Return why the voter's votes pay nothing yet, or None when they pay."""
    if voter.is_staff or engine.total(voter.id) >= VOTE_PAY_THRESHOLD:
        return None
    return UNPAID_VOTE
