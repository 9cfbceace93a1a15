"""Leaderboards and points standings, read from the rollups the engine keeps.

Period boards read PointPeriod and the all-time board reads UserScore: one indexed query each,
never the ledger. Only per-tag boards aggregate the ledger (PointEvent), because points are not
rolled up per tag. Ties go to whoever reached the score first, then to the lower user id, so
every board is a total order and a rank can be counted rather than found by loading the board.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Date,
    FromClause,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload

from gamify.engine import DEFAULT_RULES, FLOOR, period_starts
from gamify.models import PERIODS, PointDay, PointEvent, PointPeriod, Tag, UserScore, question_tag
from kudos.extensions import db
from kudos.models import Role, User, utcnow
from kudos.paging import Paged

BOARD_PERIODS = (*PERIODS, "all")
BOARDS = ("members", "staff")
HALL_OF_FAME_SIZE = 10
STAFF_ROLES = (Role.LEAD.value, Role.ADMIN.value)
MINUS = "\u2212"


class UnknownPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Row:
    rank: int
    user_id: int
    display_name: str
    points: int


@dataclass(frozen=True)
class Standing:
    """A user's place on a board, with the people just above and just below."""

    rank: int
    user_id: int
    display_name: str
    points: int
    above: tuple[Row, ...] = ()
    below: tuple[Row, ...] = ()

    @property
    def rows(self) -> list[Row]:
        """Return the neighbours above, the user, and the neighbours below, in board order."""
        me = Row(self.rank, self.user_id, self.display_name, self.points)
        return [*self.above, me, *self.below]


@dataclass(frozen=True)
class _Ranking:
    """What a board ranks (source and filters) and the columns it orders by."""

    source: FromClause
    conditions: tuple[ColumnElement[bool], ...]
    user_id: ColumnElement[int]
    display_name: ColumnElement[str]
    points: ColumnElement[int]
    reached: ColumnElement[datetime]
    # For the members boards of the rollups: the rollup table alone, the conditions on it, and
    # the eligibility ones (on the user), so that a rank can be counted from the board index.
    rollup: FromClause | None = None
    own: tuple[ColumnElement[bool], ...] = ()
    eligible: tuple[ColumnElement[bool], ...] = ()

    def select(self, *columns) -> Select:
        columns = columns or (
            self.user_id.label("user_id"),
            self.display_name.label("display_name"),
            self.points.label("points"),
        )
        return select(*columns).select_from(self.source).where(*self.conditions)

    @property
    def order(self) -> tuple:
        return (self.points.desc(), self.reached.asc(), self.user_id.asc())

    def ahead_of(
        self, points: int, reached: datetime, user_id: int, *, scored=None
    ) -> ColumnElement[bool]:
        # The redundant range on points lets the board index narrow the scan.
        scored = self.points if scored is None else scored
        return and_(
            scored >= points,
            or_(
                scored > points,
                self.reached < reached,
                and_(self.reached == reached, self.user_id < user_id),
            ),
        )

    def count_ahead(self, points: int, reached: datetime, user_id: int) -> int:
        """Count the people ranked before a score reached at `reached` by user_id."""
        if self.rollup is None:
            ahead = self.ahead_of(points, reached, user_id)
            return db.session.scalar(self.select(func.count()).where(ahead)) or 0
        # Joining every row ahead to its user costs one lookup per rank. Instead: count the
        # rollup rows with more points (a range of the board index), add the ties reached
        # earlier, and take away the few ahead who are not on this board (staff, suspended).
        count = select(func.count()).select_from(self.rollup).where(*self.own)
        # "points + 0" keeps the board index out of it: the few off-board users lead, each
        # probed by primary key, rather than every row ahead being checked against them.
        off_board = (
            select(func.count())
            .select_from(self.rollup)
            .where(
                *self.own,
                self.ahead_of(points, reached, user_id, scored=self.points + 0),
                self.user_id.in_(select(User.id).where(~and_(*self.eligible))),
            )
        )
        total = (
            count.where(self.points > points).scalar_subquery()
            + count.where(self.tied(points, reached, user_id, ahead=True)).scalar_subquery()
            - off_board.scalar_subquery()
        )
        return db.session.scalar(select(total)) or 0

    def tied(
        self, points: int, reached: datetime, user_id: int, *, ahead: bool
    ) -> ColumnElement[bool]:
        """Select the people with the same points ranked before (ahead) or after a user.

        A range on (points, reached_at) first, so that the board index is searched from the
        user's own place rather than scanned through the whole group of ties.
        """
        if ahead:
            return and_(
                self.points == points,
                self.reached <= reached,
                or_(self.reached < reached, self.user_id < user_id),
            )
        return and_(
            self.points == points,
            self.reached >= reached,
            or_(self.reached > reached, self.user_id > user_id),
        )

    def nearest(
        self, points: int, reached: datetime, user_id: int, *, ahead: bool, count: int
    ) -> list:
        """Return up to count people ranked next to a user (before, or after), nearest first.

        Ties come first, then the next scores, each read in (or against) the index's order.
        """
        if ahead:
            rest = self.points > points
            order = (self.points.asc(), self.reached.desc(), self.user_id.desc())
        else:
            rest = self.points < points
            order = self.order
        tied = self.tied(points, reached, user_id, ahead=ahead)
        rows = db.session.execute(self.select().where(tied).order_by(*order).limit(count)).all()
        if len(rows) < count:
            rows += db.session.execute(
                self.select().where(rest).order_by(*order).limit(count - len(rows))
            ).all()
        return rows


def _today(today: date | None) -> date:
    return today or utcnow().date()


def current_start(period: str, today: date | None = None) -> date:
    """Return the first day of the current UTC period of this kind."""
    if period not in PERIODS:
        raise UnknownPeriod(f"no calendar period {period!r}")
    return period_starts(_today(today))[period]


def next_start(period: str, start: date) -> date:
    """Return the first day of the period after the one starting on start."""
    months = {"week": 0, "month": 1, "quarter": 3, "year": 12}[period]
    if not months:
        return start + timedelta(days=7)
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def previous_start(period: str, start: date) -> date:
    """Return the first day of the period before the one starting on start."""
    return period_starts(start - timedelta(days=1))[period]


def period_label(period: str, start: date) -> str:
    """Name a calendar period for people: "Week of 30 Nov 2026", "Q4 2026"..."""
    if period == "week":
        return f"Week of {start.day} {start:%b %Y}"
    if period == "month":
        return f"{start:%B %Y}"
    if period == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return str(start.year)


def _eligible(staff: bool) -> tuple[ColumnElement[bool], ...]:
    # The members' board's negation is kudos.models.OFF_BOARD, the predicate of the partial
    # index that rank_of() reads the off-board accounts from: change the two together.
    roles = STAFF_ROLES if staff else (Role.MEMBER.value,)
    return (User.role.in_(roles), User.suspended_at.is_(None))


def _ranking(period: str, *, staff: bool, tag: str | None, today: date | None) -> _Ranking:
    if period not in BOARD_PERIODS:
        raise UnknownPeriod(f"no leaderboard period {period!r}")
    if tag is not None:
        return _tag_ranking(period, staff=staff, tag=tag, today=today)
    eligible = _eligible(staff)
    if period == "all":
        # Everyone starts at 1: only a total above it was earned. (On "+ 0" see below.)
        own: tuple[ColumnElement[bool], ...] = (UserScore.total + 0 > FLOOR,)
        return _Ranking(
            source=db.join(UserScore, User, User.id == UserScore.user_id),
            conditions=(*own, *eligible),
            user_id=UserScore.user_id,
            display_name=User.display_name,
            points=UserScore.total,
            reached=UserScore.reached_at,
            # Staff are few: their board is counted through the join, as it is read.
            rollup=None if staff else UserScore.__table__,
            own=own,
            eligible=eligible,
        )
    # "points + 0 > 0" is the same test as "points > 0", but no range for the planner to take
    # the board index for: a lookup of one user goes by primary key, and a board is still read
    # in the index's order.
    own = (
        PointPeriod.period == period,
        PointPeriod.start == current_start(period, today),
        PointPeriod.points + 0 > 0,
    )
    return _Ranking(
        source=db.join(PointPeriod, User, User.id == PointPeriod.user_id),
        conditions=(*own, *eligible),
        user_id=PointPeriod.user_id,
        display_name=User.display_name,
        points=PointPeriod.points,
        reached=PointPeriod.reached_at,
        rollup=None if staff else PointPeriod.__table__,
        own=own,
        eligible=eligible,
    )


def _tag_ranking(period: str, *, staff: bool, tag: str, today: date | None) -> _Ranking:
    points = func.sum(PointEvent.applied)
    # A row that paid nothing (capped) did not change the score, so it reached nothing.
    reached = func.max(case((PointEvent.applied != 0, PointEvent.created_at)))
    statement = (
        select(
            PointEvent.user_id.label("user_id"),
            User.display_name.label("display_name"),
            points.label("points"),
            reached.label("reached"),
        )
        .select_from(Tag)
        .join(question_tag, question_tag.c.tag_id == Tag.id)
        .join(PointEvent, PointEvent.question_id == question_tag.c.question_id)
        .join(User, User.id == PointEvent.user_id)
        .where(Tag.name == tag, *_eligible(staff))
        .group_by(PointEvent.user_id, User.display_name)
        .having(points > 0)
    )
    if period != "all":
        start = current_start(period, today)
        statement = statement.where(
            PointEvent.day >= start, PointEvent.day < next_start(period, start)
        )
    scores = statement.subquery("tag_score")
    return _Ranking(
        source=scores,
        conditions=(),
        user_id=scores.c.user_id,
        display_name=scores.c.display_name,
        points=scores.c.points,
        reached=scores.c.reached,
    )


def tag_exists(name: str) -> bool:
    """Tell whether a tag of this name exists."""
    return db.session.scalar(select(Tag.id).where(Tag.name == name)) is not None


def board(
    period: str,
    *,
    staff: bool = False,
    tag: str | None = None,
    today: date | None = None,
    limit: int = 50,
) -> list[Row]:
    """Return the top of a board: members (or staff) with points in the period, best first."""
    ranking = _ranking(period, staff=staff, tag=tag, today=today)
    result = db.session.execute(ranking.select().order_by(*ranking.order).limit(limit))
    return [
        Row(rank, row.user_id, row.display_name, row.points)
        for rank, row in enumerate(result, start=1)
    ]


def rank_of(
    user_id: int,
    period: str,
    *,
    staff: bool = False,
    tag: str | None = None,
    today: date | None = None,
    around: int = 2,
) -> Standing | None:
    """Return a user's rank on a board with up to `around` neighbours each side, else None.

    None means the user is not on that board: no points in the period, wrong role, suspended.
    """
    ranking = _ranking(period, staff=staff, tag=tag, today=today)
    me = db.session.execute(
        ranking.select(ranking.display_name, ranking.points, ranking.reached).where(
            ranking.user_id == user_id
        )
    ).first()
    if me is None:
        return None
    display_name, points, reached = me
    rank = 1 + ranking.count_ahead(points, reached, user_id)
    above: tuple[Row, ...] = ()
    below: tuple[Row, ...] = ()
    if around > 0:
        nearest_above = ranking.nearest(points, reached, user_id, ahead=True, count=around)
        above = tuple(
            Row(rank - distance, row.user_id, row.display_name, row.points)
            for distance, row in reversed(list(enumerate(nearest_above, start=1)))
        )
        nearest_below = ranking.nearest(points, reached, user_id, ahead=False, count=around)
        below = tuple(
            Row(rank + distance, row.user_id, row.display_name, row.points)
            for distance, row in enumerate(nearest_below, start=1)
        )
    return Standing(rank, user_id, display_name, points, above, below)


@functools.cache
def _hall_of_fame_statement(period: str, count: int) -> Select:
    """The hall of fame's query for `count` past periods, their starts bound at execution.

    Built once per period and count: constructing the six-part union anew took most of the
    leaderboard page's time, and the statement depends on nothing else.
    """
    order = (PointPeriod.points.desc(), PointPeriod.reached_at.asc(), PointPeriod.user_id.asc())
    # One top-10 per period, each read from the board index and cut short by its LIMIT (a
    # window function would rank every row of every period first). SQLite accepts ORDER BY
    # and LIMIT in a compound select only inside subqueries.
    tops = [
        select(
            PointPeriod.start,
            PointPeriod.user_id,
            User.display_name,
            PointPeriod.points,
            PointPeriod.reached_at,
        )
        .join(User, User.id == PointPeriod.user_id)
        .where(
            PointPeriod.period == period,
            PointPeriod.start == bindparam(f"start_{index}", type_=Date()),
            PointPeriod.points > 0,
            *_eligible(False),
        )
        .order_by(*order)
        .limit(HALL_OF_FAME_SIZE)
        .subquery()
        for index in range(count)
    ]
    top = union_all(*(select(one) for one in tops)).subquery("top")
    return select(top).order_by(
        top.c.start.desc(), top.c.points.desc(), top.c.reached_at.asc(), top.c.user_id.asc()
    )


def hall_of_fame(
    period: str, *, count: int = 6, today: date | None = None
) -> list[tuple[date, str, list[Row]]]:
    """Return the member top 10 of each of the `count` past periods, most recent first."""
    start = current_start(period, today)
    starts = []
    for _ in range(count):
        start = previous_start(period, start)
        starts.append(start)
    if not starts:
        return []
    statement = _hall_of_fame_statement(period, len(starts))
    params = {f"start_{index}": start for index, start in enumerate(starts)}
    rows: dict[date, list[Row]] = {start: [] for start in starts}
    for row in db.session.execute(statement, params):
        ranked = rows[row.start]
        ranked.append(Row(len(ranked) + 1, row.user_id, row.display_name, row.points))
    return [(start, period_label(period, start), rows[start]) for start in starts]


# ---------------------------------------------------------------------------------------------
# A user's own points: history and chart, for the profile page


@dataclass(frozen=True)
class LedgerLine:
    """One ledger row explained: "+10, answer upvoted, on <question>"."""

    created_at: datetime
    amount: str
    applied: int
    label: str
    note: str | None
    question_id: int | None
    question_title: str | None
    question_deleted: bool

    @property
    def on_hidden_post(self) -> bool:
        return self.question_id is not None and self.question_title is None


@dataclass(frozen=True)
class History(Paged):
    lines: list[LedgerLine]
    page: int
    pages: int
    total: int


def _amount(event: PointEvent) -> str:
    """Format applied points with the sign of what was asked ("+0" for a capped award)."""
    negative = event.requested < 0 or (event.requested == 0 and event.reverses_id is not None)
    return f"{MINUS if negative else '+'}{abs(event.applied)}"


def _explain(event: PointEvent, show_deleted: bool) -> LedgerLine:
    rule = DEFAULT_RULES.get(event.action)
    label = rule.label if rule else event.action.replace("_", " ")
    if event.reverses_id is not None:
        label = f"{label} undone"
    question = event.question
    deleted = question is not None and question.deleted_at is not None
    title = question.title if question is not None and (show_deleted or not deleted) else None
    return LedgerLine(
        created_at=event.created_at,
        amount=_amount(event),
        applied=event.applied,
        label=label,
        note=event.note,
        question_id=question.id if question is not None else None,
        question_title=title,
        question_deleted=deleted,
    )


def history(
    user_id: int, *, page: int = 1, per_page: int = 20, show_deleted: bool = False
) -> History:
    """Return one page of a user's ledger, newest first, each row explained.

    Titles of deleted questions are shown only when show_deleted (staff viewers).
    """
    statement = (
        select(PointEvent)
        .options(joinedload(PointEvent.question))
        .where(PointEvent.user_id == user_id)
        .order_by(PointEvent.day.desc(), PointEvent.created_at.desc(), PointEvent.id.desc())
    )
    pagination = db.paginate(statement, page=page, per_page=per_page, error_out=False)
    return History(
        lines=[_explain(event, show_deleted) for event in pagination.items],
        page=pagination.page,
        pages=pagination.pages,
        total=pagination.total or 0,
    )


@dataclass(frozen=True)
class Chart:
    """A points-over-time line, laid out for an inline SVG of width x height."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    polyline: str
    start: date
    end: date
    low: int
    high: int


CHART_SIZE = (480, 180)
CHART_MARGIN = {"left": 48, "right": 8, "top": 12, "bottom": 28}


def points_over_time(
    user_id: int, *, today: date | None = None, days: int = 365
) -> list[tuple[date, int]]:
    """Return the user's total at the start of the window and after each day with points."""
    end = _today(today)
    start = end - timedelta(days=days - 1)
    earlier = db.session.scalar(
        select(func.coalesce(func.sum(PointDay.points), 0)).where(
            PointDay.user_id == user_id, PointDay.day < start
        )
    )
    running = FLOOR + (earlier or 0)
    series = [(start, running)]
    for day, points in db.session.execute(
        select(PointDay.day, PointDay.points)
        .where(PointDay.user_id == user_id, PointDay.day >= start, PointDay.day <= end)
        .order_by(PointDay.day)
    ):
        running += points
        series.append((day, running))
    return series


def points_chart(user_id: int, *, today: date | None = None, days: int = 365) -> Chart | None:
    """Lay out the total per day over the last `days` days as a step line; None if no points."""
    series = points_over_time(user_id, today=today, days=days)
    if len(series) == 1:
        return None
    width, height = CHART_SIZE
    left, right = CHART_MARGIN["left"], width - CHART_MARGIN["right"]
    top, bottom = CHART_MARGIN["top"], height - CHART_MARGIN["bottom"]
    start, end = series[0][0], _today(today)
    low = min(total for _, total in series)
    high = max(total for _, total in series)
    span_days = max((end - start).days, 1)
    span_points = max(high - low, 1)

    def x(day: date) -> float:
        return round(left + (day - start).days / span_days * (right - left), 1)

    def y(total: int) -> float:
        return round(bottom - (total - low) / span_points * (bottom - top), 1)

    previous = series[0][1]
    coordinates = [(x(start), y(previous))]
    for day, total in series[1:]:
        coordinates += [(x(day), y(previous)), (x(day), y(total))]
        previous = total
    coordinates.append((x(end), y(previous)))
    return Chart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        polyline=" ".join(f"{px:g},{py:g}" for px, py in coordinates),
        start=start,
        end=end,
        low=low,
        high=high,
    )
