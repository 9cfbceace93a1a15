"""`kudos points ...`: rebuild and check the counters kept beside the ledger."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from gamify import ledger


@click.group("points")
def points_group() -> None:
    """Recalculate and verify points."""


@points_group.command("recalc")
@with_appcontext
def recalc_command() -> None:
    """Replay the ledger in order and rebuild every total and rollup."""
    with click.progressbar(length=ledger.ledger_size(), label="Replaying the ledger") as bar:
        users = ledger.recalculate(progress=bar.update)
    click.echo(f"Rebuilt the totals and rollups of {users} users from the ledger.")


@points_group.command("verify")
@with_appcontext
def verify_command() -> None:
    """List every user whose total or rollups disagree with the ledger (exit 1 if any)."""
    drifts = ledger.verify()
    if not drifts:
        click.echo(f"Points verified: {ledger.ledger_size()} ledger rows, no drift.")
        return
    for drift in drifts:
        click.echo(
            f"user {drift.user_id} <{drift.email}>: {drift.what} is {drift.stored}, "
            f"the ledger says {drift.expected}"
        )
    users = len({drift.user_id for drift in drifts})
    click.echo(f"{users} user(s) disagree with the ledger; run `kudos points recalc`.", err=True)
    raise SystemExit(1)
