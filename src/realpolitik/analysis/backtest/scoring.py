"""Scores shared by every backtest: seeded splits, CRPS, Brier, calibration bins,
summaries over repeated splits.

Every backtest module (:mod:`~realpolitik.analysis.backtest.cases`,
:mod:`~realpolitik.analysis.backtest.deu`, :mod:`~realpolitik.analysis.backtest.wars`,
:mod:`~realpolitik.analysis.backtest.crises`) scores with these functions, so that one
score means one thing everywhere.

References
----------
[Brier1950] Brier, G. W. (1950). Verification of forecasts expressed in terms of probability.
*Monthly Weather Review* 78(1), 1-3.
[Efron1993] Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
[Gneiting2007] Gneiting, T. & Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and
estimation. *JASA* 102(477), 359-378 (CRPS, eq. 21).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from realpolitik.errors import OptionError, Problem
from realpolitik.models.base import Table

#: the seed of every backtest unless ``--seed`` is given (docs/backtests.md)
from realpolitik.seeds import DEFAULT_SEED  # noqa: E402  (the one default seed)
#: share of units held out by :func:`split` unless ``--test-fraction`` is given
TEST_FRACTION = 0.3


def split(n: int, seed: int, test_fraction: float = TEST_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of ``n`` units: a permutation by ``default_rng(seed)``; the first
    ``round(test_fraction * n)`` are the test units.  Returns sorted (train, test) indices."""
    if not 0 < test_fraction < 1:
        raise OptionError([Problem("test_fraction", f"must lie strictly between 0 and 1, got {test_fraction}")])
    perm = np.random.default_rng(seed).permutation(n)
    k = int(round(test_fraction * n))
    if k < 1 or k >= n:
        raise OptionError([Problem("test_fraction", f"leaves no training or no test units ({n} units)")])
    return np.sort(perm[k:]), np.sort(perm[:k])


def crps_cdf(cdf: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """CRPS of CDFs ``[unit, time]`` on the unit-step grid ``t`` at observations ``y``."""
    step = (t[None, :] >= y[:, None]).astype(float)
    return ((cdf - step) ** 2).sum(axis=1) * float(t[1] - t[0])


def crps_samples(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Exact CRPS of sample forecasts ``x [unit, draw]`` at observations ``y``
    (Gneiting & Raftery 2007, eq. 21), by ``scoringrules.crps_ensemble`` (the
    energy form; cross-checked against our own formula in tests/test_scoring.py)."""
    import scoringrules as sr

    return np.asarray(sr.crps_ensemble(np.asarray(y, float), np.asarray(x, float), estimator="nrg"), dtype=float)


def calibration_table(p: np.ndarray, o: np.ndarray, bins: Sequence[float] = (0.0, 1 / 3, 2 / 3, 1.0)) -> list[dict[str, Any]]:
    rows = []
    for lo, hi in zip(bins[:-1], bins[1:]):
        sel = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        rows.append(
            {
                "bin": f"{lo:.2f}-{hi:.2f}",
                "n": int(sel.sum()),
                "mean_predicted": float(p[sel].mean()) if sel.any() else None,
                "observed": float(o[sel].mean()) if sel.any() else None,
            }
        )
    return rows


def brier(p: np.ndarray, o: np.ndarray) -> float:
    """Mean multi-class Brier score ``sum_k (p_k - o_k)^2`` (0 best, 2 worst): the sum over
    the classes of ``scoringrules.brier_score`` (cross-checked in tests/test_scoring.py)."""
    import scoringrules as sr

    return float(np.asarray(sr.brier_score(np.asarray(o, float), np.asarray(p, float))).sum(axis=1).mean())


def log_score(p: np.ndarray, o: np.ndarray, floor: float = 1e-4) -> float:
    """Mean log score ``log p(observed class)`` (higher is better; 0 best), probabilities
    floored at ``floor``: ``-scoringrules.log_score`` of the observed class."""
    import scoringrules as sr

    pk = np.maximum((np.asarray(p, float) * np.asarray(o, float)).sum(axis=1), floor)
    return float(-np.asarray(sr.log_score(np.ones_like(pk), pk)).mean())


def reliability(p: np.ndarray, o: np.ndarray, bins: int = 5) -> list[dict[str, Any]]:
    """Reliability diagram data for probabilities of one event: per equal-width bin of the
    forecast probability, n, the mean forecast and the observed frequency, with a 90 %
    Wilson interval of the frequency (so an empty or thin bin reads as such)."""
    p = np.asarray(p, float).ravel()
    o = np.asarray(o, float).ravel()
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        sel = (p >= lo) & ((p < hi) if k < bins - 1 else (p <= hi))
        n = int(sel.sum())
        row: dict[str, Any] = {"bin": f"{lo:.1f}-{hi:.1f}", "n": n, "mean_predicted": None, "observed": None,
                               "observed_low": None, "observed_high": None}  # fmt: skip
        if n:
            f = float(o[sel].mean())
            z = 1.6448536269514722
            c = (f + z * z / (2 * n)) / (1 + z * z / n)
            h = z * math.sqrt(f * (1 - f) / n + z * z / (4 * n * n)) / (1 + z * z / n)
            row.update(mean_predicted=float(p[sel].mean()), observed=f, observed_low=max(0.0, c - h),
                       observed_high=min(1.0, c + h))  # fmt: skip
        rows.append(row)
    return rows


# ------------------------------------------------------------------ repeated splits
def repeat_summary(per_split: list[dict[str, dict[str, float]]], lower_is_better: dict[str, bool]) -> dict[str, dict[str, Any]]:
    """Mean, sd and number of splits won per model and metric over repeated splits.

    ``per_split`` holds, for each split, ``{model: {metric: value}}``.
    """
    models = sorted({m for s in per_split for m in s})
    out: dict[str, dict[str, Any]] = {}
    for m in models:
        out[m] = {}
        for metric, low in lower_is_better.items():
            vals = np.array([s[m][metric] for s in per_split if m in s])
            wins = sum(
                1 for s in per_split
                if m in s and s[m][metric] == (min if low else max)(v[metric] for v in s.values())
            )  # fmt: skip
            out[m][metric] = {"mean": float(vals.mean()), "sd": float(vals.std(ddof=1)) if vals.size > 1 else 0.0, "wins": wins}
    return out


def repeat_table(summary: dict[str, dict[str, Any]], metrics: dict[str, str], title: str, key: str) -> Table:
    rows = []
    for m, d in sorted(summary.items(), key=lambda kv: kv[1][key]["mean"]):
        rows.append([m] + [f"{d[k]['mean']:.3f} ± {d[k]['sd']:.3f} ({d[k]['wins']})" if abs(d[k]["mean"]) < 10
                           else f"{d[k]['mean']:.1f} ± {d[k]['sd']:.1f} ({d[k]['wins']})" for k in metrics])  # fmt: skip
    return Table(title, ["model", *metrics.values()], rows, "mean ± sd over the splits (splits won)")


def paired_bootstrap(a: np.ndarray, b: np.ndarray, draws: int = 4000, seed: int = DEFAULT_SEED,
                     level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``a - b`` and its percentile bootstrap interval, units resampled in pairs.

    ``a`` and ``b`` are two models' errors on the same independent units (outcomes,
    wars, crises); resampling the units keeps each unit's pair together, so what two
    models share (a hard case) cancels (Efron & Tibshirani 1993, ch. 13).
    """
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if d.size == 0:
        return math.nan, math.nan, math.nan
    idx = np.random.default_rng(seed).integers(0, d.size, size=(draws, d.size))
    means = d[idx].mean(axis=1)
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [tail, 1.0 - tail])
    return float(d.mean()), float(lo), float(hi)


def coverage(lo: np.ndarray, hi: np.ndarray, y: np.ndarray) -> float:
    """Share of outcomes ``y`` inside ``[lo, hi]`` (NaN bounds are left out)."""
    lo, hi, y = (np.asarray(v, dtype=float) for v in (lo, hi, y))
    ok = np.isfinite(lo) & np.isfinite(hi)
    return float(((lo[ok] <= y[ok]) & (y[ok] <= hi[ok])).mean()) if ok.any() else math.nan
