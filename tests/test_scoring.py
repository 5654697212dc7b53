"""The shared scores: maintained scoring code (scoringrules) cross-checked against our own
formulas, and the interval and bootstrap helpers every backtest reports."""

import math

import numpy as np
import pytest

from realpolitik.analysis.backtest import scoring as sc


def own_crps_samples(x, y):
    """The exact CRPS of an empirical distribution (Gneiting & Raftery 2007, eq. 21)."""
    xs = np.sort(x, axis=1)
    n = xs.shape[1]
    e1 = np.abs(xs - y[:, None]).mean(axis=1)
    coef = (2 * np.arange(1, n + 1) - n - 1) / (n * n)
    return e1 - (xs * coef).sum(axis=1)


def own_brier(p, o):
    return float(((p - o) ** 2).sum(axis=1).mean())


def test_crps_from_scoringrules_equals_our_formula():
    rng = np.random.default_rng(3)
    x = rng.gamma(2.0, 100.0, size=(40, 300))
    y = rng.gamma(2.0, 100.0, size=40)
    np.testing.assert_allclose(sc.crps_samples(x, y), own_crps_samples(x, y), rtol=1e-12, atol=1e-9)
    # a point forecast's CRPS is its absolute error
    assert sc.crps_samples(np.full((1, 10), 300.0), np.array([100.0]))[0] == pytest.approx(200.0)


def test_brier_and_log_score_from_scoringrules_equal_our_formulas():
    rng = np.random.default_rng(4)
    p = rng.dirichlet(np.ones(4), size=200)
    o = np.eye(4)[rng.integers(0, 4, 200)]
    assert sc.brier(p, o) == pytest.approx(own_brier(p, o), rel=1e-12)
    assert sc.brier(np.full((1, 4), 0.25), o[:1]) == pytest.approx(0.75)
    own_log = float(np.mean(np.log(np.maximum((p * o).sum(axis=1), 1e-4))))
    assert sc.log_score(p, o) == pytest.approx(own_log, rel=1e-12)


def test_coverage_and_reliability():
    assert sc.coverage([0, 0, 5], [1, 1, 6], [0.5, 2, 5]) == pytest.approx(2 / 3)
    rows = sc.reliability(np.array([0.05, 0.1, 0.95, 0.9]), np.array([0, 1, 1, 1]), bins=2)
    assert [r["n"] for r in rows] == [2, 2]
    assert rows[0]["observed"] == 0.5 and rows[1]["observed"] == 1.0
    assert rows[0]["observed_low"] < 0.5 < rows[0]["observed_high"]


def test_paired_bootstrap_cancels_what_two_models_share():
    rng = np.random.default_rng(5)
    hard = rng.gamma(1.0, 20.0, 30)  # case difficulty both models share
    a, b = hard + 1.0, hard
    d, lo, hi = sc.paired_bootstrap(a, b)
    assert d == pytest.approx(1.0) and lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    d, lo, hi = sc.paired_bootstrap(hard + rng.normal(0, 1, 30), hard)
    assert lo < d < hi and hi - lo < 2.0
    assert all(math.isnan(v) for v in sc.paired_bootstrap(np.array([]), np.array([])))
