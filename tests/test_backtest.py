"""Backtest harness on the case library (realpolitik backtest cases)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from realpolitik.analysis.backtest import cases as bt
from realpolitik.cli import app
from realpolitik.models import base as model_base
from realpolitik.models.base import Model

runner = CliRunner()


@pytest.fixture(scope="module")
def library():
    return bt.load_case_library()


def test_library_has_the_issue_cases_with_documented_outcomes(library):
    names = [c.name for c in library]
    for required in ("ec-emissions-1989", "iran-election-2013", "greece-debt-2015", "china-soe-policy", "china-soe-competitive"):
        assert required in names
    for c in library:
        for o in c.outcomes:
            iss = c.scenario.issue(o.issue)
            assert iss.min <= o.value <= iss.max
            assert o.source and o.how_coded and o.date is not None
            if o.judgement:
                assert o.range is not None and o.range[0] <= o.value <= o.range[1]
    by = {c.name: c for c in library}
    assert by["ec-emissions-1989"].outcomes[0].value == pytest.approx(8.833)
    assert by["ec-emissions-1989"].outcomes[0].published_forecast == pytest.approx(8.35)
    assert by["iran-election-2013"].outcomes[0].value == 8
    assert by["greece-debt-2015"].outcomes[0].judgement
    assert all(o.judgement for n in ("china-soe-policy", "china-soe-competitive") for o in by[n].outcomes)


def test_case_library_lives_in_the_package():
    d = bt.cases_dir()
    assert (d / "outcomes.yaml").is_file() and (d / "SOURCES.md").is_file()
    assert "shared" not in d.parts


def test_case_inputs_match_the_reference_tables(library):
    by = {c.name: c.scenario for c in library}
    a = by["iran-election-2013"].arrays()
    i = list(a.actors).index("Ruhani")
    assert a.position[i, 0] == 8 and a.capability[i, 0] == pytest.approx(0.21) and a.salience[i, 0] == pytest.approx(1.0)
    g = by["greece-debt-2015"].arrays()
    assert g.position[list(g.actors).index("Greece"), 0] == 40
    soe = by["china-soe-competitive"]
    assert len(soe.actors) == 34 and soe.actor("XJ").capability == 100


def test_weighted_mean_score_by_hand(library):
    case = next(c for c in library if c.name == "ec-emissions-1989")
    scores, results = bt.score_case(case, bt.select_models(["weighted-mean"])[0], draws=0)
    a = case.scenario.arrays()
    w = a.capability[:, 0] * a.salience[:, 0]
    expected = float((w * a.position[:, 0]).sum() / w.sum())
    (s,) = scores
    assert s.variant == "point" and s.forecast == pytest.approx(expected)
    assert s.abs_error == pytest.approx(abs(expected - 8.833))
    assert s.pct_error == pytest.approx(100 * abs(expected - 8.833) / 6.0)
    assert len(results) == 1


def test_every_registered_model_is_scored_and_no_case_is_dropped(library):
    cases = [c for c in library if c.name in ("iran-election-2013", "greece-debt-2015")]
    fast = [m for m in bt.select_models() if m.name in ("weighted-mean", "weighted-median", "status-quo", "nash")]
    res = bt.run_backtest(cases, fast, draws=30, seed=3)
    keys = {(s.case, s.model, s.variant) for s in res.scores}
    for c in cases:
        for m in fast:
            assert (c.name, m.name, "point") in keys  # a row even when the model does not apply
    # the status-quo model has no status quo on these cases: reported, not dropped
    assert set(res.not_applicable["status-quo"]) == {"iran-election-2013/president", "greece-debt-2015/terms"}
    sq = [s for s in res.scores if s.model == "status-quo"]
    assert all(not s.applicable and s.note.startswith("not applicable") for s in sq)
    for s in res.scores:
        if s.variant == "monte-carlo":
            assert s.p10 <= s.forecast <= s.p90
            assert s.inside80 == (s.p10 <= s.outcome <= s.p90)
    lb = {r.model: r for r in res.leaderboard()}
    assert lb["weighted-mean"].skill == pytest.approx(0.0)
    assert "status-quo" not in lb  # no applicable forecast at all
    assert lb["weighted-median (MC)"].n_interval == 2


def test_a_model_that_lands_later_is_included_automatically(monkeypatch, library):
    class Midpoint(Model):
        """Test model: the middle of each scale."""

        name = "test-midpoint"

        def _run(self, scenario, rng):
            return self.make_result(scenario, {i.id: (i.min + i.max) / 2 for i in scenario.issues})

    monkeypatch.setitem(model_base._REGISTRY, "test-midpoint", Midpoint)
    names = [m.name for m in bt.select_models()]
    assert "test-midpoint" in names
    case = next(c for c in library if c.name == "iran-election-2013")
    res = bt.run_backtest([case], [Midpoint()], draws=0)
    assert res.scores[0].forecast == pytest.approx(5.5) and res.scores[0].abs_error == pytest.approx(2.5)


def test_leaderboard_arithmetic():
    S = bt.CaseScore
    scores = [
        S("a", "x", "weighted-mean", "point", 50, 100, forecast=40),
        S("b", "x", "weighted-mean", "point", 5, 10, forecast=6),
        S("a", "x", "m", "point", 50, 100, forecast=45),
        S("b", "x", "m", "point", 5, 10, forecast=math.nan),
        S("a", "x", "m", "monte-carlo", 50, 100, forecast=45, p10=30, p90=60),
    ]
    lb = {r.model: r for r in bt.leaderboard(scores)}
    assert lb["weighted-mean"].mae_pct == pytest.approx(10.0) and lb["weighted-mean"].n == 2
    assert lb["m"].n == 1 and lb["m"].mae_pct == pytest.approx(5.0)
    assert lb["m"].skill == pytest.approx(1 - 5.0 / 10.0)  # on the common issue only
    assert lb["m (MC)"].coverage80 == 1.0


def test_outcome_records_report_bad_rows(tmp_path):
    (tmp_path / "outcomes.yaml").write_text("cases:\n  - case: x\n    scenario: x.yaml\n    issue: a\n")
    with pytest.raises(bt.ScenarioError, match=r"outcomes.yaml:cases.0: invalid outcome record"):
        bt.load_outcomes(tmp_path / "outcomes.yaml")


def test_cli_backtest_cases_json_and_errors():
    r = runner.invoke(app, ["backtest", "cases", "-c", "iran-election-2013", "-m", "weighted-mean", "-n", "20", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["analysis"] == "backtest-cases" and data["baseline"] == "weighted-mean"
    assert {s["variant"] for s in data["scores"]} == {"point", "monte-carlo"}
    assert data["stored_runs"] >= 1  # run history (tests use a temporary database)
    r = runner.invoke(app, ["backtest", "cases", "-c", "nope"])
    assert r.exit_code != 0


def test_cli_main_exit_code_for_unknown_case():
    from realpolitik.cli import main

    assert main(["backtest", "cases", "-c", "nope"]) == 2


def test_monte_carlo_versions_are_seeded(library):
    case = next(c for c in library if c.name == "ec-emissions-1989")
    m = bt.select_models(["weighted-median"])[0]
    a, _ = bt.score_case(case, m, draws=40, seed=11)
    b, _ = bt.score_case(case, m, draws=40, seed=11)
    assert [s.to_dict() for s in a] == [s.to_dict() for s in b]
    assert np.isfinite(a[1].p10)


def test_coding_sensitivity_moves_only_judgement_outcomes(library):
    cases = [c for c in library if c.name in ("ec-emissions-1989", "greece-debt-2015")]
    res = bt.run_backtest(cases, bt.select_models(["weighted-mean"]), draws=0)
    sens = res.coding_sensitivity()["weighted-mean"]
    f = {s.case: s.forecast for s in res.scores}
    ec = 100 * abs(f["ec-emissions-1989"] - 8.833) / 6
    assert sens["point"] == pytest.approx((ec + abs(f["greece-debt-2015"] - 95)) / 2)
    assert sens["low"] == pytest.approx((ec + abs(f["greece-debt-2015"] - 90)) / 2)
    assert sens["high"] == pytest.approx((ec + abs(f["greece-debt-2015"] - 100)) / 2)


def test_cli_lists_the_case_library():
    r = runner.invoke(app, ["backtest", "cases", "--list", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert {row["case"] for row in rows} >= {"ec-emissions-1989", "greece-debt-2015"}
    assert all(row["source"] for row in rows)


def test_a_failing_model_is_reported_not_fatal(monkeypatch, library):
    class Broken(Model):
        """Test model that raises a bug."""

        name = "test-broken"

        def _run(self, scenario, rng):
            raise RuntimeError("boom")

    case = next(c for c in library if c.name == "iran-election-2013")
    res = bt.run_backtest([case], [Broken(), bt.select_models(["weighted-mean"])[0]], draws=0)
    broken = next(s for s in res.scores if s.model == "test-broken")
    assert not broken.applicable and broken.note == "error: RuntimeError: boom"
    assert any(s.model == "weighted-mean" and s.applicable for s in res.scores)
