"""The dashboards: which panels each shows, and how a panel goes from query to metric to chart.

A panel's build returns the frame behind it (the CSV export) and its figure, from the same
numbers. Rates are suppressed below 5 responses before they are drawn or exported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from flask import g

from analytics import charts, metrics, queries
from analytics.queries import Filters

SUGGESTION_STATUSES = ("open", "under_review", "planned", "in_progress", "completed", "declined")
PRIORITIES = ("urgent", "high", "normal", "low")


@dataclass
class PanelResult:
    frame: pd.DataFrame
    figure: go.Figure | None = None
    # Headline figures shown beside the chart: (label, value text).
    stats: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Panel:
    slug: str
    title: str
    build: Callable[[Filters], PanelResult]


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title: str
    description: str
    # Which list the category filter offers: "support" categories, "tags", or "sentiment"
    # (support categories, survey and suggestion).
    category_kind: str
    panels: tuple[Panel, ...]

    def panel(self, slug: str) -> Panel | None:
        return next((panel for panel in self.panels if panel.slug == slug), None)


def _once(query: Callable[..., pd.DataFrame], filters: Filters, *args) -> pd.DataFrame:
    """Read a query that two panels share once per request (nothing outlives the request)."""
    read = g.setdefault("analytics_reads", {})
    key = (query.__name__, filters, args)
    if key not in read:
        read[key] = query(filters, *args)
    return read[key]


def _rate_text(rate: float | None, n: int, suffix: str = "%") -> str:
    if n < metrics.MIN_CELL or rate is None or pd.isna(rate):
        return f"hidden (n={n}, fewer than {metrics.MIN_CELL})"
    return f"{rate:.1f}{suffix} (n={n})"


# Satisfaction ---------------------------------------------------------------------------------


def csat_weekly(filters: Filters) -> PanelResult:
    counts = queries.csat_counts(filters, "week")
    frame = metrics.suppress(metrics.csat(counts, ["period"]), ["csat", "satisfied"])
    frame = metrics.rolling_mean(frame, "csat", 4, "csat_4wk_mean")
    rated, offered = queries.csat_offered(filters)
    total = metrics.csat(counts) if len(counts) else None
    overall = None if total is None else float(total["csat"].iloc[0])
    n = 0 if total is None else int(total["n"].iloc[0])
    rate = metrics.share(min(rated, offered), offered) if offered else None
    return PanelResult(
        frame,
        charts.rate_bars(frame, "period", "csat", "CSAT % by week", name="CSAT %",
                         rolling="csat_4wk_mean", rolling_name="4-week rolling mean"),
        [
            ("CSAT in the range", _rate_text(overall, n)),
            ("Response rate (rated / solved requests)", _rate_text(rate, offered)),
        ],
    )  # fmt: skip


def nps_monthly(filters: Filters) -> PanelResult:
    counts = queries.survey_counts("nps", filters, "month")
    frame = metrics.nps(counts, ["period"])
    frame = metrics.suppress(
        frame,
        ["promoters_pct", "passives_pct", "detractors_pct", "nps", "promoters", "passives",
         "detractors"],
    )  # fmt: skip
    total = metrics.nps(counts) if len(counts) else None
    return PanelResult(
        frame,
        charts.nps_stack(frame),
        [
            (
                "NPS in the range",
                _rate_text(
                    None if total is None else float(total["nps"].iloc[0]),
                    0 if total is None else int(total["n"].iloc[0]),
                    "",
                ),
            )
        ],
    )


def ces_monthly(filters: Filters) -> PanelResult:
    counts = queries.survey_counts("ces", filters, "month")
    frame = metrics.suppress(metrics.ces(counts, ["period"]), ["ces", "mean", "easy"])
    return PanelResult(
        frame,
        charts.rate_bars(frame, "period", "ces", "CES: % of answers 5 or more (of 7), by month",
                         name="CES %", hover_extra="mean"),
    )  # fmt: skip


# Suggestions ---------------------------------------------------------------------------------


def suggestion_volume(filters: Filters) -> PanelResult:
    frame = queries.suggestion_volume(filters, "month")
    return PanelResult(
        frame,
        charts.stacked_counts(frame, "period", "tag", "New suggestions by tag", "suggestions"),
    )


def status_funnel(filters: Filters) -> PanelResult:
    frame = queries.status_funnel(filters, SUGGESTION_STATUSES)
    return PanelResult(frame, charts.funnel(frame))


def votes_delivered(filters: Filters) -> PanelResult:
    frame = queries.votes_by_status(filters)
    result = metrics.votes_delivered(frame)
    return PanelResult(
        frame,
        None,
        [
            (
                "% votes delivered (completed / completed + open statuses)",
                _rate_text(result["delivered"], result["n"]),
            )
        ],
    )


def top_open(filters: Filters) -> PanelResult:
    from feedback import boards

    voted = boards.top_by_votes()
    trending = boards.top_trending()
    rows = [
        {"list": "top voted", "id": s.id, "title": s.title, "votes": s.vote_count, "score": None}
        for s in voted
    ] + [
        {"list": "trending", "id": s.id, "title": s.title, "votes": s.vote_count,
         "score": round(score, 4)}
        for s, score in trending
    ]  # fmt: skip
    return PanelResult(pd.DataFrame(rows, columns=["list", "id", "title", "votes", "score"]))


# Support --------------------------------------------------------------------------------------


def support_volume(filters: Filters) -> PanelResult:
    frame = queries.support_volume(filters, "week")
    return PanelResult(
        frame,
        charts.stacked_counts(frame, "period", "category", "New requests by category", "requests"),
    )


def _percentile_panel(filters: Filters, column: str, title: str) -> PanelResult:
    durations = _once(queries.support_durations, filters)
    frame = metrics.percentiles(durations, column, ["priority"])
    frame = frame.set_index("priority").reindex(PRIORITIES).dropna(how="all").reset_index()
    if len(frame):
        frame["n"] = frame["n"].astype("int64")
        frame = metrics.suppress(frame, ["p50", "p90"])
    return PanelResult(frame, charts.percentile_bars(frame, title))


def first_response(filters: Filters) -> PanelResult:
    return _percentile_panel(filters, "first_response_hours", "First response time (hours)")


def resolution(filters: Filters) -> PanelResult:
    return _percentile_panel(filters, "resolution_hours", "Resolution time (hours)")


def sla(filters: Filters) -> PanelResult:
    frame = queries.sla_attainment(filters)
    frame = frame.set_index("priority").reindex(PRIORITIES).dropna(how="all").reset_index()
    if len(frame):
        for done, on_time, rate in (
            ("responded", "responded_on_time", "first_response_pct"),
            ("solved", "solved_on_time", "resolution_pct"),
        ):
            frame[done] = frame[done].astype("int64")
            frame[rate] = (frame[on_time] / frame[done].where(frame[done] > 0)) * 100
            frame[rate] = frame[rate].mask(frame[done] < metrics.MIN_CELL)
            frame[f"{rate}_suppressed"] = frame[done] < metrics.MIN_CELL
    return PanelResult(frame, charts.sla_bars(frame))


def backlog(filters: Filters) -> PanelResult:
    created, solved = queries.support_flow(filters, "week")
    frame = metrics.backlog(created, solved, pd.Index(queries.periods(filters, "week")))
    return PanelResult(
        frame,
        charts.line(frame, "period", "backlog", "Backlog: unsolved requests at week's end",
                    "requests", "backlog"),
    )  # fmt: skip


def deflection(filters: Filters) -> PanelResult:
    sessions = queries.deflection_sessions(filters, "week")
    frame = metrics.suppress(metrics.deflection_rate(sessions), ["deflection", "deflected"])
    total_shown = int(sessions["shown"].sum()) if len(sessions) else 0
    total = int(sessions["deflected"].sum()) if len(sessions) else 0
    return PanelResult(
        frame,
        charts.rate_bars(frame, "period", "deflection", "Deflection rate by week",
                         name="deflected %"),
        [("Deflection in the range", _rate_text(metrics.share(total, total_shown)
                                               if total_shown else None, total_shown))],
    )  # fmt: skip


# Engagement ------------------------------------------------------------------------------------


def active(filters: Filters) -> PanelResult:
    frame = queries.active_contributors(filters, "week")
    return PanelResult(
        frame,
        charts.line(frame, "period", "active", "Active contributors per week", "members",
                    "active"),
    )  # fmt: skip


def _question_rate(filters: Filters, column: str, rate: str, title: str) -> PanelResult:
    frame = _once(queries.questions_answered, filters, "week").rename(columns={"questions": "n"})
    frame[rate] = (frame[column] / frame["n"].where(frame["n"] > 0)) * 100
    frame = metrics.suppress(frame, [rate, column])
    return PanelResult(frame, charts.rate_bars(frame, "period", rate, title, name=rate))


def answered_24h(filters: Filters) -> PanelResult:
    return _question_rate(filters, "answered_24h", "answered_24h_pct",
                          "Questions answered within 24 hours")  # fmt: skip


def accepted(filters: Filters) -> PanelResult:
    return _question_rate(filters, "accepted", "accepted_pct", "Accepted-answer rate")


def points(filters: Filters) -> PanelResult:
    frame = queries.points_distribution()
    return PanelResult(
        frame, charts.bars(frame, "bucket", "members", "Members by total points", "members")
    )


# Sentiment -------------------------------------------------------------------------------------


def _sentiment_sums(filters: Filters) -> pd.DataFrame:
    """The weekly sums behind both sentiment panels."""
    return _once(queries.sentiment_sums, filters, "week")


def sentiment_weekly(filters: Filters) -> PanelResult:
    sums = _sentiment_sums(filters)
    frame = metrics.suppress(metrics.sentiment_mean(sums, ["period"]), ["mean"])
    total = metrics.sentiment_mean(sums) if len(sums) else None
    n = 0 if total is None else int(total["n"].iloc[0])
    mean = None if total is None else total["mean"].iloc[0]
    shown = (
        f"hidden (n={n}, fewer than {metrics.MIN_CELL})"
        if n < metrics.MIN_CELL or mean is None or pd.isna(mean)
        else f"{mean:+.2f} (n={n})"
    )
    return PanelResult(
        frame,
        charts.sentiment_bars(frame, "period", "Mean sentiment by week"),
        [("Mean sentiment in the range (-1 to 1)", shown)],
    )


def sentiment_by_category(filters: Filters) -> PanelResult:
    sums = _sentiment_sums(filters)
    frame = metrics.suppress(metrics.sentiment_mean(sums, ["category"]), ["mean"])
    return PanelResult(
        frame, charts.sentiment_bars(frame, "category", "Mean sentiment by category", "category")
    )


DASHBOARDS = {
    board.slug: board
    for board in (
        Dashboard(
            "satisfaction",
            "Satisfaction",
            "CSAT from support ratings and CSAT surveys, NPS and CES from surveys.",
            "support",
            (
                Panel("csat", "CSAT by week", csat_weekly),
                Panel("nps", "NPS by month", nps_monthly),
                Panel("ces", "CES by month", ces_monthly),
            ),
        ),
        Dashboard(
            "suggestions",
            "Suggestions",
            "What members ask for, how far it gets, and how much of what they voted for shipped.",
            "tags",
            (
                Panel("volume", "New suggestions by tag", suggestion_volume),
                Panel("funnel", "Status funnel", status_funnel),
                Panel("delivered", "Votes delivered", votes_delivered),
                Panel("top", "Top voted and trending open suggestions", top_open),
            ),
        ),
        Dashboard(
            "support",
            "Support",
            "Volume, speed against the SLA targets, backlog and self-service deflection.",
            "support",
            (
                Panel("volume", "New requests by category", support_volume),
                Panel("first-response", "First response time", first_response),
                Panel("resolution", "Resolution time", resolution),
                Panel("sla", "SLA attainment", sla),
                Panel("backlog", "Backlog", backlog),
                Panel("deflection", "Deflection", deflection),
            ),
        ),
        Dashboard(
            "engagement",
            "Engagement",
            "How many members take part in the community Q&A, and how well it answers.",
            "tags",
            (
                Panel("active", "Active contributors", active),
                Panel("answered", "Answered within 24 hours", answered_24h),
                Panel("accepted", "Accepted-answer rate", accepted),
                Panel("points", "Points distribution", points),
            ),
        ),
        Dashboard(
            "sentiment",
            "Sentiment",
            "How members feel in what they write: survey and rating comments and suggestion "
            "comments, scored with VADER and a domain word list. Only means over 5 or more "
            "texts are shown, never a person's score.",
            "sentiment",
            (
                Panel("weekly", "Sentiment by week", sentiment_weekly),
                Panel("categories", "Sentiment by category", sentiment_by_category),
            ),
        ),
    )
}
