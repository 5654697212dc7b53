"""Scores of resolved questions: Brier, log score, CRPS, their time averages and baselines.

Conventions (docs/ledger.md says the same):

- **Brier score**: the sum over the outcome classes of ``(p_k - o_k)^2`` (Brier 1950's
  original form, as Good Judgment Open and our backtests use it): 0 best, 2 worst; a
  binary question has the two classes yes and no, so a 50 % forecast scores 0.5.
- **Log score**: the natural log of the probability given to what happened (0 best,
  higher is better), floored at :data:`LOG_FLOOR` so that a forecast of 0 for what then
  happens scores ``log(1e-4) = -9.21`` instead of minus infinity.
- **CRPS** (numeric questions): ``integral (F(x) - 1{x >= y})^2 dx`` in the units of the
  question's scale, 0 best (Gneiting & Raftery 2007, eq. 20).  Monte Carlo draws are
  scored by ``scoringrules.crps_ensemble`` (the exact CRPS of the empirical
  distribution); a CDF from quantiles - linear between knots - in closed form
  (:func:`crps_piecewise_linear`); both are cross-checked in tests/test_ledger_scoring.py.
- **Time average**: each model's forecast stands from the moment it was sealed until its
  next one; the score is averaged over the question's open period (open time to close,
  or to the resolution if it came early) in continuous time, as Metaculus does.  Before a
  model's first forecast the baseline's forecast stands in for it, so a late forecast
  earns no credit for the time it missed (Metaculus's coverage rule; Good Judgment Open
  instead leaves those days out); the share of the period a model covered is reported.

References
----------
[Brier1950] Brier, G. W. (1950). Verification of forecasts expressed in terms of probability.
*Monthly Weather Review* 78(1), 1-3.
[Gneiting2007] Gneiting, T. & Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and
estimation. *JASA* 102(477), 359-378.
[Good1952] Good, I. J. (1952). Rational decisions. *JRSS B* 14(1), 107-114 (the log score).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from realpolitik.ledger.forecasts import Distribution, Forecast

LOG_FLOOR = 1e-4


# ------------------------------------------------------------------ proper scores
def class_probabilities(fc: Forecast, labels: Sequence[str]) -> np.ndarray:
    """The forecast as probabilities of the classes (binary: [yes, no])."""
    if fc.p is not None:
        return np.array([fc.p, 1.0 - fc.p])
    assert fc.probabilities is not None
    return np.array([fc.probabilities.get(k, 0.0) for k in labels])


def _onehot(n: int, k: int) -> np.ndarray:
    o = np.zeros((1, n))
    o[0, k] = 1.0
    return o


def brier(p: np.ndarray, k: int) -> float:
    """Brier score of class probabilities ``p`` when class ``k`` happened (the backtests'
    :func:`~realpolitik.analysis.backtest.scoring.brier`, from ``scoringrules``)."""
    from realpolitik.analysis.backtest.scoring import brier as mean_brier

    return mean_brier(np.asarray(p, dtype=float)[None, :], _onehot(len(p), k))


def log_score(p: np.ndarray, k: int, floor: float = LOG_FLOOR) -> float:
    """log of the probability of the class that happened, floored (the backtests'
    :func:`~realpolitik.analysis.backtest.scoring.log_score`, from ``scoringrules``)."""
    from realpolitik.analysis.backtest.scoring import log_score as mean_log

    return mean_log(np.asarray(p, dtype=float)[None, :], _onehot(len(p), k), floor=floor)


def crps_piecewise_linear(knots: Sequence[tuple[float, float]], y: float) -> float:
    """Exact CRPS of a CDF that is linear between ``knots`` ``(x, F)`` (jumps where x
    repeats), 0 left of the first knot and 1 right of the last, at the observation ``y``.

    On a segment of width ``w`` where F runs linearly from ``a`` to ``b``,
    ``integral F^2 = w (a^2 + ab + b^2) / 3``; right of ``y`` the integrand is ``(1 - F)^2``.
    """
    total = 0.0
    x_first, x_last = knots[0][0], knots[-1][0]
    total += max(0.0, x_first - y)  # left of the first knot F = 0; (0 - 1)^2 where x >= y
    total += max(0.0, y - x_last)  # right of the last knot F = 1; (1 - 0)^2 where x < y

    def part(w: float, a: float, b: float) -> float:
        return w * (a * a + a * b + b * b) / 3.0

    for (x0, f0), (x1, f1) in zip(knots[:-1], knots[1:]):
        w = x1 - x0
        if w <= 0:
            continue
        if y >= x1:
            total += part(w, f0, f1)
        elif y <= x0:
            total += part(w, 1 - f0, 1 - f1)
        else:
            fy = f0 + (f1 - f0) * (y - x0) / w
            total += part(y - x0, f0, fy) + part(x1 - y, 1 - fy, 1 - f1)
    return float(total)


def crps(dist: Distribution, y: float) -> float:
    """CRPS of a forecast distribution at ``y`` (units of the scale)."""
    if dist.samples is not None:
        import scoringrules as sr

        return float(sr.crps_ensemble(float(y), dist.samples, estimator="qd"))  # = the energy form, O(n log n)
    return crps_piecewise_linear(dist.knots, float(y))


def score(fc: Forecast, outcome: Any, labels: Sequence[str] = ()) -> dict[str, float]:
    """The scores of one forecast: ``brier`` and ``log`` (binary: outcome True/False;
    multiple choice: the option label), or ``crps`` (numeric: the value)."""
    if fc.type == "numeric":
        assert fc.distribution is not None
        return {"crps": crps(fc.distribution, float(outcome))}
    if fc.type == "binary":
        p, k = class_probabilities(fc, ()), (0 if outcome else 1)
    else:
        p, k = class_probabilities(fc, labels), list(labels).index(outcome)
    return {"brier": brier(p, k), "log": log_score(p, k)}


# ------------------------------------------------------------------ baselines
def uniform_forecast(qtype: str, labels: Sequence[str] = (), lo: float = 0.0, hi: float = 1.0) -> Forecast:
    """1/2, 1/k for each option, or the uniform distribution on the range."""
    if qtype == "binary":
        return Forecast("binary", p=0.5)
    if qtype == "multiple_choice":
        return Forecast("multiple_choice", probabilities={k: 1.0 / len(labels) for k in labels})
    return Forecast("numeric", distribution=Distribution("uniform", lo, hi, knots=((lo, 0.0), (hi, 1.0))))


# ------------------------------------------------------------------ time average
def time_average(
    forecasts: Sequence[tuple[dt.datetime, float]],
    open_time: dt.datetime,
    close_time: dt.datetime,
    baseline: float,
) -> tuple[float, float]:
    """Average of a step function of scores over ``[open_time, close_time]``.

    ``forecasts`` are ``(sealed at, score)`` in time order; each stands until the next;
    before the first the ``baseline`` score stands.  Returns ``(average, coverage)``,
    coverage being the share of the period a forecast of the model stood.  A period of
    length zero gives the last forecast's score.
    """
    span = (close_time - open_time).total_seconds()
    pts = [(max(t, open_time), s) for t, s in forecasts if t <= close_time]
    if not pts:
        return baseline, 0.0
    if span <= 0:
        return pts[-1][1], 1.0
    total = 0.0
    covered = 0.0
    first = (pts[0][0] - open_time).total_seconds()
    total += baseline * first
    for k, (t, s) in enumerate(pts):
        end = pts[k + 1][0] if k + 1 < len(pts) else close_time
        seconds = max(0.0, (end - t).total_seconds())
        total += s * seconds
        covered += seconds
    return total / span, covered / span


# ------------------------------------------------------------------ reliability
def reliability(p: Sequence[float], o: Sequence[float], bins: int = 5) -> list[dict[str, Any]]:
    """Reliability diagram data: the backtests' :func:`~realpolitik.analysis.backtest.scoring.reliability`
    (per equal-width bin: n, mean forecast, observed frequency with a 90 % Wilson interval)."""
    from realpolitik.analysis.backtest.scoring import reliability as rel

    return rel(np.asarray(p, dtype=float), np.asarray(o, dtype=float), bins=bins)
