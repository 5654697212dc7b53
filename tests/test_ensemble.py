"""The ensemble: weights from out-of-sample skill, conformal intervals, scored leave-one-outcome-out."""

import itertools
import json
import math
from importlib import resources

import numpy as np
import pytest

from realpolitik.analysis.backtest import cases as bt
from realpolitik.analysis.backtest.ensemble import components, fit_calibration, loo_scores
from realpolitik.errors import OptionError
from realpolitik.models import ScenarioBatch, available_models, get_model
from realpolitik.models.ensemble import shipped_calibration
from realpolitik.models.ensemble.combine import (
    MIN_OUTCOMES_FOR_STACKING,
    band_scores,
    choose_weights,
    combined_mae,
    conformal_quantile,
    stack_weights,
)
from realpolitik.scenario import load_scenario


# ------------------------------------------------------------------ arithmetic
def test_stacking_lp_finds_the_best_convex_weights():
    rng = np.random.default_rng(1)
    E = rng.normal(0, 10, (12, 3)) + np.array([5.0, -4.0, 0.5])
    groups = [f"g{k // 2}" for k in range(12)]  # pairs of rows share an outcome
    w = stack_weights(E, groups)
    assert w.sum() == pytest.approx(1.0) and np.all(w >= 0)
    best = min(combined_mae(E, groups, np.array(v)) for v in
               ((a / 50, b / 50, 1 - a / 50 - b / 50) for a, b in itertools.product(range(51), repeat=2) if a + b <= 50))
    assert combined_mae(E, groups, w) <= best + 1e-9


def test_equal_weights_when_the_evidence_is_thin_or_stacking_does_not_win():
    rng = np.random.default_rng(2)
    E = rng.normal(0, 10, (5, 3))
    c = choose_weights(E, [str(k) for k in range(5)], ["a", "b", "c"])
    assert c["rule"] == "equal" and "5 independent outcomes" in c["reason"]
    assert list(c["weights"].values()) == pytest.approx([1 / 3] * 3)
    # many outcomes and one model clearly better: stacking, and it says why
    n = MIN_OUTCOMES_FOR_STACKING + 10
    E = np.column_stack([rng.normal(0, 1, n), rng.normal(8, 10, n), rng.normal(-8, 10, n)])
    c = choose_weights(E, [str(k) for k in range(n)], ["good", "b", "c"])
    assert c["rule"] == "stacking" and c["weights"]["good"] > 0.5 and c["stacking_loo_mae"] < c["equal_mae"]
    # beyond 50 outcomes the out-of-sample check runs in 10 folds of outcomes (DEU III's 351)
    n2 = 120
    E2 = np.column_stack([rng.normal(0, 1, n2), rng.normal(8, 10, n2), rng.normal(-8, 10, n2)])
    c2 = choose_weights(E2, [str(k) for k in range(n2)], ["good", "b", "c"])
    assert c2["rule"] == "stacking" and c2["weights"]["good"] > 0.5
    # many outcomes, exchangeable noise: stacking has nothing to find out of sample
    E = rng.normal(0, 10, (n, 3))
    c = choose_weights(E, [str(k) for k in range(n)], ["a", "b", "c"])
    assert c["rule"] == "equal" or c["stacking_loo_mae"] < c["equal_mae"]


def test_conformal_quantile_and_band_scores():
    s = np.array([3.0, -1.0, 5.0, 2.0])
    assert conformal_quantile(s, 0.8) == 5.0  # ceil(5 * 0.8) = 4th smallest
    assert conformal_quantile(s, 0.5) == 3.0  # ceil(2.5) = 3rd smallest of -1, 2, 3, 5
    assert conformal_quantile(s[:3], 0.8) == math.inf  # 3 scores cannot give 80 %
    np.testing.assert_allclose(band_scores([1, 1], [2, 2], np.array([0.5, 1.5])), [0.5, -0.5])


# ------------------------------------------------------------------ the model
def test_ensemble_is_registered_and_follows_the_protocol():
    assert "ensemble" in available_models()
    m = get_model("ensemble", draws=0)
    scen = load_scenario("ec-emissions")
    a, b = m.run(scen, rng=3), m.run(scen, rng=3)
    assert a.forecast == b.forecast
    fc = m.forecast_batch(ScenarioBatch.repeat(scen, 2))
    np.testing.assert_allclose(fc[:, 0], [a.forecast["emission"]] * 2, atol=1e-9)
    with pytest.raises(OptionError, match="draws"):
        get_model("ensemble", draws=-1)
    with pytest.raises(OptionError, match="sum to 1"):
        get_model("ensemble", calibration={**shipped_calibration(), "weights": {"nash": 0.5}})


def test_forecast_is_the_weighted_mean_of_the_components_and_intervals_nest():
    scen = load_scenario()
    res = get_model("ensemble", draws=60).run(scen, rng=7)
    cal = shipped_calibration()
    for iid, e in res.details["issues"].items():
        comps = {c["model"]: c["forecast"] for c in e["components"]}
        assert set(comps) == set(cal["weights"])
        want = sum(cal["weights"][k] * v for k, v in comps.items())
        assert res.forecast[iid] == pytest.approx(want)
        (l8, h8), (l5, h5) = e["interval80"], e["interval50"]
        iss = scen.issue(iid)
        assert iss.min <= l8 <= l5 <= h5 <= h8 <= iss.max
        assert l8 <= e["band80"][0] and e["band80"][1] <= h8
    assert "war" not in res.details["issues"]["settlement"]["weights"]


def test_headline_flags_nash_at_the_status_quo_and_unsettled_components():
    scen = load_scenario()
    res = get_model("ensemble", draws=0).run(scen, rng=1)
    nash = [c for c in res.details["issues"]["settlement"]["components"] if c["model"] == "nash"][0]
    assert "both sides of the status quo" in nash["equals_status_quo"]
    for iid, e in res.details["issues"].items():
        eu = [c for c in e["components"] if c["model"] == "expected-utility"][0]
        st = get_model("expected-utility").run(scen).details["stability"]["issues"][iid]
        assert ("unsettled" in eu) == (not st["settled"])
    text = "\n".join(t.note or "" for t in get_model("ensemble").describe(res, scen))
    assert "Nash solution is the status quo" in text


def test_a_component_without_a_forecast_gives_its_weight_to_the_others():
    cal = {**shipped_calibration(), "weights": {"status-quo": 0.5, "weighted-mean": 0.5}}
    scen = load_scenario("ec-emissions")  # no status quo: status-quo has no forecast
    res = get_model("ensemble", calibration=cal, draws=0).run(scen)
    assert res.forecast["emission"] == pytest.approx(get_model("weighted-mean").run(scen).forecast["emission"])
    assert res.details["issues"]["emission"]["weights"] == {"status-quo": 0.0, "weighted-mean": 1.0}


# ------------------------------------------------------------------ calibration and backtest
@pytest.fixture(scope="module")
def library():
    cases = bt.load_case_library()
    models = [m for m in bt.select_models() if not getattr(m, "learns_from_cases", False)]
    return cases, bt.run_backtest(cases, models, draws=40, seed=11)


def test_components_are_the_models_with_evidence_on_every_outcome(library):
    cases, res = library
    comps = components(res.scores, cases)
    assert "war" not in comps and "status-quo" not in comps and "ensemble" not in comps
    assert {"weighted-mean", "weighted-median", "nash", "expected-utility"} <= set(comps)


def test_the_ensemble_is_scored_without_its_own_outcome(library):
    cases, res = library
    base = {(s.case, s.issue): s for s in loo_scores(res.scores, cases)}
    # move the outcome of one independent outcome: only its own rows' errors change,
    # its interval (fitted without it) stays where it was
    target = "china-oil-gas-reform-2017"
    moved = [s if s.group != target else __import__("dataclasses").replace(s, outcome=s.outcome + 30)
             for s in res.scores]  # fmt: skip
    after = {(s.case, s.issue): s for s in loo_scores(moved, cases)}
    for key, s in base.items():
        if s.group == target:
            assert (after[key].p10, after[key].p90, after[key].forecast) == pytest.approx((s.p10, s.p90, s.forecast))
    assert any(after[k].p90 != base[k].p90 for k, s in base.items() if s.group != target)


def test_backtest_scores_the_ensemble_leave_one_outcome_out_and_its_coverage_is_honest():
    res = bt.run_backtest(models=[get_model("ensemble")], draws=60, seed=5)
    rows = {r.model: r for r in res.leaderboard()}
    ens = rows["ensemble"]
    assert ens.n == 5 and ens.n_interval == 5  # five independent outcomes, each once
    assert 0.65 <= ens.coverage80 <= 0.95
    assert "weighted-mean" in rows  # its components are scored too


@pytest.mark.slow
def test_shipped_calibration_is_what_the_command_computes():
    """The shipped file is `realpolitik ensemble calibrate --out ...` on the shipped library."""
    from realpolitik.commands.ensemble import library_calibration

    shipped = shipped_calibration()
    fresh = json.loads(json.dumps(library_calibration(shipped["draws"], shipped["spread"], shipped["seed"]),
                                  sort_keys=True))  # fmt: skip
    assert fresh.keys() == shipped.keys()
    for key in fresh:
        assert fresh[key] == pytest.approx(shipped[key], rel=1e-9, abs=1e-9) if isinstance(fresh[key], float) \
            else fresh[key] == _approx(shipped[key]), key


def _approx(v):
    if isinstance(v, dict):
        return {k: _approx(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_approx(x) for x in v]
    return pytest.approx(v, rel=1e-9, abs=1e-9) if isinstance(v, float) else v


def test_shipped_calibration_is_package_data():
    text = (resources.files("realpolitik.models.ensemble") / "calibration.json").read_text()
    assert json.loads(text)["weight_rule"] in ("equal", "stacking")


def test_fit_calibration_refuses_too_few_outcomes(library):
    from realpolitik.errors import ScenarioError

    cases, res = library
    few = [c for c in cases if c.name in ("ec-emissions-1989", "iran-election-2013", "greece-debt-2015")]
    sub = [s for s in res.scores if s.case in {c.name for c in few}]
    with pytest.raises(ScenarioError, match="too few for a 80% conformal interval"):
        fit_calibration(sub, few, "three cases", 0.1, 40, 11)


def test_docs_show_the_shipped_calibration_as_the_command_prints_it():
    from pathlib import Path

    from typer.testing import CliRunner

    from realpolitik.cli import app

    doc = (Path(__file__).resolve().parents[1] / "docs" / "backtests.md").read_text()
    head = "<!-- BEGIN output of: realpolitik ensemble calibrate --markdown -->\n"
    block = doc[doc.index(head) + len(head): doc.index("<!-- END output -->", doc.index(head))]
    r = CliRunner().invoke(app, ["ensemble", "show", "--markdown"])
    assert r.exit_code == 0 and r.stdout.strip() == block.strip()
