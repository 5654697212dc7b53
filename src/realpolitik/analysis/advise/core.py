"""Advice for one actor: its levers ranked, who is pivotal, how it sees the others.

:func:`advise` answers "what should actor X do to move the outcome toward its
goal, and whom should it persuade?" on any model:

1. **Levers** (:mod:`~realpolitik.analysis.advise.levers`): X's own stated position
   and salience (and capability where allowed) moved by a stated effort, and every
   other actor's position (toward X's goal) and salience moved by the same effort -
   all evaluated in one stacked batch per model under the scenario's input
   uncertainty, paired draw by draw with the baseline.  Each lever's gain toward the
   goal is a distribution over the draws: its mean (with the Monte Carlo standard
   error), 10th-90th percentiles and the probability that it helps or hurts.
   Levers are ranked by expected gain per unit of effort.
2. **Pivotality** per goal issue: Shapley-Shubik and Banzhaf indices of the
   majority game over the weights ``c x s`` (:mod:`~realpolitik.analysis.advise.power`),
   and the leave-one-out effect of :func:`~realpolitik.analysis.whatif.leave_one_out`.
3. **Perception quadrants** of the expected-utility model for X
   (:mod:`~realpolitik.analysis.advise.perception`).

The goal is X's own position on each goal issue (its point value as coded), or a
target value given per issue.  The gain of a change is how much closer the forecast
comes to the goal, ``|F - goal|`` before minus after, as a percentage of the issue's
scale, summed over the goal issues with X's saliences as weights (equal weights when
X does not take part in every goal issue).

Every lever's numbers are reproduced by ``realpolitik whatif --set PATH=VALUE
--draws D --seed S`` with the same model, draws, seed (and chunk size and spread):
the what-if draws are the same draws (``tests/test_advise.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from realpolitik.analysis.advise.levers import Lever, candidate_levers, evaluate, gains, stack
from realpolitik.analysis.advise.perception import Dyad, quadrants
from realpolitik.analysis.advise.power import majority_indices
from realpolitik.errors import OptionError, Problem
from realpolitik.models.base import Model, ScenarioBatch, Table, _jsonable
from realpolitik.scenario.model import Scenario
from realpolitik.seeds import fresh_seed

#: a gain smaller than this (% of scale) counts as no change when telling help from hurt
GAIN_TOLERANCE = 1e-9


@dataclass
class LeverResult:
    """One lever's gain distribution (``gain`` in % of scale, weighted over the goal issues)."""

    lever: Lever
    gain: np.ndarray  # [draws]
    change: dict[str, float]  # issue -> mean change of the forecast (scale units)
    point_gain: float  # at the point values (the draw-free forecast)
    overridden_by: str | None = None  # an event that resets the value in models with rounds

    @property
    def mean(self) -> float:
        g = self.gain[np.isfinite(self.gain)]
        return float(g.mean()) if g.size else math.nan

    @property
    def se(self) -> float:
        g = self.gain[np.isfinite(self.gain)]
        return float(g.std(ddof=1) / math.sqrt(g.size)) if g.size > 1 else 0.0

    def quantiles(self) -> tuple[float, float, float]:
        g = self.gain[np.isfinite(self.gain)]
        if not g.size:
            return (math.nan,) * 3  # type: ignore[return-value]
        p10, p50, p90 = np.percentile(g, [10, 50, 90])
        return float(p10), float(p50), float(p90)

    @property
    def p_helps(self) -> float:
        g = self.gain[np.isfinite(self.gain)]
        return float((g > GAIN_TOLERANCE).mean()) if g.size else math.nan

    @property
    def p_hurts(self) -> float:
        g = self.gain[np.isfinite(self.gain)]
        return float((g < -GAIN_TOLERANCE).mean()) if g.size else math.nan

    @property
    def per_effort(self) -> float:
        return self.mean / self.lever.effort if self.lever.effort > 0 else math.nan

    def to_dict(self) -> dict[str, Any]:
        p10, p50, p90 = self.quantiles()
        lv = self.lever
        return {
            "lever": lv.label, "kind": lv.kind, "actor": lv.actor, "field": lv.field, "issue": lv.issue,
            "path": lv.path, "from": lv.old, "to": lv.new, "effort": lv.effort,
            "gain_mean": self.mean, "gain_se": self.se, "gain_p10": p10, "gain_median": p50, "gain_p90": p90,
            "p_helps": self.p_helps, "p_hurts": self.p_hurts, "gain_per_effort": self.per_effort,
            "point_gain": self.point_gain, "forecast_change": self.change, "overridden_by": self.overridden_by,
            "whatif": lv.whatif_command(),
        }  # fmt: skip


@dataclass
class Pivotality:
    """Who can tip one issue: power indices over c x s and the leave-one-out effect."""

    issue: str
    actors: list[str]
    weight_share: list[float]
    shapley_shubik: list[float]
    banzhaf: list[float]
    shapley_shubik_mean: list[float]  # over the Monte Carlo draws
    banzhaf_mean: list[float]
    leave_one_out: dict[str, float]  # actor -> forecast without it - baseline (point values)

    def to_dict(self) -> dict[str, Any]:
        return {
            "issue": self.issue,
            "actors": [
                {"actor": a, "weight_share": w, "shapley_shubik": ss, "banzhaf": bz, "shapley_shubik_mean": ssm,
                 "banzhaf_mean": bzm, "leave_one_out_change": self.leave_one_out.get(a)}
                for a, w, ss, bz, ssm, bzm in zip(self.actors, self.weight_share, self.shapley_shubik, self.banzhaf,
                                                   self.shapley_shubik_mean, self.banzhaf_mean)
            ],
        }  # fmt: skip


@dataclass
class Advice:
    """Everything :func:`advise` found; ``tables()`` for display, ``to_dict()`` for JSON."""

    actor: str
    model: str
    label: str
    options: dict[str, Any]
    scenario: Scenario
    goal: dict[str, float]
    goal_weights: dict[str, float]
    draws: int
    seed: int
    chunk_size: int
    spread: float
    steps: tuple[float, ...]
    baseline_point: dict[str, float]
    baseline_draws: np.ndarray  # [draws, issue]
    levers: list[LeverResult]  # ranked
    pivotality: list[Pivotality] = field(default_factory=list)
    quadrants: list[Dyad] = field(default_factory=list)
    quadrant_note: str = ""
    elapsed: float | None = None
    #: the SCENARIO argument to repeat in the what-if command (None: the default scenario)
    scenario_arg: str | None = None

    # ------------------------------------------------------------ reading
    @property
    def top(self) -> LeverResult | None:
        return self.levers[0] if self.levers else None

    def whatif_command(self, lever: Lever | None = None) -> str:
        """The command that reproduces a lever's numbers (default: the top lever)."""
        lv = lever or (self.top.lever if self.top else None)
        if lv is None:
            return ""
        parts = ["realpolitik whatif"] + ([_quote(self.scenario_arg)] if self.scenario_arg else []) + [lv.whatif_command()]
        parts.append(f"-m {self.model}")
        parts += [f"-o {k}={v}" for k, v in sorted(self.options.items()) if k in self._changed_options()]
        parts.append(f"--draws {self.draws} --seed {self.seed}")
        if self.spread:
            parts.append(f"--spread {self.spread:g}")
        return " ".join(parts)

    def _changed_options(self) -> set[str]:
        from realpolitik.models import get_model

        default = get_model(self.model).get_options()
        return {k for k, v in self.options.items() if default.get(k) != v}

    def baseline_summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for c, iid in enumerate(self.scenario.issue_ids):
            x = self.baseline_draws[:, c]
            x = x[np.isfinite(x)]
            if not x.size:
                continue
            p10, p90 = np.percentile(x, [10, 90])
            out[iid] = {"point": self.baseline_point.get(iid, math.nan), "mean": float(x.mean()),
                        "p10": float(p10), "p90": float(p90)}  # fmt: skip
        return out

    # ------------------------------------------------------------ display
    def tables(self, top: int = 15, detail: bool = True) -> list[Table]:
        """Display tables; ``detail=False`` drops the wide columns (for an 80-column terminal)."""
        issues = {i.id: i for i in self.scenario.issues}
        summ = self.baseline_summary()
        goal_rows = []
        for iid, g in self.goal.items():
            s = summ.get(iid, {})
            goal_rows.append([iid, g, f"{100.0 * self.goal_weights[iid]:.0f}%", s.get("point"), s.get("mean"),
                              f"{s.get('p10', math.nan):.1f}-{s.get('p90', math.nan):.1f}",
                              abs(s.get("mean", math.nan) - g)])  # fmt: skip
        out = [Table(
            f"Advice for {self.actor} ({self.label}): goal and baseline",
            ["issue", "goal", "weight", "point", "mean", "p10-p90", "off goal"],
            goal_rows,
            f"forecast of the goal issues: point values and {self.draws} draws (seed {self.seed}, "
            f"{len(self.scenario.uncertainty)} uncertain inputs" + (f", spread {self.spread:g}" if self.spread else "")
            + "); weight: the actor's salience share; off goal: mean distance to the goal",
        )]  # fmt: skip
        rows = []
        for k, lr in enumerate(self.levers[:top], start=1):
            p10, _, p90 = lr.quantiles()
            lv = lr.lever
            row: list[Any] = [k, lv.short + (" \u2020" if lr.overridden_by else "")]
            if detail:
                row.append(lv.effort)
            row += [f"{lr.mean:+.2f}\u00b1{lr.se:.2f}", f"{p10:+.1f}..{p90:+.1f}", _pct(lr.p_helps), _pct(lr.p_hurts),
                    lr.per_effort]  # fmt: skip
            if detail:
                row.append(", ".join(f"{i} {v:+.1f}" for i, v in lr.change.items() if abs(v) > 5e-4 * issues[i].span)
                           or "none")  # fmt: skip
                row.append(f"reset by event {lr.overridden_by}" if lr.overridden_by else "")
            rows.append(row)
        idle = sum(1 for lr in self.levers if lr.p_helps == 0 and lr.p_hurts == 0)
        note = ("gain: how much closer the forecast comes to the goal, in % of the scale, weighted over the goal "
                "issues (mean ± Monte Carlo standard error; 10th..90th percentile over the draws); /effort: mean "
                "gain per % of the moved value's range (position: of the scale, salience: points, capability: % of "
                "it); helps/hurts: share of draws; "
                f"{len(self.levers)} levers evaluated, {idle} change nothing")  # fmt: skip
        if any(lr.overridden_by for lr in self.levers[:top]):
            note += "; † an event of the scenario resets this value in models that run in rounds"
        if self.top is not None:
            note += f". Reproduce the top lever: {self.whatif_command()}"
        cols = ["#", "lever"] + (["effort %"] if detail else []) + ["gain", "p10..p90", "helps", "hurts", "/effort"]
        if detail:
            cols += ["forecast change (mean)", "note"]
        out.append(Table(f"Levers of {self.actor}, ranked by expected gain per unit of effort", cols, rows, note))
        for pv in self.pivotality:
            prow = []
            order = np.argsort([-v for v in pv.shapley_shubik], kind="stable")
            for k in order:
                a = pv.actors[k]
                prow.append([a + (" *" if a == self.actor else ""), f"{100 * pv.weight_share[k]:.1f}%",
                             pv.shapley_shubik[k], pv.banzhaf[k], pv.shapley_shubik_mean[k],
                             pv.leave_one_out.get(a, math.nan)])  # fmt: skip
            out.append(Table(
                f"Who is pivotal on {pv.issue}",
                ["actor", "weight", "S-S", "Banzhaf", "S-S draws", "leave out"],
                prow,
                "S-S: Shapley-Shubik index (point values, and mean over the draws); Banzhaf: normalised; "
                "power in the majority game over the models' weights c x s as entered (own capability: a "
                "sub-actor's share is carved out of its parent's; a coalition holding more than half the weight "
                "carries the issue); leave-one-out: the forecast without the actor minus the baseline",
            ))  # fmt: skip
        if self.quadrants:
            qrows = []
            for d in self.quadrants:
                shares = ", ".join(f"{k} {_pct(v)}" for k, v in sorted(d.shares.items(), key=lambda t: -t[1]))
                qrows.append([d.issue, d.other, d.eu_challenge, d.eu_challenged, d.region, shares])
            out.append(Table(
                f"How {self.actor} sees the others (expected-utility perception quadrants)",
                ["issue", "other", "EU chal.", "EU chal.'d", "region", "region over draws"],
                qrows,
                f"EU chal.: {self.actor}'s expected utility of challenging the other, E^i(U_ij); EU chal.'d: what "
                f"{self.actor} believes the other expects from challenging it, E^i(U_ji). " + self.quadrant_note,
            ))  # fmt: skip
        elif self.quadrant_note:
            out.append(Table("Perception quadrants", ["note"], [[self.quadrant_note]]))
        return out

    def to_dict(self) -> dict[str, Any]:
        return _jsonable({
            "analysis": "advise",
            "actor": self.actor,
            "model": self.model,
            "options": self.options,
            "scenario": {"title": self.scenario.title, "hash": self.scenario.content_hash()},
            "goal": self.goal,
            "goal_weights": self.goal_weights,
            "draws": self.draws,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
            "spread": self.spread,
            "steps": list(self.steps),
            "baseline": self.baseline_summary(),
            "levers": [lr.to_dict() for lr in self.levers],
            "pivotality": [p.to_dict() for p in self.pivotality],
            "quadrants": [d.to_dict() for d in self.quadrants],
            "quadrant_note": self.quadrant_note,
            "reproduce": self.whatif_command(),
            "elapsed": self.elapsed,
        })  # fmt: skip


# ------------------------------------------------------------------ entry point
def _goal(scenario: Scenario, actor: str, target: Mapping[str, float] | None,
          issues: Sequence[str] | None) -> tuple[dict[str, float], dict[str, float]]:  # fmt: skip
    a = scenario.actor(actor)
    problems: list[Problem] = []
    known = ", ".join(scenario.issue_ids)
    chosen = list(issues or []) or list(target or {}) or [i for i in scenario.issue_ids if i in a.positions]
    for iid in list(target or {}):
        if iid not in chosen:
            chosen.append(iid)
    goal: dict[str, float] = {}
    for iid in chosen:
        if iid not in scenario.issue_ids:
            problems.append(Problem(f"issues {iid}", f"unknown issue (issues: {known})"))
            continue
        iss = scenario.issue(iid)
        if target and iid in target:
            v = float(target[iid])
            if not (math.isfinite(v) and iss.min <= v <= iss.max):
                problems.append(Problem(f"target {iid}={v:g}", f"target lies outside the issue scale {iss.min:g} to {iss.max:g}"))
                continue
            goal[iid] = v
        elif iid in a.positions:
            goal[iid] = float(a.positions[iid])
        else:
            problems.append(Problem(f"issues {iid}", f"{actor} takes no part in {iid}: give it a target value"))
    if problems:
        raise OptionError(problems)
    if all(i in a.saliences for i in goal) and sum(a.saliences[i] for i in goal) > 0:
        tot = sum(a.saliences[i] for i in goal)
        weights = {i: a.saliences[i] / tot for i in goal}
    else:
        weights = {i: 1.0 / len(goal) for i in goal}
    return goal, weights


def _overridden(scenario: Scenario, lever: Lever, model: Model) -> str | None:
    """The event (and round) that resets the lever's value, in a model that applies events by round."""
    if "rounds" not in type(model).Options.model_fields:
        return None
    for ev in scenario.events:
        if ev.round is None:
            continue
        for ch in ev.changes:
            if ch.actor == lever.actor and ch.field == lever.field and (ch.issue == lever.issue or ch.field == "capability"):
                return f"{ev.id or ev.description[:30]} (round {ev.round})"
    return None


def parse_target(items: Sequence[str] | None) -> dict[str, float]:
    """``["settlement=50", ...]`` -> ``{"settlement": 50.0}`` (OptionError when malformed)."""
    out: dict[str, float] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise OptionError([Problem(f"target {item}", "expected ISSUE=VALUE, e.g. settlement=50")])
        try:
            v = float(value)
        except ValueError:
            raise OptionError([Problem(f"target {item}", f"value {value.strip()!r} is not a number")]) from None
        out[key.strip()] = v
    return out


def advise(
    scenario: Scenario,
    actor: str,
    model: Model | str | None = None,
    target: Mapping[str, float] | None = None,
    issues: Sequence[str] | None = None,
    steps: Sequence[float] = (10.0,),
    capability: bool = False,
    persuade: bool = True,
    draws: int = 200,
    seed: int | None = None,
    spread: float = 0.0,
    chunk_size: int | None = None,
    engine=None,
    pivotality: bool = True,
    perception: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Advice:
    """Rank ``actor``'s levers toward its goal under the scenario's uncertainty.

    Parameters
    ----------
    scenario, actor
        The scenario and the actor to advise (an actor id).
    model
        A model or a model name (default ``expected-utility``).
    target, issues
        The goal: per issue a target value (default: the actor's own position).  The
        goal issues are ``issues``, else the issues with a target, else every issue
        the actor takes part in.
    steps
        Efforts to try, in % of each value's range (position: of the scale;
        salience: points of 0-100; capability: % of the actor's capability).
    capability
        Also try the actor's own capability (off by default: capability is rarely
        the actor's to change).
    persuade
        Also try moving the other actors (persuasion targets).
    draws, seed, spread, chunk_size, engine
        The Monte Carlo draws over the scenario's distributions (as ``simulate``);
        ``seed`` None draws fresh entropy (reported).
    pivotality, perception
        Compute the power indices with leave-one-out, and the expected-utility
        perception quadrants.
    progress
        Called with the number of forecasts finished.
    """
    import time

    from realpolitik.engine import default_chunk_size
    from realpolitik.models import get_model

    start = time.perf_counter()
    if actor not in scenario.actor_ids:
        raise OptionError([Problem(f"actor {actor}", f"unknown actor (actors: {', '.join(scenario.actor_ids)})")])
    m = get_model(model or "expected-utility") if not isinstance(model, Model) else model
    if not isinstance(draws, int) or draws < 1:
        raise OptionError([Problem("draws", f"must be at least 1, got {draws!r}")])
    bad = [s for s in steps if not (isinstance(s, (int, float)) and math.isfinite(s) and 0 < s <= 100)]
    if bad or not steps:
        raise OptionError([Problem("steps", f"each step must be a number in (0, 100], got {bad or 'none'}")])
    if not (isinstance(spread, (int, float)) and math.isfinite(spread) and spread >= 0):
        raise OptionError([Problem("spread", f"must be a number >= 0, got {spread!r}")])
    goal, weights = _goal(scenario, actor, target, issues)
    if seed is None:
        seed = fresh_seed()
    if chunk_size is None:
        chunk_size = default_chunk_size(m, scenario)
    levers = candidate_levers(scenario, actor, goal, tuple(float(s) for s in steps), capability, persuade)
    ev = evaluate(scenario, m, levers, draws, seed, chunk_size, spread, engine, progress=progress)
    iid = list(scenario.issue_ids)
    g = np.array([goal.get(i, np.nan) for i in iid])
    w = np.array([weights.get(i, 0.0) for i in iid])
    spans = np.array([i.span for i in scenario.issues])
    G = gains(ev.forecasts, g, w, spans)  # [levers, draws]
    point = ev.point
    Gp = gains(point[:, None, :], g, w, spans)[:, 0]
    mean_change = np.nanmean(ev.forecasts[1:] - ev.forecasts[:1], axis=1) if levers else np.empty((0, len(iid)))
    results = [
        LeverResult(lv, G[k], {i: float(mean_change[k, c]) for c, i in enumerate(iid)}, float(Gp[k]),
                    _overridden(scenario, lv, m))  # fmt: skip
        for k, lv in enumerate(levers)
    ]
    order = sorted(range(len(results)), key=lambda k: (
        -_finite_or(results[k].per_effort, -math.inf), -_finite_or(results[k].p_helps, 0.0),
        _finite_or(results[k].p_hurts, 1.0), k))  # fmt: skip
    advice = Advice(
        actor=actor, model=m.name, label=m.label or m.name, options=m.get_options(), scenario=scenario,
        goal=goal, goal_weights=weights, draws=draws, seed=int(seed), chunk_size=int(chunk_size),
        spread=float(spread), steps=tuple(float(s) for s in steps),
        baseline_point={i: float(point[0, c]) for c, i in enumerate(iid)}, baseline_draws=ev.forecasts[0],
        levers=[results[k] for k in order],
    )  # fmt: skip
    if pivotality or perception:
        from realpolitik.engine.base import chunk_rng, plan_chunks
        from realpolitik.scenario.uncertainty import sample_batch

        parts = [sample_batch(scenario, c.draws, chunk_rng(c.seed, 0), spread) for c in plan_chunks(draws, seed, chunk_size)]
        batch = stack(scenario, parts)
    if pivotality:
        advice.pivotality = _pivotality(scenario, m, list(goal), batch, seed)
    if perception:
        dyads, advice.quadrant_note = _quadrants(scenario, m, actor, batch)
        advice.quadrants = [d for d in dyads if d.issue in goal]
    advice.elapsed = time.perf_counter() - start
    return advice


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _pct(v: float) -> str:
    return "<1%" if 0 < v < 0.005 else f"{100 * v:.0f}%"


def _finite_or(v: float, default: float) -> float:
    return v if isinstance(v, float) and math.isfinite(v) else default


def _pivotality(scenario: Scenario, model: Model, issues: list[str], batch: ScenarioBatch, seed: int) -> list[Pivotality]:
    from realpolitik.analysis.whatif import leave_one_out

    from realpolitik.scenario.nested import one_level_capability

    loo = leave_one_out(scenario, model, seed=seed)
    shift = loo.shift()
    arr = scenario.arrays()
    # the weights the one-level models use: a sub-actor's capability is a share of its parent's
    own0 = one_level_capability(scenario)
    own = one_level_capability(scenario, batch.capability, batch.position)
    out = []
    for iid in issues:
        c = scenario.issue_ids.index(iid)
        act = arr.active[:, c]
        ids = [a for a, on in zip(scenario.actor_ids, act) if on]
        w0 = own0[act, c] * arr.salience[act, c]
        pt = majority_indices(w0)
        wd = own[:, act, c] * batch.salience[:, act, c]
        dr = majority_indices(wd)
        tot = w0.sum()
        out.append(Pivotality(
            iid, ids, list(w0 / tot if tot > 0 else w0), list(pt.shapley_shubik[0]), list(pt.banzhaf[0]),
            list(dr.shapley_shubik.mean(axis=0)), list(dr.banzhaf.mean(axis=0)),
            {a: shift[a][iid] for a in ids if a in shift},
        ))  # fmt: skip
    return out


def _quadrants(scenario: Scenario, model: Model, actor: str, batch: ScenarioBatch) -> tuple[list[Dyad], str]:
    from realpolitik.models import get_model
    from realpolitik.models.expected_utility import ExpectedUtility

    eu = model if isinstance(model, ExpectedUtility) else get_model("expected-utility")
    note = ("E(U) from the expected-utility model's first round (after the events of rounds 0 and 1), "
            f"preset {eu.options.preset}; regions as in Fig. 6 of Scholz et al. (2011)")  # fmt: skip
    if not isinstance(model, ExpectedUtility):
        note += f"; computed with the expected-utility model (the levers use {model.name})"
    dyads = quadrants(eu, actor, ScenarioBatch.repeat(scenario, 1), batch)
    return dyads, note
