"""Metric functions: small, pure pandas transformations with PRODUCT.md's definitions.

Each takes a DataFrame of aggregated rows (counts per score, durations per request...) and
returns a new frame; none reads the database. They validate their input, so a query that
returns the wrong shape fails loudly here instead of drawing a wrong chart.

- CSAT % = responses rated 4 or 5 / all responses x 100.
- NPS = % promoters (9-10) - % detractors (0-6); passives (7-8) count in the denominator.
- CES % = responses >= 5 on the 7-point scale / all responses x 100 (the mean beside it).
- Sentiment = the mean VADER compound score (-1 to 1) of the texts scored, with n.
- A rate over fewer than MIN_CELL responses is hidden (NaN, suppressed=True).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MIN_CELL = 5
SCALES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}


class MetricError(ValueError):
    """A frame that does not have what a metric needs."""


def _require(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise MetricError(f"missing columns: {', '.join(missing)}")


def _check_scores(frame: pd.DataFrame, scale: str) -> None:
    low, high = SCALES[scale]
    scores = frame["score"]
    if len(scores) and (scores.min() < low or scores.max() > high):
        raise MetricError(f"{scale} scores must be between {low} and {high}")
    if len(frame) and (frame["count"] < 0).any():
        raise MetricError("counts cannot be negative")


def _grouped(frame: pd.DataFrame, by: Sequence[str]):
    return frame.groupby(list(by), sort=True, dropna=False) if by else None


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)) * 100


def _summarise(frame: pd.DataFrame, by: Sequence[str], columns: dict) -> pd.DataFrame:
    """Sum, per group, the counts that satisfy each predicate on score (and count all)."""
    work = frame.assign(**{name: frame["count"].where(test(frame["score"]), 0)
                           for name, test in columns.items()})  # fmt: skip
    names = ["count", *columns]
    if by:
        out = work.groupby(list(by), sort=True, dropna=False)[names].sum().reset_index()
    else:
        out = pd.DataFrame([work[names].sum()])
    return out.rename(columns={"count": "n"}).astype({name: "int64" for name in ["n", *columns]})


def csat(counts: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """CSAT per group from (by..., score 1-5, count): n, satisfied, csat (%)."""
    _require(counts, [*by, "score", "count"])
    _check_scores(counts, "csat")
    out = _summarise(counts, by, {"satisfied": lambda s: s >= 4})
    out["csat"] = _share(out["satisfied"], out["n"])
    return out


def nps(counts: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """NPS per group from (by..., score 0-10, count), passives in the denominator."""
    _require(counts, [*by, "score", "count"])
    _check_scores(counts, "nps")
    out = _summarise(
        counts,
        by,
        {
            "promoters": lambda s: s >= 9,
            "passives": lambda s: (s >= 7) & (s <= 8),
            "detractors": lambda s: s <= 6,
        },
    )
    for name in ("promoters", "passives", "detractors"):
        out[f"{name}_pct"] = _share(out[name], out["n"])
    out["nps"] = out["promoters_pct"] - out["detractors_pct"]
    return out


def ces(counts: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """CES per group from (by..., score 1-7, count): share of scores >= 5, and the mean."""
    _require(counts, [*by, "score", "count"])
    _check_scores(counts, "ces")
    out = _summarise(counts, by, {"easy": lambda s: s >= 5})
    out["ces"] = _share(out["easy"], out["n"])
    weighted = counts.assign(total=counts["score"] * counts["count"])
    if by:
        totals = weighted.groupby(list(by), sort=True, dropna=False)["total"].sum().to_numpy()
    else:
        totals = np.array([weighted["total"].sum()])
    out["mean"] = totals / out["n"].where(out["n"] > 0).to_numpy()
    return out


def sentiment_mean(sums: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Mean compound score per group from (by..., n, total) sums: n and mean, no totals.

    The totals are dropped so that an export of a hidden cell cannot be divided back into it.
    """
    _require(sums, [*by, "n", "total"])
    if len(sums) and (sums["n"] < 0).any():
        raise MetricError("counts cannot be negative")
    if len(sums) and (sums["total"].abs() > sums["n"] + 1e-6).any():
        raise MetricError("compound scores lie between -1 and 1")
    if by:
        out = sums.groupby(list(by), sort=True, dropna=False)[["n", "total"]].sum().reset_index()
    else:
        out = pd.DataFrame([sums[["n", "total"]].sum()])
    out = out.astype({"n": "int64", "total": "float64"})
    out["mean"] = (out["total"] / out["n"].where(out["n"] > 0)).round(4)
    return out.drop(columns="total")


def suppress(frame: pd.DataFrame, rates: Sequence[str], n: str = "n", minimum: int = MIN_CELL):
    """Hide rates computed from fewer than minimum responses; mark the rows suppressed.

    Pass the counts a rate is made of too (satisfied, promoters...): a hidden rate must not be
    recoverable from its parts in the export.
    """
    _require(frame, [n, *rates])
    out = frame.copy()
    small = out[n] < minimum
    for rate in rates:
        out[rate] = out[rate].astype("float64").mask(small)
    out["suppressed"] = small
    return out


def rolling_mean(frame: pd.DataFrame, column: str, window: int = 4, out: str | None = None):
    """Add the mean of column over the last window rows (rows already in time order).

    Suppressed (NaN) cells are skipped; a mean needs at least one value in its window.
    """
    _require(frame, [column])
    if window < 1:
        raise MetricError("the window must be at least 1")
    result = frame.copy()
    result[out or f"{column}_rolling"] = (
        result[column].astype("float64").rolling(window, min_periods=1).mean()
    )
    return result


def percentiles(
    durations: pd.DataFrame,
    value: str,
    by: Sequence[str] = (),
    quantiles: Sequence[float] = (0.5, 0.9),
) -> pd.DataFrame:
    """p50, p90 ... of value per group (linear interpolation), with n; NaN values skipped."""
    _require(durations, [*by, value])
    # A column of NULLs (no request answered yet) arrives as objects; it is still numbers.
    clean = durations.assign(**{value: pd.to_numeric(durations[value]).astype("float64")})
    clean = clean.dropna(subset=[value])
    names = {q: f"p{round(q * 100)}" for q in quantiles}
    if by:
        grouped = clean.groupby(list(by), sort=True)[value]
        out = grouped.quantile(list(quantiles)).unstack()
        out.columns = [names[q] for q in out.columns]
        out["n"] = grouped.size()
        return out.reset_index()
    row = {names[q]: clean[value].quantile(q) if len(clean) else np.nan for q in quantiles}
    row["n"] = len(clean)
    return pd.DataFrame([row])


def status_funnel(spans: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Per status: suggestions that reached it and the median days they spent in it.

    spans has one row per (suggestion_id, status, days) stay; days is NaN while it stays.
    """
    _require(spans, ["suggestion_id", "status", "days"])
    rows = []
    for status in order:
        stays = spans[spans["status"] == status]
        rows.append(
            {
                "status": status,
                "reached": int(stays["suggestion_id"].nunique()),
                "median_days": float(stays["days"].median()) if stays["days"].notna().any()
                else np.nan,
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def share(part: int, whole: int) -> float | None:
    """part / whole as a percentage, or None when whole is 0."""
    if part < 0 or whole < 0 or part > whole:
        raise MetricError("a share needs 0 <= part <= whole")
    return part / whole * 100 if whole else None


def deflection_rate(sessions: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Deflection % per group from (by..., shown, deflected) session counts."""
    _require(sessions, [*by, "shown", "deflected"])
    if (sessions["deflected"] > sessions["shown"]).any():
        raise MetricError("more sessions deflected than shown")
    out = sessions.copy().rename(columns={"shown": "n"})
    out["deflection"] = _share(out["deflected"], out["n"])
    return out


def votes_delivered(votes: pd.DataFrame) -> dict[str, float | int | None]:
    """% votes delivered: votes on completed / votes on completed + open-status suggestions.

    votes has (status, votes); declined and duplicate suggestions count in neither.
    """
    _require(votes, ["status", "votes"])
    open_statuses = ("open", "under_review", "planned", "in_progress")
    completed = int(votes.loc[votes["status"] == "completed", "votes"].sum())
    pending = int(votes.loc[votes["status"].isin(open_statuses), "votes"].sum())
    return {
        "completed_votes": completed,
        "n": completed + pending,
        "delivered": share(completed, completed + pending),
    }


def backlog(created: pd.DataFrame, resolved: pd.DataFrame, periods: pd.Index) -> pd.DataFrame:
    """Requests still unsolved at the end of each period, from counts created and resolved.

    created and resolved have (period, count); periods lists every period to report, in order.
    The running totals start with the counts before the first period, so a filtered range
    still shows the backlog it inherited.
    """
    for frame in (created, resolved):
        _require(frame, ["period", "count"])
    index = pd.Index(periods, name="period")

    def running(frame):
        series = frame.groupby("period")["count"].sum()
        before = series[series.index < index.min()].sum() if len(index) else 0
        inside = series.reindex(index, fill_value=0).cumsum()
        return inside + before

    out = pd.DataFrame(
        {"created": running(created), "resolved": running(resolved)}, index=index
    ).reset_index()
    out["backlog"] = (out["created"] - out["resolved"]).astype("int64")
    return out[["period", "backlog"]]
