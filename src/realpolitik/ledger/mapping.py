"""From a model's Result JSON to a forecast of a question, by the question's rules.

Paths are dot-separated keys into the Result JSON (``details.settlement_probability.12``);
an integer selects a list element (negative counts from the end), ``*`` maps over a
list, and ``{issue}``, ``{issue_index}`` and ``{actor_index:ID}`` are filled in from the
question's issue and the result's ``issues`` and ``actors`` lists.  A rule applies to a
model when its ``models`` name it (or ``*``) and its paths are all present; the first
rule that applies gives the forecast.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from realpolitik.ledger.forecasts import Distribution, Forecast, finite
from realpolitik.ledger.questions import Question, Rule, default_distribution

#: days in a month on average (months between dates, as the war layer counts them)
DAYS_PER_MONTH = 365.25 / 12


class Missing(Exception):
    """A path is not in the result (the rule does not apply to it)."""


class Unanswerable(Exception):
    """The rule applies, but its numbers cannot answer the question (said in one line)."""


@dataclass(frozen=True)
class Context:
    """What a path may refer to besides the result: the question's issue and close, the
    scenario's ``as_of``."""

    issue: str | None = None
    as_of: dt.date | None = None


_PLACE = re.compile(r"\{(issue|issue_index|actor_index:[^}]+)\}")


def fill(path: str, result: dict[str, Any], ctx: Context) -> str:
    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key == "issue":
            if ctx.issue is None:
                raise Missing("{issue}: the question has no issue")
            return ctx.issue
        if key == "issue_index":
            issues = result.get("issues") or []
            if ctx.issue not in issues:
                raise Missing(f"issue {ctx.issue!r} is not among the result's issues")
            return str(issues.index(ctx.issue))
        actor = key.split(":", 1)[1]
        actors = result.get("actors") or []
        if actor not in actors:
            raise Missing(f"actor {actor!r} is not among the result's actors")
        return str(actors.index(actor))

    return _PLACE.sub(sub, path)


def lookup(doc: Any, path: str) -> Any:
    """The value at a filled path; :class:`Missing` naming the first absent part."""
    cur = doc
    parts = path.split(".")
    for k, part in enumerate(parts):
        if part == "*":
            if not isinstance(cur, (list, tuple, np.ndarray)):
                raise Missing(f"{'.'.join(parts[:k]) or 'result'} is not a list")
            rest = ".".join(parts[k + 1 :])
            return [lookup(item, rest) if rest else item for item in cur]
        if isinstance(cur, dict):
            if part not in cur:
                raise Missing(f"{'.'.join(parts[: k + 1])} is not in the result")
            cur = cur[part]
        elif isinstance(cur, (list, tuple, np.ndarray)):
            try:
                cur = cur[int(part)]
            except (ValueError, IndexError):
                raise Missing(f"{'.'.join(parts[: k + 1])} is not in the result") from None
        else:
            raise Missing(f"{'.'.join(parts[: k + 1])} is not in the result")
    return cur


def get(result: dict[str, Any], path: str, ctx: Context) -> Any:
    return lookup(result, fill(path, result, ctx))


def _number(v: Any, path: str) -> float:
    if not finite(v):
        raise Missing(f"{path} is {v!r}, not a finite number")
    return float(v)


def _date(v: Any) -> dt.date | None:
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v[:10])
        except ValueError:
            return None
    return None


def months_between(a: dt.date, b: dt.datetime) -> float:
    """Months from date ``a`` to the day of ``b`` (whole days / 30.4375)."""
    return (b.date() - a).days / DAYS_PER_MONTH


# ------------------------------------------------------------------ sources
def distribution_of(rule: Rule, q: Question, result: dict[str, Any], ctx: Context) -> tuple[Distribution, str]:
    """The issue's forecast distribution from the first source present; and which it was."""
    assert q.scaling is not None or q.type != "numeric"
    lo, hi = _range(q, result, ctx)
    sources = default_distribution() if rule.distribution == "default" else list(rule.distribution or [])
    misses = []
    for src in sources:
        kind, spec = next(iter(src.items()))
        try:
            if kind == "samples":
                vals = np.asarray(get(result, spec, ctx), dtype=float)
                if vals.size == 0 or not np.isfinite(vals).any():
                    raise Missing(f"{spec}: no finite draws")
                return Distribution.from_samples(vals, lo, hi), f"{vals.size} draws {fill(spec, result, ctx)}"
            if kind == "quantiles":
                levels = {float(lvl): _number(get(result, path, ctx), path) for lvl, path in spec.items()}
                paths = [fill(p, result, ctx) for p in spec.values()]
                common = os.path.commonprefix(paths)
                common = common[: common.rfind(".") + 1] if "." in common else ""
                what = f"quantiles {'/'.join(spec)} of {common}" + "{" + ", ".join(p[len(common):] for p in paths) + "}"
                return Distribution.from_quantiles(levels, lo, hi), what
            value = _number(get(result, spec, ctx), spec)
            return Distribution.from_point(value, lo, hi), f"point {fill(spec, result, ctx)} = {value:.4g}"
        except Missing as exc:
            misses.append(str(exc))
    raise Missing("; ".join(misses) or "no distribution source")


def _range(q: Question, result: dict[str, Any], ctx: Context) -> tuple[float, float]:
    if q.scaling is not None:
        return q.scaling.range_min, q.scaling.range_max
    if q.options and all(o.range for o in q.options):
        return min(o.range[0] for o in q.options), max(o.range[1] for o in q.options)  # type: ignore[index]
    return -math.inf, math.inf


def evaluate(rule: Rule, q: Question, result: dict[str, Any], ctx: Context) -> tuple[Forecast, str]:
    """The forecast one rule reads from a result, and a line saying what it read."""
    if rule.probability is not None:
        p = _number(get(result, rule.probability, ctx), rule.probability)
        return Forecast("binary", p=p), f"probability {rule.probability}"
    if rule.curve is not None:
        return _curve(rule, q, result, ctx)
    if rule.probabilities is not None:
        probs = {label: _number(get(result, path, ctx), path) for label, path in rule.probabilities.items()}
        return Forecast("multiple_choice", probabilities=probs), "probabilities " + ", ".join(rule.probabilities.values())
    dist, what = distribution_of(rule, q, result, ctx)
    notes = dist.notes
    if dist.kind == "point":
        notes = (*notes, "a point forecast: all its probability sits on one value")
    if q.type == "numeric":
        return Forecast("numeric", distribution=dist, notes=notes), what
    if q.type == "binary":
        th = rule.threshold
        assert th is not None
        return Forecast("binary", p=dist.prob(th.op, th.value), notes=notes), f"P({ctx.issue} {th.op} {th.value:g}) of {what}"
    opts = q.options or []
    probs = {o.label: dist.mass(o.range[0], o.range[1], last=(k == len(opts) - 1))  # type: ignore[index]
             for k, o in enumerate(opts)}  # fmt: skip
    return Forecast("multiple_choice", probabilities=probs, notes=notes), f"option ranges of {what}"


def _curve(rule: Rule, q: Question, result: dict[str, Any], ctx: Context) -> tuple[Forecast, str]:
    c = rule.curve
    assert c is not None
    xs = np.asarray([_number(v, c.x) for v in get(result, c.x, ctx)], dtype=float)
    ys = np.asarray([_number(v, c.y) for v in get(result, c.y, ctx)], dtype=float)
    if xs.size == 0 or xs.size != ys.size or np.any(np.diff(xs) < 0):
        raise Missing(f"{c.x} and {c.y} are not a curve (same length, ascending months)")
    origin, where = None, None
    for path in c.origin:
        try:
            origin, where = _date(get(result, path, ctx)), path
        except Missing:
            continue
        if origin is not None:
            break
    if origin is None:
        origin, where = ctx.as_of, "the scenario's as_of"
    if origin is None:
        raise Missing("no origin date: neither " + ", ".join(c.origin) + " nor the scenario's as_of")
    m = months_between(origin, q.close)
    if m < xs[0] - 1e-9 or m > xs[-1] + 1e-9:
        raise Unanswerable(f"the question closes {m:.1f} months after the origin {origin} ({where}); the curve "
                           f"{c.y} covers {xs[0]:g}-{xs[-1]:g} months")  # fmt: skip
    p = float(np.interp(m, xs, ys))
    return Forecast("binary", p=p), f"{c.y} at {m:.2f} months after {origin} ({where})"


def answer(q: Question, model: str, results: Any, ctx: Context) -> tuple[Forecast, int, str]:
    """The forecast of the first rule that applies to ``model`` and finds its paths in its
    result; ``(forecast, rule index, what was read)``.  ``results`` is one Result JSON, or
    a function giving the result of a run kind (``single``, ``monte-carlo``) when first
    asked.  Raises :class:`Missing` (no rule applies; each reason given) or
    :class:`Unanswerable`."""
    misses = []
    for k, rule in enumerate(q.rules()):
        if not rule.applies_to(model):
            continue
        try:
            result = results(rule.run) if callable(results) else results
            fc, what = evaluate(rule, q, result, ctx)
        except Missing as exc:
            misses.append(f"rule {k}: {exc}")
            continue
        return fc, k, what
    raise Missing("; ".join(misses) if misses else f"no mapping rule of the question reads {model!r}")
