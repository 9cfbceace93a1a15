"""`kudos import stackexchange DIR`: bring a Stack Exchange community's history into Kudos."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from gamify import badges, se_import


@click.command("stackexchange")
@click.argument("directory", type=click.Path(file_okay=False, path_type=str))
@click.option(
    "--carry-over-reputation",
    is_flag=True,
    help="Add one 'imported balance' entry per member so that totals equal the dump's Reputation.",
)
@click.option(
    "--rules",
    metavar="FILE|se-history",
    help="Rule values the old site used before a date (JSON), or se-history for Stack "
    "Exchange's own (question upvotes +5 until 2019-11-13).",
)
@click.option("--strict", is_flag=True, help="Stop, changing nothing, at the first unusable row.")
@with_appcontext
def stackexchange_command(directory, carry_over_reputation, rules, strict) -> None:
    """Import a Stack Exchange data dump folder; the points engine scores it."""
    seen: dict[str, int] = {}

    def progress(file: str, count: int) -> None:
        seen[file] = seen.get(file, 0) + count
        click.echo(f"\r  {file}: {seen[file]:,} rows", nl=False, err=True)
        if count < 1000:
            click.echo(err=True)

    try:
        summary = se_import.import_dump(
            directory,
            carry_over=carry_over_reputation,
            rules=se_import.Rules.load(rules),
            strict=strict,
            progress=progress,
        )
    except se_import.ImportFailed as error:
        raise click.ClickException(f"{error} Nothing was imported.") from None
    with click.progressbar(
        length=len(badges.backfill_targets()), label="Awarding badges", file=None
    ) as bar:
        awards = badges.backfill(progress=bar.update)
    se_import.badge_agreement(directory, summary)
    for line in summary.lines():
        click.echo(line)
    click.echo(f"Badges: {awards:,} awarded by Kudos's own criteria.")
