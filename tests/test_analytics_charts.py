"""Each chart's figure has the traces, titles and n labels a lead expects."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd

from analytics import charts, metrics


def _json(figure):
    return figure.to_plotly_json()


def values(field) -> list:
    """A trace's array, whether plain or a typed array ({"dtype", "bdata"} in base64)."""
    if isinstance(field, dict) and "bdata" in field:
        return np.frombuffer(base64.b64decode(field["bdata"]), dtype=field["dtype"]).tolist()
    return list(field)


def test_csat_bars_carry_n_and_the_rolling_line():
    frame = pd.DataFrame(
        {"period": ["2026-03-02", "2026-03-09"], "n": [6, 3], "csat": [50.0, 100.0]}
    )
    frame = metrics.rolling_mean(metrics.suppress(frame, ["csat"]), "csat", 4, "rolling")
    figure = _json(
        charts.rate_bars(frame, "period", "csat", "CSAT % by week", name="CSAT %",
                         rolling="rolling", rolling_name="4-week rolling mean")
    )  # fmt: skip
    bars, line = figure["data"]
    assert (bars["type"], bars["name"], line["name"]) == ("bar", "CSAT %", "4-week rolling mean")
    assert list(bars["text"]) == ["n=6", "n<5"]
    assert values(bars["y"])[0] == 50.0 and np.isnan(
        values(bars["y"])[1]
    )  # the suppressed week is a gap, not a 100% bar
    assert figure["layout"]["title"]["text"] == "CSAT % by week"
    assert figure["layout"]["yaxis"]["ticksuffix"] == "%"


def test_nps_is_stacked_with_the_nps_line_on_its_own_axis():
    counts = pd.DataFrame(
        [("2026-03-01", 10, 3), ("2026-03-01", 8, 1), ("2026-03-01", 2, 1)],
        columns=["period", "score", "count"],
    )
    frame = metrics.suppress(metrics.nps(counts, ["period"]), ["nps"])
    figure = _json(charts.nps_stack(frame))
    names = [trace["name"] for trace in figure["data"]]
    assert names == ["Promoters (9-10)", "Passives (7-8)", "Detractors (0-6)", "NPS"]
    assert figure["layout"]["barmode"] == "stack"
    assert figure["data"][3]["yaxis"] == "y2"
    assert values(figure["data"][3]["y"]) == [40.0]  # 60% promoters - 20% detractors
    assert list(figure["data"][3]["text"]) == ["n=5"]


def test_percentiles_by_priority_are_grouped_p50_and_p90():
    frame = pd.DataFrame({"priority": ["urgent", "high"], "p50": [0.5, 2.0], "p90": [1.0, 4.0],
                          "n": [12, 3]})  # fmt: skip
    figure = _json(charts.percentile_bars(metrics.suppress(frame, ["p50", "p90"]), "FRT"))
    assert [trace["name"] for trace in figure["data"]] == ["p50", "p90"]
    assert list(figure["data"][1]["text"]) == ["n=12", "n<5"]
    assert figure["layout"]["barmode"] == "group"


def test_stacked_counts_make_one_trace_per_group():
    frame = pd.DataFrame(
        {"period": ["m1", "m1", "m2"], "tag": ["aws", "iam", "aws"], "count": [2, 1, 4]}
    )
    figure = _json(charts.stacked_counts(frame, "period", "tag", "By tag", "suggestions"))
    assert [(t["name"], values(t["y"])) for t in figure["data"]] == [("aws", [2, 4]), ("iam", [1])]


def test_funnel_labels_the_median_days():
    frame = pd.DataFrame({"status": ["open", "planned"], "reached": [10, 4],
                          "median_days": [3.3, float("nan")]})  # fmt: skip
    figure = _json(charts.funnel(frame))
    assert list(figure["data"][0]["y"]) == ["open (3.3 d median)", "planned (—)"]
    assert values(figure["data"][0]["x"]) == [10, 4]


def test_an_empty_frame_draws_a_message_not_an_error():
    figure = _json(charts.rate_bars(pd.DataFrame(), "period", "csat", "CSAT", name="CSAT"))
    assert figure["data"] == []
    assert figure["layout"]["annotations"][0]["text"] == "No data in this range."


def test_figure_data_draws_in_the_house_template_as_if_assigned():
    import json

    import plotly.io as pio

    frame = pd.DataFrame({"period": ["m1", "m2"], "tag": ["aws", "aws"], "count": [2, 4]})
    figure = charts.stacked_counts(frame, "period", "tag", "By tag", "suggestions")
    data = charts.figure_data(figure)
    assert data["layout"]["template"]["layout"]["plot_bgcolor"] == "white"  # plotly_white
    assigned = charts.stacked_counts(frame, "period", "tag", "By tag", "suggestions")
    assigned.update_layout(template="plotly_white")
    assert json.loads(pio.to_json(data, validate=False)) == json.loads(
        pio.to_json(assigned, validate=False)
    )
