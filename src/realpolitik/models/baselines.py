"""Baseline models: weighted mean, weighted median, Nash bargaining, status quo.

All four are vectorised over a leading draw axis: ``forecast_arrays`` takes arrays
``[draw, actor, issue]`` and returns ``[draw, issue]``.  Actors that do not take part
in an issue (NaN position) carry no weight there.  Capabilities follow the nested-actor
rule (:mod:`realpolitik.scenario.nested`): a sub-actor's capability is carved out of its
parent's.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from realpolitik.models.base import Model, ScenarioBatch, Table, register
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.nested import one_level_capability


def _weights(capability: np.ndarray, salience: np.ndarray, position: np.ndarray) -> np.ndarray:
    """c * s, zero where the actor is not active (NaN position)."""
    w = capability * salience
    return np.where(np.isnan(position), 0.0, w)


def weighted_mean(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Sum w*x / sum w over the actor axis (-2).  NaN positions are ignored.

    Where every weight on an issue is zero the plain mean of positions is returned;
    where no actor takes part in an issue the result is NaN (no forecast).
    """
    x = np.nan_to_num(position)
    active = ~np.isnan(position)
    wsum = weight.sum(axis=-2)
    plain = np.where(active, x, 0.0).sum(axis=-2) / np.maximum(active.sum(axis=-2), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (weight * x).sum(axis=-2) / wsum
    nobody = active.sum(axis=-2) == 0
    return np.where(nobody, np.nan, np.where(wsum > 0, mean, plain))


def weighted_median(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted median over the actor axis (-2).

    The position at which the cumulative weight (actors sorted by position) first
    reaches half the total.  When the cumulative weight equals exactly half at a
    position (an even split), the median is the midpoint between that position
    and the next one (every point between them ties; docs/DECISIONS.md).
    With linear (distance) preferences this is the Condorcet winner (Black 1948).
    """
    x = np.where(np.isnan(position), np.inf, position)
    w = np.where(np.isnan(position), 0.0, weight)
    zero = w.sum(axis=-2, keepdims=True) <= 0
    w = np.where(zero & ~np.isnan(position), 1.0, w)
    order = np.argsort(x, axis=-2, kind="stable")
    xs = np.take_along_axis(x, order, axis=-2)
    ws = np.take_along_axis(w, order, axis=-2)
    cum = np.cumsum(ws, axis=-2)
    total = cum[..., -1:, :]
    half = total / 2.0
    tol = 1e-12 * np.maximum(total, 1.0)
    k = np.argmax(cum >= half - tol, axis=-2)  # first index reaching half
    xk = np.take_along_axis(xs, k[..., None, :], axis=-2)[..., 0, :]
    ck = np.take_along_axis(cum, k[..., None, :], axis=-2)[..., 0, :]
    exact = np.abs(ck - half[..., 0, :]) <= tol[..., 0, :]
    # the next position held by an actor with positive weight
    idx = np.arange(xs.shape[-2]).reshape((1,) * (xs.ndim - 2) + (-1, 1))
    later = (idx > k[..., None, :]) & (ws > 0)
    xn = np.min(np.where(later, xs, np.inf), axis=-2)
    xn = np.where(np.isfinite(xn), xn, xk)
    median = np.where(exact, (xk + xn) / 2.0, xk)
    return np.where(np.isnan(position).all(axis=-2), np.nan, median)


def nash_bargaining(
    position: np.ndarray,
    weight: np.ndarray,
    scale_min: np.ndarray,
    scale_max: np.ndarray,
    status_quo: np.ndarray,
    utility: str = "quadratic",
    iterations: int = 100,
) -> np.ndarray:
    """Asymmetric Nash bargaining solution per issue.

    Maximises ``sum_i w_i log(u_i(x) - u_i(d))`` over points ``x`` that every
    weighted actor weakly prefers to the disagreement point ``d``, with
    ``u_i(x) = -|x - x_i|^p`` (``p = 2`` quadratic, ``p = 1`` linear) and bargaining
    weights ``w_i = c_i s_i``.  ``d`` is the status quo where given; without one,
    each actor's disagreement utility is that of the scale end farthest from it
    (breakdown is the worst outcome for everyone), so every point is feasible.
    When the status quo lies between actors, no point is better for all and the
    solution is the status quo itself.

    The objective is concave on the feasible interval, so bisection on the sign of its
    derivative (vectorised over draws and issues) finds the maximiser to float precision.
    """
    p = 2.0 if utility == "quadratic" else 1.0
    x = np.nan_to_num(position)
    active = (~np.isnan(position)) & (weight > 0)
    lo_b = np.broadcast_to(scale_min, x.shape[:-2] + x.shape[-1:]).astype(float)
    hi_b = np.broadcast_to(scale_max, x.shape[:-2] + x.shape[-1:]).astype(float)
    sq = np.broadcast_to(status_quo, lo_b.shape)
    has_sq = ~np.isnan(sq)
    # disagreement distance per actor: |x_i - sq| or distance to the far end
    far = np.maximum(np.abs(x - lo_b[..., None, :]), np.abs(hi_b[..., None, :] - x))
    dist_d = np.where(has_sq[..., None, :], np.abs(x - np.nan_to_num(sq)[..., None, :]), far)
    # feasible interval: within dist_d of every active actor's ideal
    big = np.inf
    lo = np.max(np.where(active, x - dist_d, -big), axis=-2)
    hi = np.min(np.where(active, x + dist_d, big), axis=-2)
    lo = np.maximum(lo, lo_b)
    hi = np.minimum(hi, hi_b)
    degenerate = hi - lo <= 1e-12 * np.maximum(1.0, hi_b - lo_b)
    ud = dist_d**p

    def slope(pt: np.ndarray) -> np.ndarray:
        """d/dx sum_i w_i log(u_i(x) - u_i(d)): non-increasing (the objective is concave)."""
        diff = x - pt[..., None, :]  # x_i - x
        dist = np.abs(diff)
        gain = ud - dist**p
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(active, weight * p * dist ** (p - 1.0) * np.sign(diff) / gain, 0.0)
            return term.sum(axis=-2)  # NaN only where the interval is degenerate (not used)

    # bisection on the sign of the slope: the maximiser to float precision (at a kink of
    # the linear form the slope changes sign, and bisection finds the kink)
    a, b = lo.copy(), np.where(degenerate, lo, hi)
    for _ in range(iterations):
        mid = (a + b) / 2.0
        sl = slope(mid)
        a = np.where(sl >= 0, mid, a)
        b = np.where(sl <= 0, mid, b)
    sol = (a + b) / 2.0
    fallback = np.where(has_sq, np.nan_to_num(sq), weighted_mean(position, weight))
    return np.where(degenerate, np.where(has_sq, sq, lo), np.where(np.isfinite(sol), sol, fallback))


class _BaselineModel(Model):
    """A one-shot model with a vectorised core: :meth:`forecast_arrays` over a draw axis."""

    vectorised = True

    @abstractmethod
    def forecast_arrays(self, capability, position, salience, scenario: Scenario) -> np.ndarray:
        """Forecasts ``[draw, issue]`` from arrays ``[draw, actor, issue]``."""

    def forecast_batch(self, batch: ScenarioBatch, rng=None) -> np.ndarray:
        cap = one_level_capability(batch.base, batch.capability, batch.position)  # nested actors: one rule
        return self.forecast_arrays(cap, batch.position, batch.salience, batch.base)

    def _run(self, scenario: Scenario, rng):
        a = scenario.arrays()
        cap = one_level_capability(scenario)  # a sub-actor's capability is a share of its parent's
        fc = self.forecast_arrays(cap[None], a.position[None], a.salience[None], scenario)[0]
        w = _weights(cap, a.salience, a.position)
        total = w.sum(axis=0)
        share = np.where(total > 0, w / np.where(total > 0, total, 1.0), 0.0)
        details = {
            "weights": {
                iid: {aid: float(share[r, c]) for r, aid in enumerate(a.actors) if a.active[r, c]}
                for c, iid in enumerate(a.issues)
            }
        }
        details.update(self.extra_details(scenario, fc))
        return self.make_result(scenario, dict(zip(a.issues, fc.tolist())), details=details)

    def extra_details(self, scenario: Scenario, forecast: np.ndarray) -> dict:
        return {}

    def describe(self, result, scenario):
        w = result.details.get("weights", {})
        rows = []
        for iid, shares in w.items():
            top = sorted(shares.items(), key=lambda kv: -kv[1])[:3]
            rows.append([iid, ", ".join(f"{k} {v:.0%}" for k, v in top)])
        return [Table(f"{self.label}: largest weights (c x s)", ["issue", "actors"], rows)] if rows else []


@register
class WeightedMean(_BaselineModel):
    """The compromise model: per issue, ``sum c s x / sum c s``.

    References
    ----------
    [Achen2006] Achen, C. H. (2006). Evaluating political decision-making models. In Thomson
    et al. (eds.), *The European Union Decides*, ch. 10 (the "compromise model",
    eq. 10.1: the capability-and-salience-weighted mean of positions).
    """

    name = "weighted-mean"
    label = "Weighted mean (compromise)"

    def forecast_arrays(self, capability, position, salience, scenario):
        return weighted_mean(position, _weights(capability, salience, position))

    def describe(self, result, scenario):
        return []


@register
class WeightedMedian(_BaselineModel):
    """The weighted median: the position of the median voter, weights ``c * s``.

    With single-peaked, symmetric (distance-based) preferences and votes weighted
    by ``c * s``, the weighted median is the Condorcet winner.

    References
    ----------
    [Black1948] Black, D. (1948). On the rationale of group decision-making. *Journal of
    Political Economy* 56(1), 23-34 (the median voter theorem).
    [BDM1994] Bueno de Mesquita, B. (1994). Political forecasting: an expected utility
    method. In *European Community Decision Making*, p. 79 (median as the forecast
    before bargaining).
    """

    name = "weighted-median"
    label = "Weighted median (median voter)"

    def forecast_arrays(self, capability, position, salience, scenario):
        return weighted_median(position, _weights(capability, salience, position))

    def describe(self, result, scenario):
        return []


class NashOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    utility: Literal["quadratic", "linear"] = Field(
        "quadratic", description="u_i(x) = -|x - x_i|^2 (quadratic) or -|x - x_i| (linear)"
    )


@register
class NashBargaining(_BaselineModel):
    """Asymmetric Nash bargaining solution with the status quo as disagreement point.

    ``argmax_x prod_i (u_i(x) - u_i(d))^(c_i s_i)`` with ``u_i(x) = -|x - x_i|^p``
    (p = 2 by default, option ``utility``), ``d`` the issue's status quo; without a
    status quo, each actor's disagreement value is its worst point on the scale.
    See :func:`nash_bargaining`.

    References
    ----------
    [Nash1950] Nash, J. (1950). The bargaining problem. *Econometrica* 18(2), 155-162.
    [Kalai1977] Kalai, E. (1977). Nonsymmetric Nash solutions and replications of 2-person
    bargaining. *Int. J. Game Theory* 6, 129-133 (the weighted form).
    [Achen2006] Achen, C. H. (2006), in *The European Union Decides*, ch. 10 (the NBS with the
    reference point as disagreement point, weights = capability x salience).
    """

    name = "nash"
    label = "Nash bargaining"
    Options = NashOptions

    def forecast_arrays(self, capability, position, salience, scenario):
        a = scenario.arrays()
        return nash_bargaining(
            position,
            _weights(capability, salience, position),
            a.scale_min,
            a.scale_max,
            a.status_quo,
            utility=self.options.utility,
        )

    def extra_details(self, scenario, forecast):
        return {
            "disagreement_point": {
                i.id: (i.status_quo if i.status_quo is not None else "worst point on the scale per actor")
                for i in scenario.issues
            },
            "utility": self.options.utility,
        }


@register
class StatusQuo(_BaselineModel):
    """The status quo (reference point) as the forecast: nothing changes.

    Issues without a status quo get no forecast (NaN; ``null`` in JSON).

    References
    ----------
    [Thomson2006] Thomson, R. et al. (2006). *The European Union Decides*, ch. 10 (the reference
    point as the naive forecast).
    """

    name = "status-quo"
    label = "Status quo"

    def forecast_arrays(self, capability, position, salience, scenario):
        sq = scenario.arrays().status_quo
        return np.broadcast_to(sq, position.shape[:-2] + sq.shape).copy()

    def extra_details(self, scenario, forecast):
        missing = [i.id for i in scenario.issues if i.status_quo is None]
        return {"no_status_quo": missing} if missing else {}

    def describe(self, result, scenario):
        return []
