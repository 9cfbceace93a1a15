"""`kudos sentiment ...`: jobs on the stored sentiment scores of feedback text."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from feedback import sentiment_backfill


@click.group("sentiment")
def sentiment_group() -> None:
    """Score feedback text for the sentiment dashboard."""


@sentiment_group.command("backfill")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=sentiment_backfill.BATCH,
    show_default=True,
    help="Texts scored and committed per transaction.",
)
@with_appcontext
def backfill_command(batch_size: int) -> None:
    """Score the comments, ratings and survey answers saved before scores were stored.

    Safe to run again: it scores only texts that have no score yet.
    """
    pending = sentiment_backfill.pending()
    if not pending:
        click.echo("Nothing to score: every stored text has a sentiment score.")
        return
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        bar.update(rows)

    with click.progressbar(length=pending, label=f"Scoring {pending} texts") as bar:
        try:
            report = sentiment_backfill.backfill(batch_size=batch_size, progress=advance)
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).splitlines()[0][:200]
            raise click.ClickException(
                f"Stopped after {done} of {pending} texts: {reason}. The batch that failed was "
                "rolled back; run the command again to score the rest."
            ) from None
    for name, count in report.scored.items():
        if count:
            click.echo(f"  {name}: {count}")
    blank = f" ({report.blank} had only blanks and stay unscored)" if report.blank else ""
    click.echo(f"Scored {report.total} text{'' if report.total == 1 else 's'}{blank}.")
