"""Baseline models: hand-computed cases and properties (issue 9, parts 5 and 8)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from realpolitik.models import get_model
from realpolitik.models.base import ScenarioBatch
from realpolitik.scenario import Scenario


def scen(actors, sq=None, lo=0.0, hi=100.0):
    """One-issue scenario from (capability, salience 0-100, position) triples."""
    return Scenario.model_validate(
        {
            "title": "hand",
            "issues": [{"id": "x", "min": lo, "max": hi, **({"status_quo": sq} if sq is not None else {})}],
            "actors": [
                {"id": f"a{k}", "capability": c, "positions": {"x": x}, "saliences": {"x": s}}
                for k, (c, s, x) in enumerate(actors)
            ],
        }
    )


def fc(model, s, **options):
    return get_model(model, **options).run(s).forecast["x"]


# ------------------------------------------------------------------ weighted mean
def test_weighted_mean_by_hand():
    # weights c*s: 2*1.0, 1*0.5, 1*1.0 = 2, 0.5, 1; sum 3.5
    # mean = (2*0 + 0.5*100 + 1*40) / 3.5 = 90 / 3.5
    s = scen([(2, 100, 0), (1, 50, 100), (1, 100, 40)])
    assert fc("weighted-mean", s) == pytest.approx(90 / 3.5, abs=1e-12)


def test_weighted_mean_ec_emissions_matches_bdm_table():
    # BDM (1994) / Scholz et al. (2011) Table 2: the round-0 mean of the EC case is 7.39
    from realpolitik.scenario import load_scenario

    r = get_model("weighted-mean").run(load_scenario("ec-emissions"))
    assert r.forecast["emission"] == pytest.approx(7.389955686853767, abs=1e-9)


def test_weighted_mean_ignores_non_participants():
    s = Scenario.model_validate(
        {
            "title": "two issues",
            "issues": [{"id": "x"}, {"id": "y"}],
            "actors": [
                {"id": "a", "capability": 1, "positions": {"x": 10, "y": 0}, "saliences": {"x": 100, "y": 100}},
                {"id": "b", "capability": 3, "positions": {"x": 50}, "saliences": {"x": 100}},
                {"id": "c", "capability": 1, "positions": {"y": 60}, "saliences": {"y": 50}},
            ],
        }
    )
    f = get_model("weighted-mean").run(s).forecast
    assert f["x"] == pytest.approx((10 + 150) / 4)
    assert f["y"] == pytest.approx((0 + 0.5 * 60) / 1.5)


# ------------------------------------------------------------------ weighted median
def test_weighted_median_by_hand():
    # sorted: 0 (w 2), 40 (w 1), 100 (w 0.5); total 3.5, half 1.75 reached at 0
    s = scen([(2, 100, 0), (1, 50, 100), (1, 100, 40)])
    assert fc("weighted-median", s) == 0.0


def test_weighted_median_odd_weights():
    # 10 (w1), 20 (w1), 60 (w1.5): total 3.5, half 1.75, reached at 20 (cum 2)
    s = scen([(1, 100, 10), (1, 100, 20), (1.5, 100, 60)])
    assert fc("weighted-median", s) == 20.0


def test_weighted_median_even_split_is_the_midpoint():
    # two equal actors: cumulative weight is exactly half at 0 -> midpoint of 0 and 100
    assert fc("weighted-median", scen([(1, 100, 0), (1, 100, 100)])) == 50.0
    # 10 (w1), 20 (w1), 60 (w2): half = 2 is reached exactly at 20 -> (20 + 60) / 2
    assert fc("weighted-median", scen([(1, 100, 10), (1, 100, 20), (2, 100, 60)])) == 40.0


def test_weighted_median_ec_emissions_matches_bdm_table():
    from realpolitik.scenario import load_scenario

    r = get_model("weighted-median").run(load_scenario("ec-emissions"))
    assert r.forecast["emission"] == 7.0  # Scholz et al. (2011) Table 2, round 0


# ------------------------------------------------------------------ Nash bargaining
def test_nash_no_status_quo_linear_by_hand():
    # d = each actor's worst scale end; u_i = -|x - x_i|; actors at 0 (w 2) and 100 (w 1):
    # max 2 log(100 - x) + log(x)  ->  -2/(100-x) + 1/x = 0  ->  x = 100/3
    s = scen([(2, 100, 0), (1, 100, 100)])
    assert fc("nash", s, utility="linear") == pytest.approx(100 / 3, abs=1e-7)


def test_nash_no_status_quo_quadratic_by_hand():
    # u_i = -(x - x_i)^2, disagreement distance 100 for both actors:
    # max 2 log(10000 - x^2) + log(10000 - (100-x)^2); the first-order condition
    # 2 x^2 (200 - x) = (100 - x)^2 (100 + x) is the cubic 3x^3 - 500x^2 - 10000x + 1e6 = 0
    roots = np.roots([3.0, -500.0, -10000.0, 1e6])
    root = [r.real for r in roots if abs(r.imag) < 1e-9 and 0 < r.real < 100]
    assert len(root) == 1
    s = scen([(2, 100, 0), (1, 100, 100)])
    assert fc("nash", s) == pytest.approx(root[0], abs=1e-7)
    assert 39 < root[0] < 40


def test_nash_symmetric_is_the_midpoint():
    assert fc("nash", scen([(1, 100, 20), (1, 100, 80)])) == pytest.approx(50.0, abs=1e-9)


def test_nash_status_quo_outside_the_actors_by_hand():
    # SQ 100, actors at 20 (w 3) and 60 (w 1), linear: gains 80-|x-20| and 40-|x-60|;
    # on [20, 60]: max 3 log(100 - x) + log(x - 20)  ->  x = 40
    s = scen([(3, 100, 20), (1, 100, 60)], sq=100)
    assert fc("nash", s, utility="linear") == pytest.approx(40.0, abs=1e-7)


def test_nash_status_quo_between_the_actors_is_the_status_quo():
    # no point makes both better off than the status quo at 50
    s = scen([(3, 100, 20), (1, 100, 60)], sq=50)
    assert fc("nash", s) == 50.0
    assert fc("nash", s, utility="linear") == 50.0


def test_nash_status_quo_quadratic_matches_an_independent_optimiser():
    s = scen([(3, 100, 20), (1, 80, 60), (2, 30, 70)], sq=95)
    w = np.array([3 * 1.0, 1 * 0.8, 2 * 0.3])
    x = np.array([20.0, 60.0, 70.0])
    ud = (x - 95.0) ** 2

    def neg(p):
        gain = ud - (p - x) ** 2
        return np.inf if np.any(gain <= 0) else -np.sum(w * np.log(gain))

    lo, hi = np.max(x - np.abs(x - 95)), np.min(x + np.abs(x - 95))
    best = minimize_scalar(neg, bounds=(lo + 1e-9, hi - 1e-9), method="bounded", options={"xatol": 1e-10})
    assert fc("nash", s) == pytest.approx(best.x, abs=1e-5)


# ------------------------------------------------------------------ status quo
def test_status_quo_baseline():
    assert fc("status-quo", scen([(1, 100, 0), (1, 100, 100)], sq=37.5)) == 37.5
    r = get_model("status-quo").run(scen([(1, 100, 0), (1, 100, 100)]))
    assert math.isnan(r.forecast["x"])
    assert r.to_dict()["forecast"]["x"] is None
    assert r.details["no_status_quo"] == ["x"]


# ------------------------------------------------------------------ properties
actor_st = st.tuples(
    st.floats(0.01, 1000, allow_nan=False),  # capability
    st.floats(1, 100, allow_nan=False),  # salience
    st.floats(0, 100, allow_nan=False),  # position
)
actors_st = st.lists(actor_st, min_size=2, max_size=9)
MODELS = ["weighted-mean", "weighted-median", "nash"]
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(actors_st, st.sampled_from(MODELS + ["nash-linear"]), st.one_of(st.none(), st.floats(0, 100)))
def test_forecast_lies_within_the_actors_positions(actors, model, sq):
    opts = {"utility": "linear"} if model == "nash-linear" else {}
    name = "nash" if model == "nash-linear" else model
    xs = [a[2] for a in actors]
    f = fc(name, scen(actors, sq=sq if name == "nash" else None), **opts)
    assert min(xs) - 1e-6 <= f <= max(xs) + 1e-6


@FAST
@given(actors_st, st.sampled_from(MODELS), st.randoms(use_true_random=False))
def test_forecast_does_not_depend_on_actor_order(actors, model, rnd):
    shuffled = list(actors)
    rnd.shuffle(shuffled)
    assert fc(model, scen(shuffled)) == pytest.approx(fc(model, scen(actors)), rel=1e-9, abs=1e-6)


@FAST
@given(actors_st, st.sampled_from(MODELS), st.floats(1e-3, 1e3))
def test_scaling_all_capabilities_leaves_the_forecast_unchanged(actors, model, k):
    scaled = [(c * k, s, x) for c, s, x in actors]
    assert fc(model, scen(scaled)) == pytest.approx(fc(model, scen(actors)), rel=1e-9, abs=1e-6)


@FAST
@given(actors_st)
def test_weighted_median_is_a_weighted_median(actors):
    # at most half the weight lies strictly on either side of the forecast
    f = fc("weighted-median", scen(actors))
    w = np.array([c * s / 100 for c, s, _ in actors])
    x = np.array([a[2] for a in actors])
    tol = 1e-9 * w.sum()
    assert w[x < f].sum() <= w.sum() / 2 + tol
    assert w[x > f].sum() <= w.sum() / 2 + tol


def test_batch_forecast_equals_run_per_draw():
    rng = np.random.default_rng(3)
    base = scen([(1, 50, 10), (2, 80, 70), (3, 20, 40), (1, 100, 95)], sq=30)
    batch = ScenarioBatch.repeat(base, 5)
    batch.position[:] = rng.uniform(0, 100, batch.position.shape)
    batch.capability[:] = rng.uniform(0.1, 5, batch.capability.shape)
    for name in MODELS + ["status-quo"]:
        m = get_model(name)
        got = m.forecast_batch(batch)
        for d in range(batch.draws):
            want = m.run(batch.scenario(d)).forecast["x"]
            assert got[d, 0] == pytest.approx(want, abs=1e-7, nan_ok=True)
