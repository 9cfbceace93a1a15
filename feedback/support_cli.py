"""`kudos support ...`: the help desk's scheduled jobs."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from feedback import support


@click.group("support")
def support_group() -> None:
    """Scheduled jobs of the help desk."""


@support_group.command("autoclose")
@with_appcontext
def autoclose_command() -> None:
    """Close requests solved 7 days ago or more (safe to run from cron as often as you like)."""
    closed = support.autoclose()
    click.echo(f"Closed {closed} request{'' if closed == 1 else 's'} solved 7 or more days ago.")
