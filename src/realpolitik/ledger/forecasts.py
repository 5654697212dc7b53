"""Forecasts of questions: a probability, option probabilities, or a distribution on a scale.

A numeric forecast is a distribution on the question's range, from Monte Carlo draws
(the empirical distribution), from quantiles (a CDF linear between the quantile knots and
reaching 0 and 1 at the ends of the range - the tails are an assumption, stated in
docs/ledger.md) or from a point (all mass at one value).  The same object gives the
probability of a threshold and the mass of an option's range, so binary and
multiple-choice questions can read a distribution too.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Distribution:
    """A forecast distribution on ``[lo, hi]``: ``kind`` is samples, quantiles or point.

    ``knots`` is the CDF as points ``(x, F)`` (x and F non-decreasing; equal x with
    rising F is a jump), built from quantiles or a point; ``samples`` the sorted draws.
    """

    kind: str
    lo: float
    hi: float
    samples: np.ndarray | None = None
    knots: tuple[tuple[float, float], ...] = ()
    notes: tuple[str, ...] = ()

    # ------------------------------------------------------------ construction
    @classmethod
    def from_samples(cls, x: Any, lo: float, hi: float) -> "Distribution":
        arr = np.sort(np.asarray(x, dtype=float).ravel())
        arr = arr[np.isfinite(arr)]
        if arr.size == 0:
            raise ValueError("no finite draws")
        return cls("samples", lo, hi, samples=arr)

    @classmethod
    def from_point(cls, x: float, lo: float, hi: float) -> "Distribution":
        return cls("point", lo, hi, knots=((x, 0.0), (x, 1.0)))

    @classmethod
    def from_quantiles(cls, levels: dict[float, float], lo: float, hi: float) -> "Distribution":
        """Linear CDF through the quantile knots, 0 at ``lo`` and 1 at ``hi``.  Knots that
        break the order (a value below a lower level's) are dropped, and said so."""
        pts = sorted((float(q), float(v)) for q, v in levels.items())
        kept: list[tuple[float, float]] = []
        notes = []
        for q, v in pts:
            if kept and v < kept[-1][1]:
                notes.append(f"quantile {q:g} ({v:.4g}) lies below quantile {kept[-1][0]:g} ({kept[-1][1]:.4g}): dropped")
                continue
            kept.append((q, v))
        knots: list[tuple[float, float]] = [(lo, 0.0)]
        for q, v in kept:
            v = min(max(v, lo), hi)
            knots.append((v, q))
        knots.append((hi, 1.0))
        return cls("quantiles", lo, hi, knots=tuple(knots), notes=tuple(notes))

    # ------------------------------------------------------------ queries
    def cdf(self, x: float, left: bool = False) -> float:
        """F(x) = P(X <= x); ``left``: P(X < x)."""
        if self.samples is not None:
            side = "left" if left else "right"
            return float(np.searchsorted(self.samples, x, side=side)) / self.samples.size
        xs = [k[0] for k in self.knots]
        fs = [k[1] for k in self.knots]
        if left:  # the first knot at or right of x: the foot of a jump there
            j = bisect.bisect_left(xs, x)
            if j == 0:
                return 0.0
            if j == len(xs):
                return 1.0
            x0, x1, f0, f1 = xs[j - 1], xs[j], fs[j - 1], fs[j]
        else:  # the last knot at or left of x: the top of a jump there
            i = bisect.bisect_right(xs, x) - 1
            if i < 0:
                return 0.0
            if i == len(xs) - 1:
                return float(fs[i])
            x0, x1, f0, f1 = xs[i], xs[i + 1], fs[i], fs[i + 1]
        return float(f0 + (f1 - f0) * (x - x0) / (x1 - x0)) if x1 > x0 else float(f1 if left else f0)

    def prob(self, op: str, value: float) -> float:
        """P(X op value) for op in >=, >, <=, <."""
        if op == "<=":
            return self.cdf(value)
        if op == "<":
            return self.cdf(value, left=True)
        if op == ">":
            return 1.0 - self.cdf(value)
        if op == ">=":
            return 1.0 - self.cdf(value, left=True)
        raise ValueError(f"unknown comparison {op!r}")

    def mass(self, low: float, high: float, last: bool = False) -> float:
        """P(low <= X < high) (``last``: ``<= high``)."""
        top = self.cdf(high) if last else self.cdf(high, left=True)
        return max(0.0, top - self.cdf(low, left=True))

    def quantile(self, q: float) -> float:
        if self.samples is not None:
            return float(np.quantile(self.samples, q))
        for (x0, f0), (x1, f1) in zip(self.knots[:-1], self.knots[1:]):
            if f0 <= q <= f1:
                return float(x0 if f1 == f0 else x0 + (x1 - x0) * (q - f0) / (f1 - f0))
        return float(self.knots[-1][0])

    def mean(self) -> float:
        if self.samples is not None:
            return float(self.samples.mean())
        # E[X] = x_first + integral of (1 - F(x)) dx, exact for a piecewise-linear F
        total = self.knots[0][0]
        for (x0, f0), (x1, f1) in zip(self.knots[:-1], self.knots[1:]):
            total += (x1 - x0) * (1 - (f0 + f1) / 2)
        return float(total)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "range": [self.lo, self.hi]}
        if self.samples is not None:
            d["samples"] = [float(v) for v in self.samples]
        else:
            d["cdf"] = [[float(x), float(f)] for x, f in self.knots]
        if self.notes:
            d["notes"] = list(self.notes)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Distribution":
        lo, hi = d["range"]
        if "samples" in d:
            return cls("samples", float(lo), float(hi), samples=np.asarray(d["samples"], dtype=float))
        return cls(d["kind"], float(lo), float(hi), knots=tuple((float(x), float(f)) for x, f in d["cdf"]),
                   notes=tuple(d.get("notes", ())))  # fmt: skip


@dataclass(frozen=True)
class Forecast:
    """A forecast of one question: ``p`` (binary), ``probabilities`` (multiple choice) or
    ``distribution`` (numeric)."""

    type: str
    p: float | None = None
    probabilities: dict[str, float] | None = None
    distribution: Distribution | None = None
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type}
        if self.p is not None:
            d["p"] = float(self.p)
        if self.probabilities is not None:
            d["probabilities"] = {k: float(v) for k, v in self.probabilities.items()}
        if self.distribution is not None:
            dist = self.distribution
            d["distribution"] = dist.to_json()
            d["median"] = dist.quantile(0.5)
            d["interval80"] = [dist.quantile(0.1), dist.quantile(0.9)]
        if self.notes:
            d["notes"] = list(self.notes)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Forecast":
        dist = Distribution.from_json(d["distribution"]) if "distribution" in d else None
        return cls(d["type"], p=d.get("p"), probabilities=d.get("probabilities"), distribution=dist,
                   notes=tuple(d.get("notes", ())))  # fmt: skip

    def headline(self) -> str:
        """One short text: 43.2%, the options' probabilities, or median [10%-90%]."""
        if self.p is not None:
            return f"{100 * self.p:.1f}%"
        if self.probabilities is not None:
            return ", ".join(f"{k} {100 * v:.0f}%" for k, v in self.probabilities.items())
        if self.distribution is not None:
            dist = self.distribution
            if dist.kind == "point":
                return f"{dist.quantile(0.5):.1f} (point)"
            return f"{dist.quantile(0.5):.1f} [{dist.quantile(0.1):.1f}-{dist.quantile(0.9):.1f}]"
        return "-"


def finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
