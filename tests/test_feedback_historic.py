"""`kudos import feedback FILE.csv`: good rows load once, bad rows are reported and skipped,
and the satisfaction and sentiment dashboards count what was imported."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from feedback import sentiment
from feedback.historic import HistoricResponse
from kudos.extensions import db

HEADER = "date,kind,score,comment,category,email\n"
GOOD = (
    "2025-03-03,csat,5,Quick and friendly,iam,Known@Example.com\n"
    "2025-03-04T09:30:00Z,csat,2,Another outage and nobody answered,networking,\n"
    "2025-03-05 14:00,nps,9,,,\n"
    '2025-03-06,ces,6,"Easy, once I found the form",,nobody@example.com\n'
)


def write(tmp_path, text, name="history.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def rows(app):
    with app.app_context():
        return list(db.session.scalars(select(HistoricResponse).order_by(HistoricResponse.id)))


def count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(HistoricResponse.id)))


def test_good_rows_load_with_their_scores_account_and_sentiment(app, runner, make_user, tmp_path):
    known = make_user(email="known@example.com")
    result = runner.invoke(args=["import", "feedback", write(tmp_path, HEADER + GOOD)])
    assert result.exit_code == 0, result.output
    assert "loaded 4, skipped 0, already present 0 (1 matched to an account by email)" in (
        result.output
    )
    loaded = rows(app)
    assert [(r.kind, r.score, r.category) for r in loaded] == [
        ("csat", 5, "iam"),
        ("csat", 2, "networking"),
        ("nps", 9, None),
        ("ces", 6, None),
    ]
    assert loaded[0].user_id == known and loaded[3].user_id is None  # matched case-insensitively
    assert loaded[1].responded_at.isoformat() == "2025-03-04T09:30:00+00:00"
    assert loaded[1].sentiment == sentiment.score("Another outage and nobody answered") < 0
    assert loaded[2].comment is None and loaded[2].sentiment is None


def test_importing_the_same_file_again_loads_nothing_twice(app, runner, tmp_path):
    path = write(tmp_path, HEADER + GOOD)
    runner.invoke(args=["import", "feedback", path])
    again = runner.invoke(args=["import", "feedback", path])
    assert again.exit_code == 0
    assert "loaded 0, skipped 0, already present 4" in again.output
    assert count(app) == 4
    # The same row with other spacing and case is the same response.
    respaced = HEADER + "2025-03-03,CSAT, 5 ,Quick   and friendly,IAM,known@example.com\n"
    third = runner.invoke(args=["import", "feedback", write(tmp_path, respaced, "b.csv")])
    assert "loaded 0, skipped 0, already present 1" in third.output and count(app) == 4


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("last tuesday,csat,5,ok,iam,", "“last tuesday” is not a date like 2025-03-31"),
        ("2025-02-30,csat,5,ok,iam,", "“2025-02-30” is not a date like 2025-03-31"),
        ("2025-03-03,csat,6,ok,iam,", "a csat score is from 1 to 5, not 6"),
        ("2025-03-03,nps,-1,ok,,", "a nps score is from 0 to 10, not -1"),
        ("2025-03-03,ces,0,ok,,", "a ces score is from 1 to 7, not 0"),
        ("2025-03-03,ces,4.5,ok,,", "the score “4.5” is not a whole number"),
        ("2025-03-03,stars,4,ok,,", "unknown kind “stars” (use csat, nps or ces)"),
        ("2025-03-03,csat,4,ok,weather,", "unknown category “weather”"),
        ("2025-03-03,csat,4", "the row has fewer fields than the header"),
        ("2999-01-01,csat,4,ok,,", "the date 2999-01-01 is in the future"),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_skipped(app, runner, tmp_path, line, reason):
    text = HEADER + "2025-03-03,csat,5,Fine,iam,\n" + line + "\n" + "2025-03-07,nps,10,,,\n"
    result = runner.invoke(args=["import", "feedback", write(tmp_path, text)])
    assert result.exit_code == 0, result.output
    assert f"line 3: skipped: {reason}" in result.output
    assert "loaded 2, skipped 1, already present 0" in result.output
    assert sorted(r.score for r in rows(app)) == [5, 10]  # the good rows around it


def test_a_header_without_the_columns_refuses_the_whole_file(app, runner, tmp_path):
    text = "date,score,comment\n2025-03-03,5,fine\n"
    result = runner.invoke(args=["import", "feedback", write(tmp_path, text)])
    assert result.exit_code == 1
    assert "The header lacks the columns kind, category" in result.output
    assert count(app) == 0
    empty = runner.invoke(args=["import", "feedback", write(tmp_path, "", "empty.csv")])
    assert empty.exit_code == 1 and "The file is empty" in empty.output


def test_a_file_that_is_not_utf8_is_refused_without_a_traceback(app, runner, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "2025-03-03,csat,5,très bien,iam,\n").encode("latin-1"))
    result = runner.invoke(args=["import", "feedback", str(path)])
    assert result.exit_code == 1 and "not UTF-8" in result.output
    assert count(app) == 0


def test_dry_run_reports_and_writes_nothing(app, runner, tmp_path):
    text = HEADER + GOOD + "2025-03-08,csat,9,,,\n"
    result = runner.invoke(args=["import", "feedback", write(tmp_path, text), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "line 6: skipped: a csat score is from 1 to 5, not 9" in result.output
    assert "Dry run: would load 4, skipped 1, already present 0" in result.output
    assert count(app) == 0


def test_a_spreadsheet_export_with_a_bom_and_mixed_case_header_loads(app, runner, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffDate,Kind,Score,Comment,Category\r\n2025-03-03,nps,0,,\r\n".encode())
    result = runner.invoke(args=["import", "feedback", str(path)])
    assert "loaded 1, skipped 0" in result.output and count(app) == 1


def test_the_import_command_is_listed_under_kudos_import(runner):
    result = runner.invoke(args=["import", "--help"])
    assert result.exit_code == 0 and "feedback" in result.output


# The dashboards count historic responses ---------------------------------------------------------


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def history(runner, tmp_path):
    lines = [f"2025-03-0{3 + i % 3},csat,{score},Slow and broken,iam," for i, score in
             enumerate([5, 4, 4, 2, 1])]  # fmt: skip
    lines += [f"2025-03-1{i},nps,{score},,," for i, score in enumerate([10, 9, 8, 3, 0, 10])]
    lines += [f"2025-03-1{i},ces,{score},Simple enough,," for i, score in enumerate([7, 5, 2])]
    result = runner.invoke(
        args=["import", "feedback", write(tmp_path, HEADER + "\n".join(lines) + "\n")]
    )
    assert "loaded 14" in result.output, result.output


RANGE = "start=2025-03-01&end=2025-03-31"


def test_satisfaction_counts_historic_csat_nps_and_ces(client, auth, history):
    auth.login_as("lead")
    csat = _csv(client.get(f"/analytics/satisfaction/csat.csv?{RANGE}"))
    assert [(row["period"], row["n"], row["csat"]) for row in csat] == [("2025-03-03", "5", "60.0")]
    nps = _csv(client.get(f"/analytics/satisfaction/nps.csv?{RANGE}"))
    # 3 promoters, 1 passive, 2 detractors of 6 -> 50% - 33.3%.
    assert nps[0]["n"] == "6" and float(nps[0]["nps"]) == pytest.approx(50 - 100 / 3)
    ces = _csv(client.get(f"/analytics/satisfaction/ces.csv?{RANGE}"))
    assert ces[0]["n"] == "3" and ces[0]["ces"] == ""  # hidden under 5


def test_the_category_filter_keeps_historic_responses_of_that_category(client, auth, history):
    auth.login_as("lead")
    iam = _csv(client.get(f"/analytics/satisfaction/csat.csv?{RANGE}&category=iam"))
    assert [(row["n"], row["csat"]) for row in iam] == [("5", "60.0")]
    billing = _csv(client.get(f"/analytics/satisfaction/csat.csv?{RANGE}&category=billing"))
    assert billing == []
    nps = _csv(client.get(f"/analytics/satisfaction/nps.csv?{RANGE}&category=iam"))
    assert nps == []  # the NPS rows have no category


def test_sentiment_counts_historic_comments_by_category(client, auth, history):
    auth.login_as("lead")
    rows = {row["category"]: row for row in
            _csv(client.get(f"/analytics/sentiment/categories.csv?{RANGE}"))}  # fmt: skip
    assert rows["iam"]["n"] == "5"
    assert float(rows["iam"]["mean"]) == pytest.approx(sentiment.score("Slow and broken"))
    assert rows["survey"]["n"] == "3"  # uncategorised CES comments count as survey answers


def test_the_import_shows_its_progress_and_still_ends_with_the_report(runner, tmp_path):
    text = HEADER + GOOD + "2025-03-08,csat,9,,,\n"
    result = runner.invoke(args=["import", "feedback", write(tmp_path, text)])
    assert result.exit_code == 0, result.output
    # Off a terminal, click prints each bar's label once.
    lines = result.output.splitlines()
    assert lines[:2] == ["Checking the file", "Loading 4 responses"]
    assert "line 6: skipped: a csat score is from 1 to 5, not 9" in lines
    assert lines[-1] == (
        "loaded 4, skipped 1, already present 0 (0 matched to an account by email)."
    )


def test_on_a_terminal_both_bars_run_to_the_end(runner, tmp_path, monkeypatch):
    import click._termui_impl

    monkeypatch.setattr(click._termui_impl, "isatty", lambda stream: True)
    result = runner.invoke(args=["import", "feedback", write(tmp_path, HEADER + GOOD)])
    assert result.exit_code == 0, result.output
    # Each redraw starts with a carriage return; the last one of each bar shows it full.
    checking = [part for part in result.output.split("\r") if "Checking the file" in part]
    loading = [part for part in result.output.split("\r") if "Loading 4 responses" in part]
    assert checking and "100%" in checking[-1]
    assert loading and "100%" in loading[-1] and "100%" not in loading[0]
    assert result.output.endswith(
        "loaded 4, skipped 0, already present 0 (0 matched to an account by email).\n"
    )
