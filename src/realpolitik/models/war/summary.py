"""What a set of simulated wars says: probabilities by horizon, hazards, terms, duration.

Every number is a Monte Carlo estimate over the draws consistent with the war's
record (:mod:`realpolitik.models.war.setup`); proportions carry 95% Wilson
intervals.  Months count from the forecast origin.  The settlement terms describe
only the wars that end in a negotiated settlement (they are conditional on a deal).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from realpolitik.models.war.simulator import A_VICTORY, B_VICTORY, SETTLED, WarPaths

Z95 = 1.959963984540054

TERMS_NOTE = "terms hold only for wars that end in a negotiated settlement; they say nothing about wars that do not"


def hkey(h: float) -> str:
    return str(int(h)) if float(h).is_integer() else f"{h:g}"


def wilson(k: float, n: int) -> list[float]:
    """95% Wilson score interval for a Monte Carlo proportion."""
    if n <= 0:
        return [math.nan, math.nan]
    ph = k / n
    den = 1 + Z95**2 / n
    c = (ph + Z95**2 / (2 * n)) / den
    half = Z95 * math.sqrt(ph * (1 - ph) / n + Z95**2 / (4 * n * n)) / den
    return [max(0.0, c - half), min(1.0, c + half)]


def hazards(paths: WarPaths, months: np.ndarray, mpb: float) -> dict[str, Any]:
    """Per battle period: wars at risk, P(settlement in the period | no deal and no end
    before it), its monthly equivalent, the military-end hazard, and the cumulative
    probability of settlement.  Period ``t`` runs from months ``months[t-1]`` to
    ``months[t]``; row 0 is the origin itself (a deal at once)."""
    steps = months.size
    end, out = paths.end_step, paths.outcome
    ended = out != 0
    rows = []
    cum = 0
    n = out.size
    for t in range(steps):
        at_risk = int(np.sum(end >= t)) if t else n
        settled = int(np.sum((out == SETTLED) & (end == t)))
        military = int(np.sum(ended & (out != SETTLED) & (end == t)))
        cum += settled
        h = settled / at_risk if at_risk else math.nan
        rows.append({
            "from_month": float(months[t - 1]) if t else float(months[0]),
            "to_month": float(months[t]),
            "at_risk": at_risk,
            "settlement_hazard": h,
            "settlement_hazard_interval": wilson(settled, at_risk),
            "monthly_equivalent": (1.0 - (1.0 - h) ** (1.0 / mpb)) if t and at_risk else (h if at_risk else math.nan),
            "military_end_hazard": military / at_risk if at_risk else math.nan,
            "cumulative_settlement": cum / n,
        })  # fmt: skip
    return {"periods": rows, "months_per_period": mpb}


def summarise(paths: WarPaths, months: np.ndarray, side_ids, orient, horizons, mpb: float) -> dict[str, Any]:
    """Probabilities by horizon with 95% Monte Carlo intervals, hazards, terms, duration.

    ``months[t]`` is the month (from the origin) of forecast step ``t``.
    """
    n = paths.outcome.size
    ended_at = months[paths.end_step]
    ids = side_ids
    out: dict[str, Any] = {
        "settlement_probability": {},
        "settlement_probability_interval": {},
        "war_continues_probability": {},
        "war_continues_probability_interval": {},
        "victory_probability_by_horizon": {ids[0]: {}, ids[1]: {}},
    }
    for h in horizons:
        key = hkey(h)
        by = ended_at <= h + 1e-9
        settled = int(np.sum((paths.outcome == SETTLED) & by))
        va = int(np.sum((paths.outcome == A_VICTORY) & by))
        vb = int(np.sum((paths.outcome == B_VICTORY) & by))
        cont = n - settled - va - vb
        out["settlement_probability"][key] = settled / n
        out["settlement_probability_interval"][key] = wilson(settled, n)
        out["war_continues_probability"][key] = cont / n
        out["war_continues_probability_interval"][key] = wilson(cont, n)
        out["victory_probability_by_horizon"][ids[0]][key] = va / n
        out["victory_probability_by_horizon"][ids[1]][key] = vb / n
    va = int(np.sum(paths.outcome == A_VICTORY))
    vb = int(np.sum(paths.outcome == B_VICTORY))
    st = int(np.sum(paths.outcome == SETTLED))
    out["victory_probability"] = {ids[0]: va / n, ids[1]: vb / n}
    out["victory_probability_interval"] = {ids[0]: wilson(va, n), ids[1]: wilson(vb, n)}
    out["settlement_probability_by_end"] = st / n
    out["war_continues_probability_by_end"] = (n - st - va - vb) / n
    dur = np.maximum(ended_at, 0.0).astype(float)
    out["expected_duration_months"] = float(dur.mean())
    se = float(dur.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    out["expected_duration_interval"] = [float(dur.mean()) - Z95 * se, float(dur.mean()) + Z95 * se]
    out["duration_censored_share"] = float(np.mean(paths.outcome == 0))
    terms = paths.terms[paths.outcome == SETTLED]
    if terms.size:
        scale = orient.to_scale(terms)
        m = float(scale.mean())
        se = float(scale.std(ddof=1) / math.sqrt(scale.size)) if scale.size > 1 else math.nan
        q = np.quantile(scale, [0.05, 0.25, 0.5, 0.75, 0.95])
        out["settlement_terms"] = {
            "mean": m,
            "mean_interval": [m - Z95 * se, m + Z95 * se],
            "quantiles": {"5": q[0], "25": q[1], "50": q[2], "75": q[3], "95": q[4]},
            "share_mean": float(terms.mean()),
            "settled_wars": int(terms.size),
            "conditional_on": "a negotiated settlement within the simulated period",
            "note": TERMS_NOTE,
            # corner solutions (design doc: clipping is reported): share of settlements whose
            # terms a bound moved away from the unconstrained Nash split
            "clipped_share": {
                ids[0]: float(np.mean(paths.clipped[paths.outcome == SETTLED] == 1)),
                ids[1]: float(np.mean(paths.clipped[paths.outcome == SETTLED] == -1)),
            },
        }
    else:
        out["settlement_terms"] = {"mean": math.nan, "settled_wars": 0, "note": TERMS_NOTE}
    steps = months.size
    cum = np.cumsum(np.bincount(paths.end_step[paths.outcome == SETTLED], minlength=steps))[:steps] / n
    ivs = [wilson(c * n, n) for c in cum]
    out["settlement_by_month"] = {
        "months": months.tolist(),
        "probability": cum.tolist(),
        "low": [iv[0] for iv in ivs],
        "high": [iv[1] for iv in ivs],
    }
    out["hazards"] = hazards(paths, months, mpb)
    return out
