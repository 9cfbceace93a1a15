"""Charts: DataFrames (from metrics) to plotly.graph_objects figures.

Every rate is drawn with its n beside it (in the bar's text and the hover), and a suppressed
cell (fewer than 5 responses) is drawn as a gap, labelled "n<5". Figures carry no data other
than what the frame holds, so a chart and its CSV export always agree.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

COLORS = {
    "primary": "#2563eb",
    "secondary": "#f59e0b",
    "good": "#16a34a",
    "neutral": "#9ca3af",
    "bad": "#dc2626",
}
PALETTE = ["#2563eb", "#f59e0b", "#16a34a", "#dc2626", "#7c3aed", "#0891b2", "#db2777",
           "#65a30d", "#ea580c", "#475569"]  # fmt: skip


TEMPLATE = "plotly_white"


@lru_cache(maxsize=1)
def _template_data() -> dict:
    return pio.templates[TEMPLATE].to_plotly_json()


def figure_data(fig: go.Figure) -> dict:
    """The figure as plotly JSON data, drawn in the house template (plotly_white).

    The template is added to the data rather than to the figure: assigning it to a figure
    checks and deep-copies the whole template, about 15 ms a figure, a tenth of a dashboard.
    """
    data = fig.to_plotly_json()
    data["layout"]["template"] = _template_data()
    return data


def _layout(fig: go.Figure, title: str, y_title: str | None = None, percent: bool = False):
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        margin={"l": 48, "r": 24, "t": 56, "b": 40},
        legend={"orientation": "h", "y": -0.18},
        height=360,
        hovermode="x unified",
    )
    if y_title:
        fig.update_yaxes(title_text=y_title)
    if percent:
        fig.update_yaxes(range=[0, 100], ticksuffix="%")
    return fig


def _n_text(frame: pd.DataFrame, n: str = "n") -> list[str]:
    suppressed = frame["suppressed"] if "suppressed" in frame else pd.Series(False, frame.index)
    return [
        "n<5" if hidden else f"n={count}"
        for count, hidden in zip(frame[n], suppressed, strict=True)
    ]


def empty(title: str, message: str = "No data in this range.") -> go.Figure:
    """A figure that says there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 14, "color": "#6b7280"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title)


def rate_bars(
    frame: pd.DataFrame,
    x: str,
    rate: str,
    title: str,
    *,
    name: str,
    rolling: str | None = None,
    rolling_name: str | None = None,
    hover_extra: str | None = None,
) -> go.Figure:
    """Bars of a percentage per period with n on each bar, and an optional rolling line."""
    if frame.empty:
        return empty(title)
    customdata = frame[[c for c in ("n", hover_extra) if c]].to_numpy()
    hover = "%{y:.1f}% (n=%{customdata[0]})"
    if hover_extra:
        hover += f", {hover_extra} %{{customdata[1]:.2f}}"
    fig = go.Figure(
        go.Bar(
            x=frame[x],
            y=frame[rate],
            name=name,
            text=_n_text(frame),
            textposition="outside",
            marker_color=COLORS["primary"],
            customdata=customdata,
            hovertemplate=hover + "<extra></extra>",
        )
    )
    if rolling:
        fig.add_trace(
            go.Scatter(
                x=frame[x],
                y=frame[rolling],
                name=rolling_name or rolling,
                mode="lines",
                line={"color": COLORS["secondary"], "width": 3},
                hovertemplate="%{y:.1f}%<extra></extra>",
            )
        )
    return _layout(fig, title, "%", percent=True)


def sentiment_bars(frame: pd.DataFrame, x: str, title: str, x_title: str | None = None):
    """Mean compound score (-1 to 1) per period or category, with n on each bar.

    Bars above 0 are green, below red; a hidden cell (n under 5) is a gap labelled n<5.
    """
    if frame.empty:
        return empty(title)
    colors = [
        COLORS["neutral"] if pd.isna(mean) else COLORS["good"] if mean >= 0 else COLORS["bad"]
        for mean in frame["mean"]
    ]
    fig = go.Figure(
        go.Bar(
            x=frame[x].astype(str),
            y=frame["mean"],
            name="mean sentiment",
            text=_n_text(frame),
            textposition="outside",
            marker_color=colors,
            customdata=frame[["n"]].to_numpy(),
            hovertemplate="%{y:.2f} (n=%{customdata[0]})<extra></extra>",
        )
    )
    _layout(fig, title, "mean compound score (-1 to 1)")
    fig.update_yaxes(range=[-1, 1], zeroline=True)
    if x_title:
        fig.update_xaxes(title_text=x_title)
    return fig


def nps_stack(frame: pd.DataFrame, title: str = "NPS by month") -> go.Figure:
    """Promoters, passives and detractors stacked to 100%, with the NPS line."""
    if frame.empty:
        return empty(title)
    fig = go.Figure()
    for column, label, color in (
        ("promoters_pct", "Promoters (9-10)", COLORS["good"]),
        ("passives_pct", "Passives (7-8)", COLORS["neutral"]),
        ("detractors_pct", "Detractors (0-6)", COLORS["bad"]),
    ):
        fig.add_trace(
            go.Bar(
                x=frame["period"],
                y=frame[column],
                name=label,
                marker_color=color,
                customdata=frame[["n"]].to_numpy(),
                hovertemplate="%{y:.1f}% of n=%{customdata[0]}<extra>" + label + "</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=frame["period"],
            y=frame["nps"],
            name="NPS",
            mode="lines+markers+text",
            text=_n_text(frame),
            textposition="top center",
            line={"color": "#111827", "width": 3},
            yaxis="y2",
            hovertemplate="NPS %{y:.0f}<extra></extra>",
        )
    )
    fig.update_layout(
        barmode="stack",
        yaxis={"range": [0, 100], "ticksuffix": "%", "title": {"text": "% of responses"}},
        yaxis2={"range": [-100, 100], "overlaying": "y", "side": "right", "title": {"text": "NPS"}},
    )
    return _layout(fig, title)


def stacked_counts(frame: pd.DataFrame, x: str, group: str, title: str, y_title: str):
    """Counts per period, stacked by a group (tag, category)."""
    if frame.empty:
        return empty(title)
    fig = go.Figure()
    # A stack by tag has a trace per tag (hundreds), so this is plotly's hot spot: the traces
    # go in as plain dicts of lists in one add_traces call, checked once (go.Bar objects are
    # checked again when added, and add_trace checks every trace again each time).
    fig.add_traces(
        [
            {
                "type": "bar",
                "x": part[x].tolist(),
                "y": part["count"].tolist(),
                "name": str(key),
                "marker": {"color": PALETTE[index % len(PALETTE)]},
                "hovertemplate": "%{y}<extra>" + str(key) + "</extra>",
            }
            for index, (key, part) in enumerate(frame.groupby(group, sort=True))
        ]
    )
    fig.update_layout(barmode="stack")
    return _layout(fig, title, y_title)


def funnel(frame: pd.DataFrame, title: str = "Status funnel") -> go.Figure:
    """Suggestions that reached each status, with the median days spent in it."""
    if frame.empty or frame["reached"].sum() == 0:
        return empty(title)
    labels = [
        f"{status.replace('_', ' ')} ({'—' if pd.isna(days) else f'{days:.1f} d median'})"
        for status, days in zip(frame["status"], frame["median_days"], strict=True)
    ]
    fig = go.Figure(
        go.Funnel(
            y=labels,
            x=frame["reached"],
            textinfo="value",
            marker={"color": COLORS["primary"]},
            hovertemplate="%{x} suggestions<extra></extra>",
        )
    )
    return _layout(fig, title)


def percentile_bars(frame: pd.DataFrame, title: str, y_title: str = "hours") -> go.Figure:
    """p50 and p90 per priority, grouped, with n in the hover and on the p90 bar."""
    if frame.empty:
        return empty(title)
    fig = go.Figure()
    for column, color in (("p50", COLORS["primary"]), ("p90", COLORS["secondary"])):
        fig.add_trace(
            go.Bar(
                x=frame["priority"],
                y=frame[column],
                name=column,
                marker_color=color,
                text=_n_text(frame) if column == "p90" else None,
                textposition="outside",
                customdata=frame[["n"]].to_numpy(),
                hovertemplate="%{y:.1f} h (n=%{customdata[0]})<extra>" + column + "</extra>",
            )
        )
    fig.update_layout(barmode="group")
    return _layout(fig, title, y_title)


def sla_bars(frame: pd.DataFrame, title: str = "SLA attainment by priority") -> go.Figure:
    """% of first responses and of solves within target, per priority, with n."""
    if frame.empty:
        return empty(title)
    fig = go.Figure()
    for rate, n, label, color in (
        ("first_response_pct", "responded", "First response", COLORS["primary"]),
        ("resolution_pct", "solved", "Resolution", COLORS["secondary"]),
    ):
        hidden = frame[f"{rate}_suppressed"]
        fig.add_trace(
            go.Bar(
                x=frame["priority"],
                y=frame[rate],
                name=label,
                marker_color=color,
                text=["n<5" if h else f"n={c}" for c, h in zip(frame[n], hidden, strict=True)],
                textposition="outside",
                customdata=frame[[n]].to_numpy(),
                hovertemplate="%{y:.1f}% (n=%{customdata[0]})<extra>" + label + "</extra>",
            )
        )
    fig.update_layout(barmode="group")
    return _layout(fig, title, "% within target", percent=True)


def line(frame: pd.DataFrame, x: str, y: str, title: str, y_title: str, name: str):
    """One series over time."""
    if frame.empty:
        return empty(title)
    fig = go.Figure(
        go.Scatter(
            x=frame[x],
            y=frame[y],
            name=name,
            mode="lines+markers",
            line={"color": COLORS["primary"], "width": 3},
            hovertemplate="%{y}<extra>" + name + "</extra>",
        )
    )
    return _layout(fig, title, y_title)


def bars(frame: pd.DataFrame, x: str, y: str, title: str, y_title: str) -> go.Figure:
    """Plain bars (counts per bucket)."""
    if frame.empty or frame[y].sum() == 0:
        return empty(title)
    fig = go.Figure(
        go.Bar(
            x=frame[x].astype(str),
            y=frame[y],
            marker_color=COLORS["primary"],
            text=frame[y],
            textposition="outside",
            hovertemplate="%{y}<extra></extra>",
        )
    )
    return _layout(fig, title, y_title)
