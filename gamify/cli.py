"""`kudos points ...`: rebuild and check the counters kept beside the ledger; anti-gaming jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from flask.cli import with_appcontext

from gamify import antigaming, ledger, tag_scores
from kudos.models import utcnow


@click.group("points")
def points_group() -> None:
    """Recalculate and verify points; correct serial voting."""


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
    """List every user whose total or rollups disagree with the ledger (exit 1 if any).

    Also lists where the answer scores per tag (read by the tag badges) disagree with the
    posts they sum.
    """
    drifts, tag_drifts = ledger.verify(), tag_scores.drift()
    if not drifts and not tag_drifts:
        click.echo(f"Points verified: {ledger.ledger_size()} ledger rows, no drift.")
        return
    for drift in drifts:
        click.echo(
            f"user {drift.user_id} <{drift.email}>: {drift.what} is {drift.stored}, "
            f"the ledger says {drift.expected}"
        )
    for user_id, tag_id, stored, actual in tag_drifts:
        click.echo(
            f"user {user_id}: answer score in tag {tag_id} is {stored}, the posts say {actual}"
        )
    users = len({drift.user_id for drift in drifts} | {drift[0] for drift in tag_drifts})
    click.echo(f"{users} user(s) disagree with the ledger; run `kudos points recalc`.", err=True)
    raise SystemExit(1)


def _parse_since(since: str | None, days: int | None) -> datetime | None:
    if since is not None and days is not None:
        raise click.UsageError("Give --since or --days, not both.")
    if days is not None:
        return utcnow() - timedelta(days=days)
    if since is None:
        return None
    try:
        moment = datetime.fromisoformat(since)
    except ValueError as error:
        raise click.BadParameter(
            f"{since!r} is not an ISO date or time.", param_hint="--since"
        ) from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _signed(points: int) -> str:
    return f"{points:+d}"


@points_group.command("detect-serial-voting")
@click.option("--since", help="Look at votes cast from this ISO date or time (UTC unless given).")
@click.option("--days", type=click.IntRange(min=1), help="Look at votes cast in the last N days.")
@click.option("--dry-run", is_flag=True, help="List the cases; change nothing.")
@click.option("--quiet", is_flag=True, help="Print only when something was corrected (for cron).")
@with_appcontext
def detect_serial_voting_command(
    since: str | None, days: int | None, dry_run: bool, quiet: bool
) -> None:
    """Reverse serial voting ("voting corrected") and re-apply the daily cap of those days."""
    start = _parse_since(since, days)
    cases = antigaming.find_serial_voting(start)

    def pair(case: antigaming.SerialCase) -> str:
        return (
            f"voter {case.voter_id} <{case.voter_email}> on posts of "
            f"author {case.author_id} <{case.author_email}>"
        )

    if not quiet:
        scope = f"since {_when(start)} UTC" if start else "in all votes"
        click.echo(
            f"Serial voting: {antigaming.SERIAL_THRESHOLD} or more votes from one voter on one "
            f"author's posts within {antigaming.SERIAL_WINDOW.total_seconds() / 3600:g} hours; "
            f"{len(cases)} case(s) {scope}."
        )
        for case in cases:
            click.echo(
                f"  {pair(case)}: {case.votes} votes from {_when(case.first_at)} to "
                f"{_when(case.last_at)} UTC, {case.standing} award(s) standing"
            )
    if dry_run:
        if not quiet:
            if undone_days := antigaming.days_with_undone_repayments():
                click.echo(f"{len(undone_days)} day(s) hold re-payments of awards undone since.")
            click.echo("Dry run: nothing was changed.")
        return

    def show(result: antigaming.CaseResult) -> None:
        if result.error is not None:
            click.echo(f"Could not correct {pair(result.case)}: {result.error}", err=True)
        elif result.changed:
            click.echo(
                f"Voting corrected for {pair(result.case)}: {result.reversed} award(s) reversed, "
                f"author {_signed(result.author_points)}, voter {_signed(result.voter_points)}, "
                f"{result.repaid} point(s) re-paid under the daily cap."
            )

    report = antigaming.correct(cases, progress=show)
    taken_back = antigaming.settle_undone_repayments()
    if taken_back:
        click.echo(f"Took back {taken_back} re-payment(s) of awards undone since.")
    if report.changed or not quiet:
        click.echo(
            f"{len(report.corrected)} case(s) corrected: {report.reversed} award(s) reversed, "
            f"{report.repaid} point(s) re-paid under the daily cap."
        )
    if report.failed:
        raise SystemExit(1)
