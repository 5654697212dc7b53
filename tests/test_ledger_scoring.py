"""Ledger scores (issue 14): Brier, log, CRPS against closed forms; time averages; distributions."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
import scoringrules as sr

from realpolitik.ledger.forecasts import Distribution, Forecast
from realpolitik.ledger.scoring import brier, crps, crps_piecewise_linear, log_score, score, time_average, uniform_forecast


def test_brier_and_log_are_the_closed_forms():
    for p in (0.0, 0.1, 0.5, 0.93, 1.0):
        for yes in (True, False):
            s = score(Forecast("binary", p=p), yes)
            o = 1.0 if yes else 0.0
            assert s["brier"] == pytest.approx((p - o) ** 2 + ((1 - p) - (1 - o)) ** 2, abs=1e-15)
            assert s["log"] == pytest.approx(math.log(max(p if yes else 1 - p, 1e-4)), abs=1e-12)
    probs = np.array([0.2, 0.5, 0.3])
    assert brier(probs, 1) == pytest.approx(0.2**2 + 0.5**2 + 0.3**2, abs=1e-15)
    assert log_score(probs, 2) == pytest.approx(math.log(0.3), abs=1e-12)
    mc = Forecast("multiple_choice", probabilities={"a": 0.2, "b": 0.5, "c": 0.3})
    assert score(mc, "b", ["a", "b", "c"]) == pytest.approx({"brier": 0.38, "log": math.log(0.5)})


def test_crps_of_draws_is_the_pairwise_closed_form():
    rng = np.random.default_rng(1)
    x = rng.normal(50, 10, size=301)
    for y in (20.0, 50.0, 71.3):
        exact = np.abs(x - y).mean() - 0.5 * np.abs(x[:, None] - x[None, :]).mean()
        assert crps(Distribution.from_samples(x, 0, 100), y) == pytest.approx(exact, rel=1e-12)


def test_crps_of_a_point_is_the_absolute_error():
    for y in (0.0, 33.0, 60.0, 100.0):
        assert crps(Distribution.from_point(60.0, 0, 100), y) == pytest.approx(abs(60 - y), abs=1e-12)


def test_crps_of_uniform_matches_scoringrules_and_closed_form():
    # CRPS of U(a, b) at y in [a, b]: (b - a)/3 - (y - a)(b - y)/(b - a)  (Gneiting & Raftery 2007)
    d = uniform_forecast("numeric", lo=0.0, hi=100.0).distribution
    for y in (0.0, 10.0, 50.0, 99.0):
        closed = 100 / 3 - y * (100 - y) / 100
        assert crps(d, y) == pytest.approx(closed, abs=1e-12)
        assert crps(d, y) == pytest.approx(float(sr.crps_uniform(y, 0.0, 100.0)), abs=1e-9)


def test_crps_of_quantile_cdf_matches_a_fine_ensemble():
    """The closed form for a CDF linear between knots against scoringrules on 20000 mid-quantiles."""
    d = Distribution.from_quantiles({0.1: 30.0, 0.25: 40.0, 0.5: 48.0, 0.75: 60.0, 0.9: 75.0}, 0.0, 100.0)
    n = 20000
    levels = (np.arange(n) + 0.5) / n
    draws = np.interp(levels, [f for _, f in d.knots], [x for x, _ in d.knots])  # the quantile function
    assert draws[n // 2] == pytest.approx(d.quantile(levels[n // 2]))
    for y in (5.0, 45.0, 60.0, 95.0):
        approx = float(sr.crps_ensemble(y, draws, estimator="qd"))  # = the energy form, O(n log n)
        assert crps(d, y) == pytest.approx(approx, abs=2e-3)


def test_crps_with_jumps_and_outside_the_knots():
    knots = ((40.0, 0.0), (40.0, 0.5), (60.0, 1.0))
    # F = 0 left of 40, jumps to .5, rises linearly to 1 at 60; y = 30: integral of (F - 1)^2 over x >= 30
    want = 10.0 + 20.0 * (0.25 + 0.5 * 0.0 + 0.0) / 3
    assert crps_piecewise_linear(knots, 30.0) == pytest.approx(want, abs=1e-12)
    assert crps_piecewise_linear(knots, 70.0) == pytest.approx(20.0 * (0.25 + 0.5 + 1.0) / 3 + 10.0, abs=1e-12)


def test_distribution_probabilities():
    d = Distribution.from_quantiles({0.1: 20.0, 0.5: 50.0, 0.9: 80.0}, 0.0, 100.0)
    assert d.prob(">=", 50) == pytest.approx(0.5)
    assert d.prob("<", 20) == pytest.approx(0.1)
    assert d.mass(20, 80) == pytest.approx(0.8)
    p = Distribution.from_point(60.0, 0, 100)
    assert (p.prob(">=", 60), p.prob(">", 60), p.prob("<=", 60), p.prob("<", 60)) == (1.0, 0.0, 1.0, 0.0)
    s = Distribution.from_samples([10, 20, 60, 60, 90], 0, 100)
    assert s.prob(">=", 60) == pytest.approx(0.6) and s.mass(0, 60) == pytest.approx(0.4)
    bad = Distribution.from_quantiles({0.25: 40.0, 0.5: 30.0, 0.75: 60.0}, 0, 100)  # 0.5 below 0.25: dropped
    assert len(bad.notes) == 1 and bad.quantile(0.5) == pytest.approx(50.0)


def test_time_average_is_the_step_integral():
    t0 = dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)
    day = dt.timedelta(days=1)
    # baseline 0.5 for 2 days, then 0.2 for 3 days, then 0.1 for 5 days (10-day period)
    avg, cov = time_average([(t0 + 2 * day, 0.2), (t0 + 5 * day, 0.1)], t0, t0 + 10 * day, 0.5)
    assert avg == pytest.approx((2 * 0.5 + 3 * 0.2 + 5 * 0.1) / 10)
    assert cov == pytest.approx(0.8)
    # a forecast before the open counts from the open; one after the close is left out
    avg, cov = time_average([(t0 - day, 0.3), (t0 + 11 * day, 0.0)], t0, t0 + 10 * day, 0.5)
    assert (avg, cov) == (pytest.approx(0.3), pytest.approx(1.0))
    assert time_average([], t0, t0 + day, 0.5) == (0.5, 0.0)
