"""Score the feedback text saved before sentiment scores were stored with it.

Migration a191e937903e added the sentiment columns; the services score a text when they save
it, so only rows saved before that have text and no score. The backfill gives them the score
the services would have given (feedback.sentiment, the same fields joined the same way), in
batches of rows in id order, one transaction per batch: a failure rolls back the batch it was
in and leaves the batches before it scored, and running again picks up where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from feedback import sentiment
from feedback.historic import HistoricResponse
from feedback.models import SuggestionComment
from feedback.support_models import SupportRating
from feedback.surveys import SurveyResponse
from kudos.extensions import db

log = logging.getLogger(__name__)

BATCH = 1_000


@dataclass(frozen=True)
class Source:
    """A table of scored text and the fields that make up its text, in the services' order."""

    name: str
    table: Table
    fields: tuple[str, ...]


SOURCES = (
    Source("survey answers", SurveyResponse.__table__, ("comment",)),
    Source("support ratings", SupportRating.__table__, ("reason", "comment")),
    Source("suggestion comments", SuggestionComment.__table__, ("body",)),
    Source("historic responses", HistoricResponse.__table__, ("comment",)),
)


@dataclass
class BackfillReport:
    """How many texts were scored, per source, and how many had only blanks to score."""

    scored: dict[str, int]
    blank: int = 0

    @property
    def total(self) -> int:
        return sum(self.scored.values())


def _unscored(source: Source) -> ColumnElement[bool]:
    table = source.table
    has_text = or_(*(func.length(func.trim(table.c[name])) > 0 for name in source.fields))
    return and_(table.c.sentiment.is_(None), has_text)


def pending() -> int:
    """Count the stored texts that have no sentiment score yet."""
    return sum(
        db.session.scalar(select(func.count()).select_from(source.table).where(_unscored(source)))
        or 0
        for source in SOURCES
    )


def backfill(
    *, batch_size: int = BATCH, progress: Callable[[int], None] | None = None
) -> BackfillReport:
    """Score every stored text that lacks a score, committing one batch at a time."""
    report = BackfillReport(scored={source.name: 0 for source in SOURCES})
    for source in SOURCES:
        table = source.table
        fields = [table.c[name] for name in source.fields]
        # The WHERE repeats "no score yet", so a text the services scored meanwhile is kept.
        store = (
            update(table)
            .where(table.c.id == bindparam("row_id"), table.c.sentiment.is_(None))
            .values(sentiment=bindparam("row_sentiment"))
        )
        after = 0
        while True:
            rows = db.session.execute(
                select(table.c.id, *fields)
                .where(_unscored(source), table.c.id > after)
                .order_by(table.c.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            after = rows[-1][0]
            scores = [
                {"row_id": row[0], "row_sentiment": sentiment.score_parts(*row[1:])} for row in rows
            ]
            scored = [value for value in scores if value["row_sentiment"] is not None]
            try:
                if scored:
                    db.session.execute(store, scored)
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
            report.scored[source.name] += len(scored)
            report.blank += len(rows) - len(scored)
            if progress is not None:
                progress(len(rows))
    log.info("Sentiment backfill scored %s texts (%s blank)", report.total, report.blank)
    return report
