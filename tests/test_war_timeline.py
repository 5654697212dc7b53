"""``realpolitik timeline``: the war re-forecast at each dated event after as_of (issue 13, item 5)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from realpolitik.analysis.timeline import timeline_dates, war_timeline
from realpolitik.report.timeline import mpl_timeline, plotly_timeline, timeline_table
from realpolitik.scenario import load_scenario
from test_war_history import SMALL_H, hist


def test_dates_are_as_of_and_the_events_after_it(tmp_path):
    scen = hist(tmp_path)  # event 'shock' on 2024-07-01, as_of 2024-01-01
    plan = timeline_dates(scen)
    assert plan == [(dt.date(2024, 1, 1), "as_of"), (dt.date(2024, 7, 1), "event shock")]
    plan = timeline_dates(scen, dates=[dt.date(2024, 3, 1)], every=4, until=dt.date(2024, 9, 30))
    assert [d for d, _ in plan] == [dt.date(2024, 1, 1), dt.date(2024, 3, 1), dt.date(2024, 5, 2),
                                    dt.date(2024, 7, 1), dt.date(2024, 9, 1)]  # fmt: skip


def test_each_row_is_conditioned_on_the_record_to_its_date(tmp_path):
    scen = hist(tmp_path)
    tl = war_timeline(scen, {"draws": 600}, seed=3, keep_results=True)
    first, shock = tl.rows
    # six battles to as_of; by 1 July three more two-month battles were fought without a deal
    assert first["battles_in_record"] == 6 and shock["battles_in_record"] == 9
    assert shock["months_after_as_of"] == pytest.approx(6.0, abs=0.05)
    assert shock["change"].endswith("%")
    for r in tl.rows:
        assert r["effective_sample_size"] == 600
        assert set(r["settlement_probability"]) == {"6", "12", "24"}
    # the row is the war model run with its origin at the row's date
    res = tl.results["2024-07-01"]
    assert res.details["origin"] == "2024-07-01" and res.details["settlement_probability"] == shock["settlement_probability"]
    # same seed, same timeline
    again = war_timeline(scen, {"draws": 600}, seed=3)
    assert again.rows == tl.rows


def test_table_and_charts_are_drawn_from_the_plain_data(tmp_path):
    data = war_timeline(hist(tmp_path), {"draws": 300}, seed=1).to_dict()
    data = json.loads(json.dumps(data))  # what the run history and the web hold
    t = timeline_table(data)
    assert len(t.rows) == 2 and "expected terms if a deal is reached" in t.columns
    assert "only for wars that end in a negotiated settlement" in t.note
    assert mpl_timeline(data).axes and len(plotly_timeline(data).data) == 3 * 2 + 1


def _cli(*args):
    from realpolitik.cli import app

    return CliRunner().invoke(app, ["timeline", *args])


def test_cli_table_plot_report_and_as_of(tmp_path):
    p = tmp_path / "small.yaml"
    p.write_text(SMALL_H)
    png, html, rep = tmp_path / "tl.png", tmp_path / "tl.html", tmp_path / "report.html"
    r = _cli(str(p), "-o", "draws=300", "--seed", "2", "--as-of", "2024-03-15", "--plot", str(png), "--report", str(rep))
    assert r.exit_code == 0, r.output
    assert "War bargaining timeline" in r.stdout and "2024-03-15" in r.stdout
    # the full forecast as of the requested date follows the timeline
    assert "months from 2024-03-15" in r.stdout and "hazard of a negotiated settlement" in r.stdout
    assert png.read_bytes()[:4] == b"\x89PNG"
    text = rep.read_text()
    assert "Timeline: re-forecast at each date" in text and "War bargaining timeline" in text
    r = _cli(str(p), "-o", "draws=300", "--plot", str(html), "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["model"] == "war-timeline" and data["details"]["analysis"] == "timeline"
    assert [row["date"] for row in data["details"]["rows"]] == ["2024-01-01", "2024-07-01"]
    assert "plotly" in html.read_text()[:2_000_000].lower()


@pytest.mark.parametrize(
    "args,where",
    [
        (["--as-of", "2023-06-01"], "--as-of"),
        (["--as-of", "June 2024"], "--as-of"),
        (["--plot", "chart.gif"], "--plot"),
        (["-o", "as_of=2024-05-01"], "--option as_of"),
        (["-o", "draws=0"], "draws"),
        (["--every", "-3"], "--every"),
    ],
)
def test_cli_mistakes_are_one_line(tmp_path, capsys, args, where):
    from realpolitik.cli import main

    p = tmp_path / "small.yaml"
    p.write_text(SMALL_H)
    assert main(["timeline", str(p), "-o", "draws=200", *args]) == 2
    err = capsys.readouterr().err
    assert where in err and "Traceback" not in err


def test_a_scenario_without_a_war_has_no_timeline(capsys):
    from realpolitik.cli import main

    assert main(["timeline", "ec-emissions"]) == 2
    assert "war" in capsys.readouterr().err


def test_default_scenario_timeline_runs():
    tl = war_timeline(load_scenario(), {"draws": 300}, seed=5, every=12, until=dt.date(2025, 10, 17))
    assert [r["date"] for r in tl.rows] == ["2024-10-17", "2025-10-17"]
    assert tl.rows[1]["battles_in_record"] == tl.rows[0]["battles_in_record"] + 4


def test_report_html_and_pdf_carry_the_timeline(tmp_path):
    from realpolitik.report.html import render_report

    scen = hist(tmp_path)
    tl = war_timeline(scen, {"draws": 300}, seed=1, keep_results=True)
    results = [tl.results["2024-01-01"], tl.to_result(scen)]
    html = render_report(scen, results, fmt="html").decode()
    assert "Timeline: re-forecast at each date" in html and "War bargaining timeline" in html
    assert render_report(scen, results, fmt="pdf")[:4] == b"%PDF"


def test_an_uncertain_event_splits_its_row(tmp_path):
    """An event with a probability below 1 is part of the record at its date: the row
    there splits into 'happened' and 'did not happen'."""
    text = SMALL_H.replace("  - id: shock\n    date: 2024-07-01\n", "  - id: shock\n    date: 2024-07-01\n    probability: 0.6\n")
    assert "probability: 0.6" in text
    tl = war_timeline(hist(tmp_path, text), {"draws": 300}, seed=2)
    whats = [r["what"] for r in tl.rows]
    assert whats == ["as_of", "event shock (happened)", "event shock (event shock did not happen)"]
    happened, not_happened = tl.rows[1], tl.rows[2]
    assert happened["date"] == not_happened["date"] == "2024-07-01"
    # the hawk's hardening (the shock) makes a deal harder
    assert happened["settlement_probability"]["12"] <= not_happened["settlement_probability"]["12"]
    assert happened["change"] and not_happened["change"]
