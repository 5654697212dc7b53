"""The arithmetic of the ensemble: weights from out-of-sample errors, conformal intervals.

Pure NumPy/SciPy functions on arrays of errors; the analysis layer
(:mod:`realpolitik.analysis.backtest.ensemble`) feeds them the case library's scores
and the :class:`~realpolitik.models.ensemble.model.Ensemble` model applies what they
computed.

* **Weights.** Stacking (Wolpert 1992; Breiman 1996): the convex weights that
  minimise the mean absolute error of the combined forecast over the calibration
  outcomes, a linear programme (:func:`stack_weights`).  With few outcomes stacking
  over-fits, so :func:`choose_weights` keeps equal weights unless there are at least
  :data:`MIN_OUTCOMES_FOR_STACKING` independent outcomes *and* the stacked weights,
  refitted without each outcome in turn (in 10 folds of outcomes beyond 50), beat equal
  weights on the outcomes left out.
* **Intervals.** Split conformal prediction in its conformalized-quantile form
  (Romano, Patterson & Candes 2019): the base interval is the ensemble's own Monte
  Carlo band; each calibration outcome's score is how far it lies outside that band,
  ``E = max(lo - y, y - hi)`` (negative inside); the interval at level ``1 - a`` is
  the band widened by the ``ceil((n + 1)(1 - a))``-th smallest score
  (:func:`conformal_quantile`).  Under exchangeability of the outcomes it covers a
  new outcome with probability at least ``1 - a``.

Errors and scores are in percent of each issue's scale span, so that cases on
different scales (years, 1-10, 0-100) pool.

References
----------
[Breiman1996] Breiman, L. (1996). Stacked regressions. *Machine Learning* 24, 49-64.
[Romano2019] Romano, Y., Patterson, E. & Candes, E. J. (2019). Conformalized quantile regression.
*NeurIPS* 32.
[Vovk2005] Vovk, V., Gammerman, A. & Shafer, G. (2005). *Algorithmic Learning in a Random
World*. Springer (split conformal prediction).
[Wolpert1992] Wolpert, D. H. (1992). Stacked generalization. *Neural Networks* 5, 241-259.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: fewer independent outcomes than this: equal weights (stacking M weights on fewer
#: than about 3-4 outcomes per free weight fits noise; docs/DECISIONS.md)
MIN_OUTCOMES_FOR_STACKING = 20
#: up to this many outcomes stacking is checked leave-one-outcome-out; beyond, by CV_FOLDS folds
MAX_LOO_OUTCOMES = 50
CV_FOLDS = 10


def group_mean(values: np.ndarray, groups: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Mean of ``values [row, ...]`` within each group (an independent outcome), groups
    in order of first appearance: each independent outcome counts once."""
    order: list[str] = []
    for g in groups:
        if g not in order:
            order.append(g)
    vals = np.asarray(values, dtype=float)
    out = np.stack([vals[[k for k, h in enumerate(groups) if h == g]].mean(axis=0) for g in order])
    return out, order


def stack_weights(errors: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """Convex weights minimising the mean absolute error of ``sum_m w_m e_m``.

    ``errors [row, model]`` are signed errors (forecast - outcome, percent of the
    span); rows of one group (one independent outcome coded in several case files)
    share the group's unit weight.  Solved exactly as a linear programme:
    minimise ``sum_r u_r t_r`` subject to ``-t_r <= e_r . w <= t_r``, ``w >= 0``,
    ``sum w = 1``.
    """
    from scipy.optimize import linprog

    e = np.asarray(errors, dtype=float)
    R, M = e.shape
    counts = {g: sum(1 for h in groups if h == g) for g in groups}
    u = np.array([1.0 / counts[g] for g in groups])
    c = np.concatenate([np.zeros(M), u])
    A = np.block([[e, -np.eye(R)], [-e, -np.eye(R)]])
    b = np.zeros(2 * R)
    A_eq = np.concatenate([np.ones(M), np.zeros(R)])[None, :]
    res = linprog(c, A_ub=A, b_ub=b, A_eq=A_eq, b_eq=[1.0], bounds=[(0, None)] * (M + R), method="highs")
    if not res.success:  # pragma: no cover - the LP is always feasible (any simplex point)
        raise RuntimeError(f"stacking LP failed: {res.message}")
    w = np.maximum(res.x[:M], 0.0)
    return w / w.sum()


def combined_mae(errors: np.ndarray, groups: Sequence[str], weights: np.ndarray) -> float:
    """Mean absolute error (each independent outcome once) of the weighted combination."""
    err = np.abs(np.asarray(errors, dtype=float) @ np.asarray(weights, dtype=float))
    per, _ = group_mean(err, groups)
    return float(per.mean())


def choose_weights(errors: np.ndarray, groups: Sequence[str], models: Sequence[str]) -> dict:
    """Equal or stacked weights, with the reason, from errors ``[row, model]``.

    Stacking is used only with at least :data:`MIN_OUTCOMES_FOR_STACKING` independent
    outcomes and when, refitted without each outcome in turn (leave-one-outcome-out),
    it predicts the outcome left out better than equal weights do.
    """
    e = np.asarray(errors, dtype=float)
    M = len(models)
    equal = np.full(M, 1.0 / M)
    names = list(dict.fromkeys(groups))
    n = len(names)
    stacked = stack_weights(e, groups) if n >= 2 else equal
    out = {
        "stacked_weights": dict(zip(models, stacked.tolist())),
        "independent_outcomes": n,
        "equal_mae": combined_mae(e, groups, equal),
    }
    loo = math.nan
    if n >= 3:
        # leave one outcome out; with many outcomes, 10 folds of outcomes (same estimate, n/10 the LPs)
        fold = {g: (k if n <= MAX_LOO_OUTCOMES else k % CV_FOLDS) for k, g in enumerate(names)}
        abs_err = []
        for f in sorted(set(fold.values())):
            keep = [k for k, h in enumerate(groups) if fold[h] != f]
            w = stack_weights(e[keep], [groups[k] for k in keep])
            for g in (g for g in names if fold[g] == f):
                hold = [k for k, h in enumerate(groups) if h == g]
                abs_err.append(float(np.mean(np.abs(e[hold] @ w))))
        loo = float(np.mean(abs_err))
    out["stacking_loo_mae"] = loo
    if n < MIN_OUTCOMES_FOR_STACKING:
        out.update(rule="equal", weights=dict(zip(models, equal.tolist())),
                   reason=f"equal weights: {n} independent outcomes, too few to fit {M} weights "
                          f"(stacking needs at least {MIN_OUTCOMES_FOR_STACKING})")  # fmt: skip
    elif not loo < out["equal_mae"]:
        out.update(rule="equal", weights=dict(zip(models, equal.tolist())),
                   reason=f"equal weights: stacking did not beat them out of sample "
                          f"(leave-one-outcome-out MAE {loo:.2f} vs {out['equal_mae']:.2f} % of scale)")  # fmt: skip
    else:
        out.update(rule="stacking", weights=dict(zip(models, stacked.tolist())),
                   reason=f"stacking on {n} independent outcomes (leave-one-outcome-out MAE {loo:.2f} "
                          f"vs {out['equal_mae']:.2f} % of scale with equal weights)")  # fmt: skip
    return out


def band_scores(lo: np.ndarray, hi: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Conformity scores ``max(lo - y, y - hi)``: how far each outcome lies outside its band."""
    return np.maximum(np.asarray(lo, float) - y, np.asarray(y, float) - hi)


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ``ceil((n + 1) level)``-th smallest score (+inf when n is too small for ``level``)."""
    s = np.sort(np.asarray(scores, dtype=float))
    k = math.ceil((s.size + 1) * level)
    return float(s[k - 1]) if 1 <= k <= s.size else math.inf
