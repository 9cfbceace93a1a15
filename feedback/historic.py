"""Historic feedback: ratings and comments collected before Kudos, loaded from a CSV file.

`kudos import feedback FILE.csv [--dry-run]` reads one row per response with the columns
date, kind (csat, nps or ces), score, comment, category and, optionally, email. Every row is
checked before anything is written: a bad row is reported with its line number and the reason
and skipped, and the good ones are saved in one transaction, so a row is never half-written.
Each row's key is the SHA-256 of the row normalised (the date as UTC, the kind and category
lower-case, the comment with its whitespace collapsed, the email lower-case), under a unique
constraint, so importing the same file again loads nothing twice. A comment is scored for
sentiment as it is saved, like one written in Kudos. The satisfaction and sentiment
dashboards count these responses alongside the ones given in Kudos; they earn no points.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import TextIO

import click
from flask.cli import with_appcontext
from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback import sentiment
from feedback.followups import SCALES
from feedback.support_models import CATEGORIES
from kudos.database import dialect_insert
from kudos.extensions import db
from kudos.models import User, UTCDateTime, utcnow

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("date", "kind", "score", "comment", "category")
OPTIONAL_COLUMNS = ("email",)
COMMENT_MAX = 5_000
BATCH = 500
PROGRESS_LINES = 1_000
NOT_UTF8 = "The file is not UTF-8 text; save it as UTF-8 CSV (nothing was imported)."


def _score_in_range() -> str:
    return " OR ".join(
        f"(kind = '{kind}' AND score BETWEEN {low} AND {high})"
        for kind, (low, high) in SCALES.items()
    )


class HistoricResponse(db.Model):
    """One past CSAT, NPS or CES response imported from a file, with its optional comment."""

    __tablename__ = "historic_response"
    __table_args__ = (
        CheckConstraint("kind IN ('csat', 'nps', 'ces')", name="kind_valid"),
        CheckConstraint(_score_in_range(), name="score_in_kind_range"),
        Index("ix_historic_response_kind_responded_at", "kind", "responded_at"),
        Index("ix_historic_response_responded_at", "responded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    responded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(8))
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    # A support category (feedback.support_models.CATEGORIES), or None.
    category: Mapped[str | None] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    sentiment: Mapped[float | None] = mapped_column(Float)
    row_key: Mapped[str] = mapped_column(String(64), unique=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HistoricImportError(Exception):
    """A file that cannot be imported at all, with the reason for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do)."""

    loaded: int = 0
    already_present: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    matched_accounts: int = 0
    dry_run: bool = False


class RowError(ValueError):
    pass


@dataclass(frozen=True)
class CleanRow:
    responded_at: datetime
    kind: str
    score: int
    comment: str | None
    category: str | None
    email: str | None

    @property
    def key(self) -> str:
        parts = (
            self.responded_at.isoformat(),
            self.kind,
            str(self.score),
            self.comment or "",
            self.category or "",
            self.email or "",
        )
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def parse_date(raw: str, now: datetime) -> datetime:
    """Read 2025-03-31 or an ISO 8601 time (UTC unless it carries an offset)."""
    text = raw.strip()
    if not text:
        raise RowError("the date is empty")
    try:
        if len(text) == 10:
            moment = datetime.combine(datetime.fromisoformat(text).date(), time.min, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(f"“{text[:40]}” is not a date like 2025-03-31") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment > now:
        raise RowError(f"the date {text[:40]} is in the future")
    return moment


def clean_row(values: dict[str, str | None], now: datetime) -> CleanRow:
    """Check one row and return it normalised, or raise RowError with the reason."""
    if any(values.get(column) is None for column in REQUIRED_COLUMNS):
        raise RowError("the row has fewer fields than the header")
    if values.get(None):  # csv.DictReader puts surplus fields under the key None
        raise RowError("the row has more fields than the header")
    responded_at = parse_date(values["date"], now)
    kind = values["kind"].strip().lower()
    if kind not in SCALES:
        raise RowError(f"unknown kind “{values['kind'].strip()[:20]}” (use csat, nps or ces)")
    low, high = SCALES[kind]
    raw_score = values["score"].strip()
    try:
        score = int(raw_score)
    except ValueError:
        raise RowError(f"the score “{raw_score[:20]}” is not a whole number") from None
    if not low <= score <= high:
        raise RowError(f"a {kind} score is from {low} to {high}, not {score}")
    comment = " ".join(values["comment"].split()) or None
    if comment and len(comment) > COMMENT_MAX:
        raise RowError(f"the comment is longer than {COMMENT_MAX} characters")
    category = values["category"].strip().lower() or None
    if category is not None and category not in CATEGORIES:
        raise RowError(
            f"unknown category “{values['category'].strip()[:30]}” "
            f"(use one of {', '.join(CATEGORIES)}, or leave it empty)"
        )
    email = (values.get("email") or "").strip().lower() or None
    return CleanRow(responded_at, kind, score, comment, category, email)


def read_rows(
    stream: TextIO,
    now: datetime,
    report: ImportReport,
    progress: Callable[[int], None] | None = None,
) -> Iterable[tuple[int, CleanRow]]:
    """Yield (line, row) for each good row; note each bad one in the report.

    progress, if given, is called with the number of lines read since its last call.
    """
    reader = csv.DictReader(stream)
    try:
        header = reader.fieldnames
    except UnicodeDecodeError:
        raise HistoricImportError(NOT_UTF8) from None
    except csv.Error as error:
        raise HistoricImportError(f"The file cannot be read as CSV: {error}") from None
    if not header:
        raise HistoricImportError("The file is empty: it needs a header row with the column names.")
    names = [(name or "").strip().lower() for name in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise HistoricImportError(
            f"The header lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}; it needs {', '.join(REQUIRED_COLUMNS)} (and optionally email)."
        )
    reader.fieldnames = names
    reported = 0
    while True:
        if progress is not None and reader.line_num - reported >= PROGRESS_LINES:
            progress(reader.line_num - reported)
            reported = reader.line_num
        try:
            values = next(reader)
        except StopIteration:
            if progress is not None:
                progress(reader.line_num - reported)
            return
        except UnicodeDecodeError:
            raise HistoricImportError(f"After line {reader.line_num}: {NOT_UTF8}") from None
        except csv.Error as error:
            raise HistoricImportError(
                f"Line {reader.line_num}: the file cannot be read: {error}"
            ) from None
        if not any((value or "").strip() for key, value in values.items() if key is not None):
            continue  # a blank line
        try:
            yield reader.line_num, clean_row(values, now)
        except RowError as error:
            report.skipped.append((reader.line_num, str(error)))


def _accounts(emails: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    names = sorted(emails)
    for start in range(0, len(names), BATCH):
        chunk = names[start : start + BATCH]
        rows = db.session.execute(
            select(func.lower(User.email), User.id).where(func.lower(User.email).in_(chunk))
        )
        found.update(dict(rows.all()))
    return found


def _present(keys: list[str]) -> set[str]:
    present: set[str] = set()
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        present.update(
            db.session.scalars(
                select(HistoricResponse.row_key).where(HistoricResponse.row_key.in_(chunk))
            )
        )
    return present


@dataclass
class ImportPlan:
    """A checked file: the report so far and the new rows to load, with their accounts."""

    report: ImportReport
    new: list[CleanRow]
    accounts: dict[str, int]
    now: datetime


def check_file(
    stream: TextIO,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Read and check every row, and find which are new; write nothing.

    progress, if given, is called with the number of lines read since its last call.
    """
    now = now or utcnow()
    report = ImportReport(dry_run=dry_run)
    rows: dict[str, CleanRow] = {}
    for _, row in read_rows(stream, now, report, progress):
        if row.key in rows:
            report.already_present += 1  # the same response twice in one file
        else:
            rows[row.key] = row
    present = _present(list(rows))
    report.already_present += len(present)
    new = [row for key, row in rows.items() if key not in present]
    accounts = _accounts({row.email for row in new if row.email})
    report.matched_accounts = sum(1 for row in new if row.email and row.email in accounts)
    return ImportPlan(report, new, accounts, now)


def load(plan: ImportPlan, *, progress: Callable[[int], None] | None = None) -> ImportReport:
    """Score and save the plan's new rows in one transaction (a dry run saves nothing).

    progress, if given, is called with the number of rows after each batch.
    """
    report = plan.report
    if report.dry_run:
        report.loaded = len(plan.new)
        db.session.rollback()
        return report
    try:
        for start in range(0, len(plan.new), BATCH):
            batch = plan.new[start : start + BATCH]
            values = [
                {
                    "responded_at": row.responded_at,
                    "kind": row.kind,
                    "score": row.score,
                    "comment": row.comment,
                    "category": row.category,
                    "user_id": plan.accounts.get(row.email) if row.email else None,
                    "sentiment": sentiment.score(row.comment),
                    "row_key": row.key,
                    "imported_at": plan.now,
                }
                for row in batch
            ]
            # Another import of the same rows at the same moment inserts nothing twice.
            inserted = db.session.execute(
                dialect_insert(HistoricResponse)
                .values(values)
                .on_conflict_do_nothing(index_elements=["row_key"])
                .returning(HistoricResponse.id)
            ).all()
            report.loaded += len(inserted)
            if progress is not None:
                progress(len(batch))
        report.already_present += len(plan.new) - report.loaded
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info(
        "Imported %s historic responses (%s already present, %s skipped)",
        report.loaded,
        report.already_present,
        len(report.skipped),
    )
    return report


def import_file(
    stream: TextIO, *, dry_run: bool = False, now: datetime | None = None
) -> ImportReport:
    """Load the good rows of a CSV file in one transaction; report loaded, present, skipped."""
    return load(check_file(stream, dry_run=dry_run, now=now))


def _count_lines(path: str) -> int:
    """The physical lines of a file (the last one may lack its newline)."""
    lines, last = 0, b"\n"
    with open(path, "rb") as raw:
        while chunk := raw.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


@click.command("feedback")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@with_appcontext
def import_feedback_command(file: str, dry_run: bool) -> None:
    """Import past CSAT, NPS and CES responses from a CSV file.

    Columns: date, kind (csat, nps or ces), score, comment, category and optionally email.
    """
    try:
        with (
            open(file, encoding="utf-8-sig", newline="") as stream,
            click.progressbar(length=_count_lines(file), label="Checking the file") as bar,
        ):
            plan = check_file(stream, dry_run=dry_run, progress=bar.update)
    except HistoricImportError as error:
        raise click.ClickException(error.message) from None
    if dry_run or not plan.new:
        report = load(plan)
    else:
        label = f"Loading {len(plan.new)} response{'' if len(plan.new) == 1 else 's'}"
        with click.progressbar(length=len(plan.new), label=label) as bar:
            report = load(plan, progress=bar.update)
    for line, reason in report.skipped:
        click.echo(f"line {line}: skipped: {reason}", err=True)
    verb = "would load" if dry_run else "loaded"
    click.echo(
        f"{'Dry run: ' if dry_run else ''}{verb} {report.loaded}, "
        f"skipped {len(report.skipped)}, already present {report.already_present}"
        f" ({report.matched_accounts} matched to an account by email)."
    )
