"""The metric functions against values worked out by hand on small frames."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analytics import metrics


def counts(rows, by="period"):
    return pd.DataFrame(rows, columns=[by, "score", "count"])


def test_csat_counts_three_as_not_satisfied():
    frame = counts([("w1", 5, 2), ("w1", 4, 1), ("w1", 3, 1), ("w1", 1, 1), ("w2", 3, 4)])
    out = metrics.csat(frame, ["period"]).set_index("period")
    # w1: 3 of 5 rated 4 or 5 -> 60%; w2: four 3s -> 0%.
    assert out.loc["w1", "n"] == 5 and out.loc["w1", "satisfied"] == 3
    assert out.loc["w1", "csat"] == pytest.approx(60.0)
    assert out.loc["w2", "csat"] == pytest.approx(0.0)


def test_nps_keeps_passives_in_the_denominator():
    # 3 promoters (9, 10, 10), 4 passives (7, 8, 8, 8), 3 detractors (0, 6, 6): n = 10.
    frame = counts([("m", 9, 1), ("m", 10, 2), ("m", 7, 1), ("m", 8, 3), ("m", 0, 1), ("m", 6, 2)])
    out = metrics.nps(frame, ["period"]).iloc[0]
    assert (out["promoters"], out["passives"], out["detractors"], out["n"]) == (3, 4, 3, 10)
    assert out["nps"] == pytest.approx(0.0)  # 30% - 30%, not 50% - 50%
    assert out["passives_pct"] == pytest.approx(40.0)
    six_and_seven = metrics.nps(counts([("m", 6, 1), ("m", 7, 1)]), ["period"]).iloc[0]
    assert six_and_seven["nps"] == pytest.approx(-50.0)  # 6 is a detractor, 7 a passive


def test_ces_is_the_share_of_fives_and_up_with_the_mean():
    frame = counts([("m", 4, 1), ("m", 5, 1), ("m", 7, 2)])
    out = metrics.ces(frame, ["period"]).iloc[0]
    assert out["ces"] == pytest.approx(75.0)
    assert out["mean"] == pytest.approx((4 + 5 + 14) / 4)


def test_overall_figures_without_grouping():
    out = metrics.csat(counts([("a", 5, 3), ("b", 2, 1)]))
    assert (int(out["n"].iloc[0]), out["csat"].iloc[0]) == (4, pytest.approx(75.0))


@pytest.mark.parametrize(
    ("function", "bad"),
    [(metrics.csat, 0), (metrics.csat, 6), (metrics.nps, 11), (metrics.ces, 8), (metrics.ces, 0)],
)
def test_scores_outside_the_scale_are_refused(function, bad):
    with pytest.raises(metrics.MetricError, match="between"):
        function(counts([("w", bad, 1)]), ["period"])


def test_missing_columns_are_refused():
    with pytest.raises(metrics.MetricError, match="missing columns: count"):
        metrics.csat(pd.DataFrame({"period": ["w"], "score": [5]}), ["period"])


def test_suppression_hides_four_responses_and_shows_five():
    frame = pd.DataFrame({"period": ["a", "b"], "n": [4, 5], "csat": [75.0, 80.0]})
    out = metrics.suppress(frame, ["csat"]).set_index("period")
    assert math.isnan(out.loc["a", "csat"]) and bool(out.loc["a", "suppressed"])
    assert out.loc["b", "csat"] == 80.0 and not bool(out.loc["b", "suppressed"])


def test_p90_on_few_values_interpolates():
    frame = pd.DataFrame({"priority": ["high"] * 4 + ["low"], "hours": [1.0, 2.0, 3.0, 10.0, 5]})
    out = metrics.percentiles(frame, "hours", ["priority"]).set_index("priority")
    # Linear interpolation over [1, 2, 3, 10]: p50 = 2.5; p90 at rank 2.7 = 3 + 0.7 * 7 = 7.9.
    assert out.loc["high", "p50"] == pytest.approx(2.5)
    assert out.loc["high", "p90"] == pytest.approx(7.9)
    assert (out.loc["high", "n"], out.loc["low", "n"]) == (4, 1)
    assert out.loc["low", "p90"] == pytest.approx(5.0)


def test_percentiles_skip_requests_still_waiting():
    frame = pd.DataFrame({"hours": [1.0, None, 3.0]})
    out = metrics.percentiles(frame, "hours").iloc[0]
    assert (out["n"], out["p50"]) == (2, pytest.approx(2.0))


def test_percentiles_of_requests_none_answered_yet():
    frame = pd.DataFrame({"priority": ["low", "low"], "hours": [None, None]}, dtype=object)
    out = metrics.percentiles(frame, "hours", ["priority"])
    assert out.empty


def test_rolling_mean_over_four_weeks_skips_hidden_cells():
    frame = pd.DataFrame({"csat": [100.0, float("nan"), 50.0, 70.0, 90.0]})
    out = metrics.rolling_mean(frame, "csat", 4)
    assert list(out["csat_rolling"].round(2)) == [100.0, 100.0, 75.0, 73.33, 70.0]


def test_status_funnel_counts_reached_and_median_days():
    spans = pd.DataFrame(
        {
            "suggestion_id": [1, 1, 1, 2, 2, 3],
            "status": ["open", "planned", "completed", "open", "planned", "open"],
            "days": [2.0, 10.0, None, 4.0, 20.0, None],
        }
    )
    out = metrics.status_funnel(spans, ["open", "planned", "completed"]).set_index("status")
    assert list(out["reached"]) == [3, 2, 1]
    assert out.loc["open", "median_days"] == pytest.approx(3.0)
    assert out.loc["planned", "median_days"] == pytest.approx(15.0)
    assert math.isnan(out.loc["completed", "median_days"])  # still completed, no end yet


def test_votes_delivered_leaves_out_declined_and_duplicates():
    votes = pd.DataFrame(
        {
            "status": ["completed", "open", "planned", "declined", "duplicate"],
            "votes": [30, 10, 20, 100, 50],
        }
    )
    assert metrics.votes_delivered(votes) == {
        "completed_votes": 30,
        "n": 60,
        "delivered": pytest.approx(50.0),
    }


def test_deflection_rate_and_its_guard():
    out = metrics.deflection_rate(pd.DataFrame({"period": ["w"], "shown": [8], "deflected": [2]}))
    assert (out["n"].iloc[0], out["deflection"].iloc[0]) == (8, pytest.approx(25.0))
    with pytest.raises(metrics.MetricError):
        metrics.deflection_rate(pd.DataFrame({"shown": [1], "deflected": [2]}))


def test_backlog_carries_what_was_open_before_the_range():
    created = pd.DataFrame({"period": ["w0", "w1", "w2"], "count": [5, 3, 1]})
    resolved = pd.DataFrame({"period": ["w0", "w2"], "count": [2, 4]})
    out = metrics.backlog(created, resolved, pd.Index(["w1", "w2"]))
    # Before w1: 5 created, 2 solved -> 3 open; w1: +3 -> 6; w2: +1 - 4 -> 3.
    assert list(out["backlog"]) == [6, 3]


def test_share_refuses_nonsense():
    assert metrics.share(1, 4) == pytest.approx(25.0)
    assert metrics.share(0, 0) is None
    with pytest.raises(metrics.MetricError):
        metrics.share(5, 4)
