"""The ensemble's calibration from backtest scores, and its leave-one-outcome-out scores.

``component scores (point + Monte Carlo draws) -> weights (equal or stacking) -> the
ensemble's Monte Carlo band per outcome -> conformal widenings``
(:mod:`realpolitik.models.ensemble.combine` holds the arithmetic).

* :func:`fit_calibration` computes a calibration from the scores of a backtest (the
  shipped one: the whole case library, ``realpolitik ensemble calibrate``).
* :func:`loo_scores` scores the ensemble so that its own evidence never grades it: for
  every independent outcome, the weights and widenings are refitted on the *other*
  outcomes and the ensemble forecast for the outcome left out is scored.

Components are the models with a point forecast on every calibration outcome (a model
without out-of-sample evidence cannot earn a weight); models that learn from the case
library themselves (the ensemble) and models answering another question (the war
layer) are never components.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from realpolitik.analysis.backtest.cases import Case, CaseScore
from realpolitik.models.ensemble.combine import band_scores, choose_weights, conformal_quantile, group_mean
from realpolitik.models.ensemble.model import BAND_QUANTILES, LEVELS, Ensemble

#: models that are never components: the war layer forecasts the terms of a war that
#: ends in a deal, not where an issue ends up
NOT_COMPONENTS = ("war",)
ENSEMBLE = Ensemble.name


@dataclass
class _Row:
    case: str
    issue: str
    group: str
    outcome: float
    span: float
    lo: float  # scale bounds
    hi: float


def _learner_names() -> set[str]:
    from realpolitik.models import available_models

    return {n for n, cls in available_models().items() if getattr(cls, "learns_from_cases", False)}


def _tables(scores: Sequence[CaseScore], cases: Sequence[Case]):
    """Rows (one per case and issue), point forecasts and Monte Carlo draws per model."""
    scale = {(c.name, o.issue): (c.scenario.issue(o.issue).min, c.scenario.issue(o.issue).max)
             for c in cases for o in c.outcomes}  # fmt: skip
    rows: dict[tuple[str, str], _Row] = {}
    point: dict[str, dict[tuple[str, str], float]] = {}
    draws: dict[str, dict[tuple[str, str], np.ndarray]] = {}
    for s in scores:
        key = (s.case, s.issue)
        if key not in rows:
            lo, hi = scale[key]
            rows[key] = _Row(s.case, s.issue, s.group or f"{s.case}/{s.issue}", s.outcome, s.span, lo, hi)
        if s.variant == "point":
            point.setdefault(s.model, {})[key] = s.forecast
        elif s.draws is not None:
            draws.setdefault(s.model, {})[key] = np.asarray(s.draws, dtype=float)
    return list(rows.values()), point, draws


def components(scores: Sequence[CaseScore], cases: Sequence[Case]) -> list[str]:
    """Models with a finite point forecast on every outcome row, sorted by name."""
    rows, point, _ = _tables(scores, cases)
    skip = _learner_names() | set(NOT_COMPONENTS)
    return sorted(m for m, f in point.items() if m not in skip
                  and all(math.isfinite(f.get((r.case, r.issue), math.nan)) for r in rows))  # fmt: skip


def _ensemble_draws(models: list[str], w: np.ndarray, rows: list[_Row], point, draws) -> list[np.ndarray | None]:
    out = []
    for r in rows:
        key = (r.case, r.issue)
        if all(key in draws.get(m, {}) for m in models):
            F = np.stack([draws[m][key] for m in models], axis=-1)
            out.append(Ensemble.combine(F, w))
        else:
            out.append(None)
    return out


def _band(x: np.ndarray | None, point: float, level: int) -> tuple[float, float]:
    if x is None or not np.isfinite(x).any():
        return point, point
    lo, hi = np.nanquantile(x, BAND_QUANTILES[level])
    return float(lo), float(hi)


def _fit(models: list[str], rows: list[_Row], point, draws) -> dict[str, Any]:
    """Weights and widenings from the given rows (the training outcomes)."""
    groups = [r.group for r in rows]
    E = np.array([[100.0 * (point[m][(r.case, r.issue)] - r.outcome) / r.span for m in models] for r in rows])
    choice = choose_weights(E, groups, models)
    w = np.array([choice["weights"][m] for m in models])
    P = np.array([[point[m][(r.case, r.issue)] for m in models] for r in rows])
    ens_point = Ensemble.combine(P, w)
    ens_draws = _ensemble_draws(models, w, rows, point, draws)
    widening: dict[str, float] = {}
    scores: dict[str, list[float]] = {}
    for level in LEVELS:
        bands = np.array([_band(x, p, level) for x, p in zip(ens_draws, ens_point)])
        y = np.array([r.outcome for r in rows])
        span = np.array([r.span for r in rows])
        sc = 100.0 * band_scores(bands[:, 0], bands[:, 1], y) / span
        per, _ = group_mean(sc, groups)
        scores[str(level)] = per.tolist()
        widening[str(level)] = conformal_quantile(per, level / 100.0)
    return {"choice": choice, "weights": w, "widening": widening, "scores": scores}


def fit_calibration(scores: Sequence[CaseScore], cases: Sequence[Case], source: str, spread: float,
                    draws: int, seed: int) -> dict[str, Any]:  # fmt: skip
    """The ensemble calibration from a backtest's scores (JSON-ready, for ``Ensemble(calibration=...)``)."""
    from realpolitik.errors import ScenarioError

    models = components(scores, cases)
    if not models:
        raise ScenarioError("no model forecasts every outcome: nothing to combine", source)
    rows, point, mc = _tables(scores, cases)
    fit = _fit(models, rows, point, mc)
    bad = [lv for lv, q in fit["widening"].items() if not math.isfinite(q)]
    if bad:
        n = len({r.group for r in rows})
        raise ScenarioError(
            f"{n} independent outcome(s) are too few for a {max(int(b) for b in bad)}% conformal interval "
            f"(at least {math.ceil(1 / (1 - max(int(b) for b in bad) / 100)) - 1} are needed)", source)  # fmt: skip
    ch = fit["choice"]
    return {
        "weights": {m: float(w) for m, w in zip(models, fit["weights"])},
        "weight_rule": ch["rule"],
        "weight_reason": ch["reason"],
        "widening": fit["widening"],
        "spread": spread,
        "source": source,
        "draws": draws,
        "seed": seed,
        "independent_outcomes": ch["independent_outcomes"],
        "outcomes": sorted({r.group for r in rows}),
        "stacked_weights": ch["stacked_weights"],
        "equal_weights_mae": ch["equal_mae"],
        "stacking_loo_mae": None if not math.isfinite(ch["stacking_loo_mae"]) else ch["stacking_loo_mae"],
        "conformity_scores": fit["scores"],
        "units": "widening and scores in percent of each issue's scale span",
    }


def loo_scores(scores: Sequence[CaseScore], cases: Sequence[Case]) -> list[CaseScore]:
    """The ensemble scored leave-one-outcome-out: refitted without each independent outcome.

    Returns one ``point`` row per case and issue (model ``ensemble``) whose 80 % and
    50 % bounds are the conformal intervals of the refitted ensemble.
    """
    models = components(scores, cases)
    rows, point, mc = _tables(scores, cases)
    out = []
    for g in dict.fromkeys(r.group for r in rows):
        train = [r for r in rows if r.group != g]
        test = [r for r in rows if r.group == g]
        if not models or not train:
            for r in test:
                out.append(CaseScore(r.case, r.issue, ENSEMBLE, "point", r.outcome, r.span, group=r.group,
                                     interval="conformal", note="not applicable: nothing to combine"))  # fmt: skip
            continue
        fit = _fit(models, train, point, mc)
        w = fit["weights"]
        P = np.array([[point[m][(r.case, r.issue)] for m in models] for r in test])
        ens_point = Ensemble.combine(P, w)
        ens_draws = _ensemble_draws(models, w, test, point, mc)
        for r, p, x in zip(test, ens_point, ens_draws):
            iv = {}
            for level in LEVELS:
                lo, hi = _band(x, p, level)
                q = fit["widening"][str(level)] * r.span / 100.0
                iv[level] = (max(r.lo, lo - q), min(r.hi, hi + q))
            out.append(CaseScore(
                r.case, r.issue, ENSEMBLE, "point", r.outcome, r.span, forecast=float(p),
                p10=iv[80][0], p90=iv[80][1], p25=iv[50][0], p75=iv[50][1], group=r.group, interval="conformal",
                note=f"weights and widenings fitted without {g}",
            ))  # fmt: skip
    return out
