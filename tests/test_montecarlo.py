"""Uncertain inputs and Monte Carlo (issue 6, parts 1-2)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from realpolitik.analysis.montecarlo import Threshold, parse_threshold, simulate
from realpolitik.errors import OptionError, ScenarioError
from realpolitik.models import available_models, get_model
from realpolitik.scenario import Scenario, load_bytes, load_scenario
from realpolitik.scenario.uncertainty import UncertainValue, parse_distribution, sample_batch, split_path

YAML = b"""
title: uncertain
salience_scale: 0-1
issues:
  - {id: settlement, min: 0, max: 100}
  - {id: sanctions, min: 0, max: 10}
actors:
  - id: putin
    capability: {min: 40, max: 60}
    positions: {settlement: {low: 40, mode: 60, high: 80}, sanctions: 2}
    saliences: {settlement: {mean: 0.9, sd: 0.1}, sanctions: 0.5}
  - id: zelensky
    capability: 30
    positions: {settlement: 10, sanctions: {mean: 9, sd: 40}}
    saliences: {settlement: 0.95, sanctions: 0.5}
  - id: washington
    capability: 45
    capability_by_issue: {sanctions: {min: 60, max: 80}}
    positions: {settlement: 25, sanctions: 8}
    saliences: {settlement: 0.6, sanctions: 0.7}
"""


def scenario_from(data: dict) -> Scenario:
    return Scenario.model_validate(data)


def three_actors(**unc) -> Scenario:
    return scenario_from(
        {
            "title": "t",
            "issues": [{"id": "x", "min": 0, "max": 100}, {"id": "y", "min": 0, "max": 10}],
            "actors": [
                {"id": "a", "capability": 10, "positions": {"x": 20, "y": 2}, "saliences": {"x": 50, "y": 80}},
                {"id": "b", "capability": 20, "positions": {"x": 70, "y": 5}, "saliences": {"x": 90, "y": 30}},
                {"id": "c", "capability": 15, "positions": {"x": 40}, "saliences": {"x": 60}},
            ],
            **unc,
        }
    )


# ------------------------------------------------------------------ parsing
def test_yaml_distributions_become_point_values_and_specs():
    s = load_bytes(YAML, "u.yaml")
    putin = s.actor("putin")
    assert putin.capability == 50  # uniform: midpoint
    assert putin.positions["settlement"] == 60  # triangular: mode
    assert putin.saliences["settlement"] == pytest.approx(90)  # normal: mean, moved to 0-100
    specs = {u.path: u for u in s.uncertainty}
    assert set(specs) == {
        "putin.capability",
        "putin.position.settlement",
        "putin.salience.settlement",
        "zelensky.position.sanctions",
        "washington.capability.sanctions",
    }
    assert specs["putin.salience.settlement"].mean == pytest.approx(90)
    assert specs["putin.salience.settlement"].sd == pytest.approx(10)
    assert specs["putin.position.settlement"].dist == "triangular"
    assert s.actor("washington").capability_by_issue["sanctions"] == 70


def test_distribution_errors_are_located():
    bad = YAML.replace(b"{low: 40, mode: 60, high: 80}", b"{low: 40, mode: 90, high: 80}").replace(
        b"{min: 60, max: 80}", b"{min: 60, max: 80, sd: 3}"
    )
    with pytest.raises(ScenarioError) as exc:
        load_bytes(bad, "u.yaml")
    lines = exc.value.lines()
    assert any(line.startswith("u.yaml:10 (actors.0.positions.settlement)") and "mode 90" in line for line in lines)
    assert any("actors.2.capability_by_issue.sanctions" in line and "cannot tell" in line for line in lines)


def test_distribution_outside_valid_range_is_reported():
    bad = YAML.replace(b"{mean: 9, sd: 40}", b"{min: 5, max: 12}")
    with pytest.raises(ScenarioError) as exc:
        load_bytes(bad, "u.yaml")
    assert any("actors.1.positions.sanctions" in line and "outside the issue scale" in line for line in exc.value.lines())


def test_csv_distribution_columns():
    csv = (
        b"# scale: 0-100\n"
        b"Actor,Capability,Position,Salience,Position_low,Position_high,Position_mode,Salience_sd,Capability_min,Capability_max\n"
        b"Putin,50,60,0.9,40,80,60,0.1,40,60\n"
        b"Zelensky,30,10,0.95,,,,,,\n"
        b"Biden,40,20,0.5,10,30,,,,\n"
    )
    s = load_bytes(csv, "t.csv")
    specs = {u.path: u for u in s.uncertainty}
    assert specs["Putin.position.issue"].dist == "triangular"
    assert specs["Putin.salience.issue"].dist == "normal"
    assert specs["Putin.salience.issue"].mean == pytest.approx(90) and specs["Putin.salience.issue"].sd == pytest.approx(10)
    assert specs["Putin.capability"].dist == "uniform"
    assert specs["Biden.position.issue"].low == 10 and specs["Biden.position.issue"].dist == "uniform"
    assert "Zelensky.position.issue" not in specs
    assert s.actor("Biden").positions["issue"] == 20  # the main column stays the point value


def test_csv_distribution_errors_name_row_and_column():
    csv = b"Actor,Capability,Position,Salience,Position_low,Position_high,Salience_sd\nA,5,60,90,70,80,abc\nB,3,10,95,5,,\n"
    with pytest.raises(ScenarioError) as exc:
        load_bytes(csv, "t.csv")
    lines = exc.value.lines()
    assert any(line.startswith("t.csv:2:Position_low") and "outside its range" in line for line in lines)
    assert any(line.startswith("t.csv:2:Salience_sd") and "not a number" in line for line in lines)
    assert any(line.startswith("t.csv:3:") and "_low and _high" in line for line in lines)


def test_parse_distribution_rejects_unknown_shapes():
    with pytest.raises(ValueError, match="cannot tell"):
        parse_distribution({"low": 1, "sd": 2}, "a.capability")
    with pytest.raises(ValueError, match="must be a number"):
        parse_distribution({"min": "x", "max": 2}, "a.capability")
    assert split_path("U.S.salience.trade.policy") == ("U.S", "salience", "trade.policy")


def test_uncertainty_survives_edits():
    s = load_bytes(YAML, "u.yaml")
    assert all(u.actor != "putin" for u in s.without_actor("putin").uncertainty)
    s2 = s.with_value("putin", "position", 50.0, "settlement")
    assert "putin.position.settlement" not in {u.path for u in s2.uncertainty}
    assert len(s2.uncertainty) == len(s.uncertainty) - 1


# ------------------------------------------------------------------ sampling
def test_sampling_matches_the_distributions():
    s = load_bytes(YAML, "u.yaml")
    b = sample_batch(s, 200_000, 11)
    cap = b.capability[:, 0, 0]
    assert cap.min() >= 40 and cap.max() <= 60 and cap.mean() == pytest.approx(50, abs=0.1)
    assert np.array_equal(b.capability[:, 0, 0], b.capability[:, 0, 1])  # one capability per actor
    tri = b.position[:, 0, 0]
    assert tri.min() >= 40 and tri.max() <= 80 and tri.mean() == pytest.approx(60, abs=0.1)
    # normal(90, 10) truncated to [0, 100]: mean = 90 - 10 phi(1) / (Phi(1) - Phi(-9))
    from scipy.stats import truncnorm

    sal = b.salience[:, 0, 0] * 100
    assert sal.max() <= 100 and sal.mean() == pytest.approx(truncnorm(-9, 1, 90, 10).mean(), abs=0.1)
    wide = b.position[:, 1, 1]  # normal(9, 40) on a 0-10 scale
    assert wide.min() >= 0 and wide.max() <= 10
    assert wide.mean() == pytest.approx(truncnorm(-9 / 40, 1 / 40, 9, 40).mean(), abs=0.05)
    cbi = b.capability[:, 2, 1]
    assert cbi.min() >= 60 and cbi.max() <= 80 and np.all(b.capability[:, 2, 0] == 45)
    # values without a distribution stay fixed
    assert np.all(b.position[:, 2, 0] == 25) and np.all(b.salience[:, 1, 0] == 0.95)


def test_spread_perturbs_within_valid_ranges_only_free_values():
    s = load_bytes(YAML, "u.yaml")
    b = sample_batch(s, 20_000, 3, spread=0.3)
    x = b.position[:, 2, 0]  # washington settlement 25 +- 30 on 0-100
    assert x.min() >= 0 and x.max() <= 55 and x.max() > 50
    sal = b.salience[:, 1, 0]  # zelensky 0.95 +- 0.3, cut at 1
    assert sal.max() <= 1.0 and sal.min() >= 0.65
    cap = b.capability[:, 1, 0]
    assert cap.min() >= 30 * 0.7 and cap.max() <= 30 * 1.3
    # a value with its own distribution keeps it
    assert b.position[:, 0, 0].min() >= 40 and b.position[:, 0, 0].max() <= 80


def test_zero_width_distributions_collapse():
    s = three_actors(
        uncertainty=[
            {"path": "a.position.x", "dist": "uniform", "low": 20, "high": 20},
            {"path": "b.salience.x", "dist": "triangular", "low": 90, "mode": 90, "high": 90},
            {"path": "c.capability", "dist": "normal", "mean": 15, "sd": 0},
        ]
    )
    b = sample_batch(s, 100, 1)
    a = s.arrays()
    assert np.array_equal(b.position, np.broadcast_to(a.position, b.position.shape), equal_nan=True)
    assert np.array_equal(b.salience, np.broadcast_to(a.salience, b.salience.shape))
    assert np.array_equal(b.capability, np.broadcast_to(a.capability, b.capability.shape))


@pytest.mark.parametrize("name", ["weighted-mean", "weighted-median", "nash", "expected-utility"])
def test_all_spreads_zero_collapses_to_the_point_forecast(name):
    if name not in available_models():
        pytest.skip(f"{name} not available")
    s = three_actors(uncertainty=[{"path": "a.position.x", "dist": "normal", "mean": 20, "sd": 0}])
    m = get_model(name)
    res = simulate(s, m, draws=60, seed=5, chunk_size=25)
    point = m.run(s).forecast
    for c, iid in enumerate(s.issue_ids):
        np.testing.assert_allclose(res.draws[:, c], point[iid], rtol=0, atol=1e-9)
        summ = res.summary()[iid]
        assert summ["p10"] == pytest.approx(point[iid]) and summ["p90"] == pytest.approx(point[iid])
        assert summ["sd"] == pytest.approx(0.0, abs=1e-9)


def test_default_scenario_collapses_without_spread():
    # without its distributions and with no spread, every draw is the point forecast
    s = load_scenario(None).model_copy(update={"uncertainty": ()})
    m = get_model("weighted-median")
    res = simulate(s, m, draws=30, seed=1)
    point = m.run(s).forecast
    assert all(np.allclose(res.draws[:, c], point[i]) for c, i in enumerate(s.issue_ids))


# ------------------------------------------------------------------ monte carlo
def test_same_seed_same_numbers_and_chunking_is_only_a_plan():
    s = load_bytes(YAML, "u.yaml")
    m = get_model("weighted-mean")
    r1 = simulate(s, m, draws=2500, seed=42, spread=0.1, chunk_size=1000)
    r2 = simulate(s, m, draws=2500, seed=42, spread=0.1, chunk_size=1000)
    r3 = simulate(s, m, draws=2500, seed=43, spread=0.1, chunk_size=1000)
    assert np.array_equal(r1.draws, r2.draws)
    assert not np.array_equal(r1.draws, r3.draws)
    # the first chunk of a longer run equals a run of one chunk
    r4 = simulate(s, m, draws=1000, seed=42, spread=0.1, chunk_size=1000)
    assert np.array_equal(r1.draws[:1000], r4.draws)


def test_batched_core_equals_the_looping_path():
    """The vectorised batch and running each drawn scenario one by one agree."""
    s = load_bytes(YAML, "u.yaml")
    m = get_model("nash")
    batch = sample_batch(s, 20, 9, spread=0.1)
    fast = m.forecast_batch(batch)
    from realpolitik.models.base import Model

    slow = Model.forecast_batch(m, batch)
    np.testing.assert_allclose(fast, slow, atol=1e-6)


def test_summary_histogram_and_thresholds():
    s = load_bytes(YAML, "u.yaml")
    res = simulate(s, get_model("weighted-mean"), draws=4000, seed=2, thresholds=["settlement>40", "sanctions<=5"], bins=10)
    x = res.draws[:, 0]
    summ = res.summary()["settlement"]
    assert summ["mean"] == pytest.approx(x.mean())
    assert summ["median"] == pytest.approx(np.median(x))
    assert summ["p10"] == pytest.approx(np.percentile(x, 10))
    assert sum(summ["histogram"]["counts"]) == 4000
    assert summ["histogram"]["edges"][0] == 0 and summ["histogram"]["edges"][-1] == 100
    probs = res.probabilities()
    assert probs["settlement>40"] == pytest.approx((x > 40).mean())
    assert probs["sanctions<=5"] == pytest.approx((res.draws[:, 1] <= 5).mean())
    data = json.loads(json.dumps(res.to_dict()))
    assert data["details"]["analysis"] == "monte-carlo"
    assert data["forecast"]["settlement"] == pytest.approx(x.mean())
    assert set(data["details"]["histograms"]) == {"settlement", "sanctions"}


def test_threshold_parsing():
    s = load_bytes(YAML, "u.yaml")
    assert parse_threshold("settlement >= 60", s) == Threshold("settlement", ">=", 60.0)
    with pytest.raises(OptionError, match="unknown issue"):
        parse_threshold("peace>3", s)
    with pytest.raises(OptionError, match="expected ISSUE>VALUE"):
        parse_threshold("settlement=3", s)
    assert math.isnan(Threshold("x", ">", 1).probability(np.array([np.nan])))


def test_seed_is_reported_when_not_given():
    s = three_actors()
    res = simulate(s, get_model("weighted-mean"), draws=10, spread=0.2)
    again = simulate(s, get_model("weighted-mean"), draws=10, spread=0.2, seed=res.seed)
    assert np.array_equal(res.draws, again.draws)


def test_bad_options_raise_option_errors():
    s = three_actors()
    m = get_model("weighted-mean")
    with pytest.raises(OptionError):
        simulate(s, m, draws=0)
    with pytest.raises(OptionError):
        simulate(s, m, draws=10, spread=-1)
    with pytest.raises(OptionError):
        simulate(s, m, draws=10, chunk_size=0)


# ------------------------------------------------------------------ CLI
def test_cli_simulate_json(capsys, tmp_path):
    from realpolitik.cli import main

    path = tmp_path / "u.yaml"
    path.write_bytes(YAML)
    code = main([
        "simulate", str(path), "-m", "weighted-mean", "-n", "500", "--seed", "4",
        "-t", "settlement>50", "--json", "-q", "--out", str(tmp_path / "mc.json"),
    ])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["seed"] == 4 and data["details"]["draws"] == 500
    assert 0 <= data["details"]["thresholds"]["settlement>50"] <= 1
    full = json.loads((tmp_path / "mc.json").read_text())
    assert len(full["details"]["forecast_draws"]) == 500


def test_cli_simulate_errors_exit_2(capsys):
    from realpolitik.cli import main

    assert main(["simulate", "-m", "weighted-mean", "-n", "10", "-t", "nope>3"]) == 2
    assert "unknown issue 'nope'" in capsys.readouterr().err
    assert main(["simulate", "-m", "weighted-mean", "-n", "10", "--engine", "spark"]) == 2


def test_csv_inferred_scale_covers_position_ranges():
    s = load_bytes(b"Actor,Capability,Position,Salience,Position_low,Position_high\nA,5,60,90,50,95\nB,3,10,95,,\n", "t.csv")
    assert (s.issues[0].min, s.issues[0].max) == (10, 95)


from hypothesis import given, settings
from hypothesis import strategies as st

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(finite, finite, st.floats(0, 1), finite, st.floats(0, 1e5), finite, finite)
def test_inverse_cdf_stays_in_support_and_is_monotone(x1, x2, w, mean, sd, b1, b2):
    from realpolitik.scenario.uncertainty import _inverse_cdf

    lo, hi = min(x1, x2), max(x1, x2)
    mode = lo + w * (hi - lo)
    a, b = min(b1, b2), max(b1, b2)
    mean = min(max(mean, a), b)
    u = np.linspace(0, 1, 41)[:, None] * np.ones((1, 3))
    kind = np.array([0, 1, 2])
    par = {k: np.array(v, float) for k, v in dict(
        low=[lo, lo, np.nan], high=[hi, hi, np.nan], mode=[np.nan, mode, np.nan],
        mean=[np.nan, np.nan, mean], sd=[np.nan, np.nan, sd], a=[0, 0, a], b=[0, 0, b]).items()}  # fmt: skip
    x = _inverse_cdf(u, kind, par)
    tol = 1e-9 * max(1.0, abs(lo), abs(hi), abs(a), abs(b))
    assert np.all(x[:, :2] >= lo - tol) and np.all(x[:, :2] <= hi + tol)
    assert np.all(x[:, 2] >= a - tol) and np.all(x[:, 2] <= b + tol)
    assert np.all(np.diff(x, axis=0) >= -tol)  # inverse CDFs are non-decreasing in u
