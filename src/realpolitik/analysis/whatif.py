"""What-ifs: change a scenario, rerun the model, compare with the baseline.

A :class:`WhatIf` removes actors, adds actors, sets values (``putin.salience.settlement
= 100``) and applies the scenario's own events - from the start, or rescheduled to a
given round for models that run in rounds and apply events at their round.
:func:`compare` runs the baseline and the what-if with the same seed (common random
numbers for stochastic models) and returns both forecasts side by side.
:func:`leave_one_out` removes each actor in turn and ranks actors by how far the
forecast moves without them: the pivotal actors.

Removing an actor is exactly running the scenario without it
(:meth:`Scenario.without_actor`; ``tests/test_whatif.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import ValidationError

from realpolitik.errors import OptionError, Problem, ScenarioError
from realpolitik.models.base import Model, Result, Table, _jsonable
from realpolitik.scenario.model import Actor, Event, Scenario
from realpolitik.scenario.uncertainty import split_path
from realpolitik.seeds import fresh_seed


@dataclass(frozen=True)
class SetValue:
    """``actor.field[.issue] = value`` (salience on 0-100)."""

    path: str
    value: float

    @property
    def parts(self) -> tuple[str, str, str | None]:
        return split_path(self.path)


@dataclass(frozen=True)
class EventAt:
    """A scenario event (by id or index) applied from the start (``round=None``) or at a round."""

    event: str
    round: int | None = None


@dataclass(frozen=True)
class WhatIf:
    """The changes of one what-if, applied in this order: remove, add, set, events."""

    remove: tuple[str, ...] = ()
    add: tuple[Actor, ...] = ()
    set: tuple[SetValue, ...] = ()
    events: tuple[EventAt, ...] = ()

    def describe(self) -> list[str]:
        out = [f"without {a}" for a in self.remove]
        out += [f"with {a.id}" for a in self.add]
        out += [f"{s.path} = {s.value:g}" for s in self.set]
        out += [f"event {e.event}" + (f" at round {e.round}" if e.round is not None else " from the start") for e in self.events]
        return out

    @property
    def empty(self) -> bool:
        return not (self.remove or self.add or self.set or self.events)


# ------------------------------------------------------------------ parsing (CLI text)
def parse_set(text: str) -> SetValue:
    """``putin.salience.settlement=100`` -> :class:`SetValue` (OptionError when malformed)."""
    path, sep, value = text.partition("=")
    if not sep:
        raise OptionError([Problem(f"set {text}", "expected ACTOR.FIELD[.ISSUE]=VALUE, e.g. putin.salience.settlement=100")])
    try:
        split_path(path.strip())
    except ValueError as exc:
        raise OptionError([Problem(f"set {text}", str(exc))]) from None
    try:
        num = float(value)
    except ValueError:
        raise OptionError([Problem(f"set {text}", f"value {value.strip()!r} is not a number")]) from None
    if not math.isfinite(num):
        raise OptionError([Problem(f"set {text}", "value must be a finite number")])
    return SetValue(path.strip(), num)


def parse_event(text: str) -> EventAt:
    """``ID`` (from the start) or ``ID@ROUND``."""
    name, sep, rnd = text.rpartition("@") if "@" in text else (text, "", "")
    if sep:
        try:
            r = int(rnd)
        except ValueError:
            raise OptionError([Problem(f"events {text}", f"round {rnd!r} is not a whole number")]) from None
        if r < 0:
            raise OptionError([Problem(f"events {text}", "round must be 0 or more")])
        return EventAt(name.strip(), r)
    return EventAt(text.strip(), None)


def parse_actor(text: str, where: str = "add") -> Actor:
    """An actor from inline YAML/JSON (``{id: nato, capability: 50, positions: {...}, saliences: {...}}``)
    or from a YAML/JSON file holding one actor mapping."""
    import os

    import yaml

    from realpolitik.scenario.build import errors_to_problems, simple_locator

    raw: Any
    if os.path.isfile(text):
        with open(text, encoding="utf-8") as fh:
            body = fh.read()
        where = text
    else:
        body = text
    try:
        raw = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise OptionError([Problem(where, f"invalid YAML/JSON for an actor: {exc}")]) from None
    if not isinstance(raw, dict):
        raise OptionError([Problem(where, "expected an actor mapping {id:, capability:, positions: {...}, saliences: {...}}")])
    try:
        return Actor.model_validate(raw)
    except ValidationError as exc:
        raise OptionError(errors_to_problems(exc, simple_locator(where))) from None


# ------------------------------------------------------------------ applying
def _find_event(scenario: Scenario, key: str) -> tuple[int, Event]:
    for k, ev in enumerate(scenario.events):
        if ev.id == key:
            return k, ev
    if key.isdigit() and int(key) < len(scenario.events):
        return int(key), scenario.events[int(key)]
    known = ", ".join(e.id or str(k) for k, e in enumerate(scenario.events)) or "none"
    raise OptionError([Problem(f"events {key}", f"no such event in the scenario (events: {known})")])


def apply_whatif(scenario: Scenario, whatif: WhatIf, model: Model | None = None) -> Scenario:
    """The scenario with the what-if's changes; OptionError naming any change that does not fit.

    An event applied from the start has its changes made to the scenario and is
    dropped from its event list; an event at round ``R`` is rescheduled to ``R``
    (models that run in rounds apply it then; a model without rounds is refused).
    """
    s = scenario
    for aid in whatif.remove:
        if aid not in s.actor_ids:
            raise OptionError([Problem(f"remove {aid}", f"unknown actor (actors: {', '.join(s.actor_ids)})")])
        try:
            s = s.without_actor(aid)
        except ValidationError as exc:
            raise OptionError([Problem(f"remove {aid}", _first(exc))]) from None
    if whatif.add or whatif.set:
        data = s.model_dump()
        data["actors"] = list(data["actors"])
        for actor in whatif.add:
            if actor.id in s.actor_ids:
                raise OptionError([Problem(f"add {actor.id}", "an actor with this id is already in the scenario")])
            data["actors"].append(actor.model_dump())
        by_id = {a["id"]: a for a in data["actors"]}
        issues = {i.id: i for i in s.issues}
        set_paths = set()
        for sv in whatif.set:
            aid, fld, iid = sv.parts
            where = f"set {sv.path}={sv.value:g}"
            a = by_id.get(aid)
            if a is None:
                raise OptionError([Problem(where, f"unknown actor {aid!r} (actors: {', '.join(by_id)})")])
            if iid is not None and iid not in issues:
                raise OptionError([Problem(where, f"unknown issue {iid!r} (issues: {', '.join(issues)})")])
            if fld == "capability":
                if sv.value <= 0:
                    raise OptionError([Problem(where, "capability must be greater than 0")])
                if iid is None:
                    a["capability"] = sv.value
                else:
                    a["capability_by_issue"][iid] = sv.value
            else:
                if fld == "salience" and not 0 <= sv.value <= 100:
                    raise OptionError([Problem(where, "salience must lie in 0-100")])
                if fld == "position" and not issues[iid].min <= sv.value <= issues[iid].max:
                    iss = issues[iid]
                    raise OptionError([Problem(where, f"position lies outside the issue scale {iss.min:g} to {iss.max:g}")])
                a[fld + "s"][iid] = sv.value
            set_paths.add(sv.path)
        # an actor given a position on a new issue needs a salience there (and back)
        for aid, a in by_id.items():
            for iid in set(a["positions"]) ^ set(a["saliences"]):
                have, need = ("position", "salience") if iid in a["positions"] else ("salience", "position")
                raise OptionError(
                    [Problem(f"set {aid}.{have}.{iid}", f"{aid} takes no part in {iid}: also set {aid}.{need}.{iid}")]
                )
        data["uncertainty"] = [u for u in s.uncertainty if u.path not in set_paths]
        try:
            s = Scenario.model_validate(data)
        except ValidationError as exc:
            raise OptionError([Problem("what-if", _first(exc))]) from None
    for ea in whatif.events:
        k, ev = _find_event(s, ea.event)
        others = [e for j, e in enumerate(s.events) if j != k]
        if ea.round is None or ea.round == 0:
            try:
                s = _untie_battles(s.replace(events=others, war=None), s.war, ev.id).apply_event(ev)
            except (ValidationError, ValueError, KeyError) as exc:
                msg = _first(exc) if isinstance(exc, ValidationError) else str(exc)
                raise OptionError([Problem(f"events {ea.event}", f"cannot apply the event: {msg}")]) from None
        else:
            if model is not None and "rounds" not in type(model).Options.model_fields:
                raise OptionError(
                    [
                        Problem(
                            f"events {ea.event}@{ea.round}",
                            f"model {model.name} does not run in rounds; apply the event from the start ({ea.event!r} without a round)",
                        )
                    ]
                )
            moved = ev.model_copy(update={"round": ea.round, "date": None})
            s = s.replace(events=others + [moved])
    return s


def _untie_battles(s: Scenario, war: Any, event_id: str | None) -> Scenario:
    """The war section back on ``s`` with its battles tied to ``event_id`` untied: the event is
    applied from the start, so such a battle happens for certain, at the start unless it has
    a date or month of its own."""
    if war is None:
        return s
    data = war.model_dump()
    for bt in data.get("battles") or []:
        if event_id is not None and bt.get("event") == event_id:
            bt["event"] = None
            if bt.get("date") is None and bt.get("month") is None:
                bt["month"] = 0.0
    return s.replace(war=data)


def _first(exc: ValidationError) -> str:
    errs = exc.errors(include_url=False)
    msg = errs[0].get("msg", "invalid") if errs else str(exc)
    return msg.removeprefix("Value error, ").splitlines()[0]


# ------------------------------------------------------------------ comparing
@dataclass
class Comparison:
    """Baseline and what-if forecasts of one model, side by side."""

    model: str
    label: str
    whatif: WhatIf
    scenario: Scenario
    changed: Scenario
    baseline: Result
    result: Result

    def delta(self) -> dict[str, float]:
        return {
            i: self.result.forecast.get(i, math.nan) - self.baseline.forecast.get(i, math.nan)
            for i in self.scenario.issue_ids
        }

    def table(self) -> Table:
        rows = []
        d = self.delta()
        for iss in self.scenario.issues:
            b = self.baseline.forecast.get(iss.id, math.nan)
            w = self.result.forecast.get(iss.id, math.nan)
            row: list[Any] = [iss.label or iss.id, b, w, d[iss.id]]
            pb, pw = iss.nearest_point(b) if math.isfinite(b) else None, iss.nearest_point(w) if math.isfinite(w) else None
            row.append("" if pb is None or pw is None or pb == pw else f"{pb.label} -> {pw.label}")
            rows.append(row)
        return Table(
            f"What-if ({self.label}): " + "; ".join(self.whatif.describe()),
            ["issue", "baseline", "what-if", "change", "outcome label"],
            rows,
        )

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(
            {
                "analysis": "what-if",
                "model": self.model,
                "changes": self.whatif.describe(),
                "scenario": {"title": self.scenario.title, "hash": self.scenario.content_hash()},
                "whatif_scenario_hash": self.changed.content_hash(),
                "issues": list(self.scenario.issue_ids),
                "baseline": self.baseline.forecast,
                "whatif": self.result.forecast,
                "change": self.delta(),
                "results": {"baseline": self.baseline.to_dict(), "whatif": self.result.to_dict()},
            }
        )


def compare(scenario: Scenario, model: Model, whatif: WhatIf, seed: int | None = None) -> Comparison:
    """Run ``model`` on the scenario and on the what-if (same seed) and compare.

    Without a seed a stochastic model gets a fresh one, used for both runs (common
    random numbers), so the difference is the what-if's, not the dice's.
    """
    seed = _seed(model, seed, scenario)
    changed = apply_whatif(scenario, whatif, model)
    base = model.run(scenario, rng=seed)
    res = model.run(changed, rng=seed)
    return Comparison(model.name, model.label or model.name, whatif, scenario, changed, base, res)


@dataclass
class DistributionComparison:
    """Monte Carlo of the baseline and of the what-if with the same seed and chunks."""

    whatif: WhatIf
    baseline: Any  # MonteCarloResult
    result: Any  # MonteCarloResult

    def table(self) -> Table:
        b, w = self.baseline.summary(), self.result.summary()
        rows = []
        for iss in self.baseline.scenario.issues:
            sb, sw = b[iss.id], w[iss.id]
            rows.append([iss.id, sb["mean"], f"{sb['p10']:.2f} to {sb['p90']:.2f}", sw["mean"],
                         f"{sw['p10']:.2f} to {sw['p90']:.2f}", sw["mean"] - sb["mean"]])  # fmt: skip
        return Table(
            f"What-if under uncertainty ({self.baseline.label}, {self.baseline.n_draws} draws): "
            + "; ".join(self.whatif.describe()),
            ["issue", "baseline mean", "baseline p10-p90", "what-if mean", "what-if p10-p90", "change of mean"],
            rows,
            f"seed {self.baseline.seed}; both runs use the same seed and chunks",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "analysis": "what-if-monte-carlo",
            "changes": self.whatif.describe(),
            "baseline": self.baseline.to_dict(),
            "whatif": self.result.to_dict(),
        }


def compare_distributions(
    scenario: Scenario,
    model: Model,
    whatif: WhatIf,
    draws: int,
    seed: int | None = None,
    spread: float = 0.0,
    engine=None,
    chunk_size: int | None = None,
    progress=None,
) -> DistributionComparison:
    """Monte Carlo of the baseline and of the what-if, same seed and chunk size.

    The draws share their seeds and are paired draw by draw: a value the what-if
    fixes (set, or changed by an event applied from the start) keeps its place in
    the random stream as a point mass (:func:`paired_sampling_scenario`), so every
    other uncertain value takes the same draw in both runs.  Only removing an actor
    that has distributions shifts the streams of the values after it.
    """
    from realpolitik.analysis.montecarlo import simulate
    from realpolitik.engine import default_chunk_size

    if seed is None:
        seed = fresh_seed()
    changed = apply_whatif(scenario, whatif, model)
    if chunk_size is None:
        chunk_size = min(default_chunk_size(model, scenario), default_chunk_size(model, changed))
    kw = dict(draws=draws, seed=seed, spread=spread, engine=engine, chunk_size=chunk_size, progress=progress)
    base = simulate(scenario, model, **kw)
    res = simulate(paired_sampling_scenario(scenario, changed), model, **kw)
    res.scenario, res.uncertain_inputs = changed, len(changed.uncertainty)
    return DistributionComparison(whatif, base, res)


def paired_sampling_scenario(scenario: Scenario, changed: Scenario) -> Scenario:
    """``changed`` with the distributions it lost to fixed values kept as point masses.

    Monte Carlo draws take one uniform per distribution, in the order of
    ``scenario.uncertainty`` (:func:`~realpolitik.scenario.uncertainty.sample_batch`).
    A what-if that sets a value drops that value's distribution; sampling the changed
    scenario as it is would shift every later column of the stream, so the two runs
    would not be paired draw by draw.  Here each dropped distribution of an actor still
    taking part is replaced, in place, by a point mass (uniform from ``v`` to ``v``) at
    the changed scenario's value: the stream keeps its shape and every other value
    takes the same draw as in the baseline.  Use it only for sampling; the what-if's
    own scenario stays as it is.
    """
    from realpolitik.scenario.uncertainty import UncertainValue

    kept = {u.path: u for u in changed.uncertainty}
    actors = {a.id: a for a in changed.actors}
    out: list[UncertainValue] = []
    for u in scenario.uncertainty:
        if u.path in kept:
            out.append(kept.pop(u.path))
            continue
        a = actors.get(u.actor)
        if a is None or (u.issue is not None and u.field != "capability" and u.issue not in a.positions):
            continue  # the actor (or its part in the issue) is gone: nothing to pair
        if u.field == "capability":
            v = a.capability if u.issue is None else a.capability_on(u.issue)
        else:
            v = (a.positions if u.field == "position" else a.saliences)[u.issue]
        out.append(UncertainValue(path=u.path, dist="uniform", low=float(v), high=float(v)))
    out.extend(kept.values())  # distributions only the what-if has, after the paired ones
    if tuple(out) == changed.uncertainty:
        return changed
    return changed.model_copy(update={"uncertainty": tuple(out)})


@dataclass
class LeaveOneOut:
    """Forecasts without each actor in turn, and how far each removal moves them."""

    model: str
    label: str
    scenario: Scenario
    baseline: dict[str, float]
    without: dict[str, dict[str, float]]  # actor -> issue -> forecast
    skipped: dict[str, str] = field(default_factory=dict)  # actor -> reason

    def shift(self) -> dict[str, dict[str, float]]:
        """actor -> issue -> (forecast without the actor) - baseline."""
        return {
            a: {i: f.get(i, math.nan) - self.baseline.get(i, math.nan) for i in self.scenario.issue_ids}
            for a, f in self.without.items()
        }

    def ranking(self) -> list[tuple[str, float]]:
        """Actors by the largest move of any issue's forecast, as a share of its scale (pivotal first)."""
        spans = {i.id: i.span for i in self.scenario.issues}
        out = []
        for a, d in self.shift().items():
            rel = [abs(v) / spans[i] for i, v in d.items() if math.isfinite(v)]
            out.append((a, max(rel) if rel else math.nan))
        out.sort(key=lambda t: -(t[1] if math.isfinite(t[1]) else -1))
        return out

    def flips(self) -> dict[str, list[str]]:
        """actor -> issues whose nearest labelled outcome changes without the actor."""
        out: dict[str, list[str]] = {}
        for a, f in self.without.items():
            for iss in self.scenario.issues:
                b, w = self.baseline.get(iss.id, math.nan), f.get(iss.id, math.nan)
                if not (math.isfinite(b) and math.isfinite(w)) or not iss.points:
                    continue
                if iss.nearest_point(b) != iss.nearest_point(w):
                    out.setdefault(a, []).append(iss.id)
        return out

    def table(self) -> Table:
        sh = self.shift()
        flips = self.flips()
        rows = []
        for a, rel in self.ranking():
            rows.append(
                [a]
                + [sh[a][i] for i in self.scenario.issue_ids]
                + [100.0 * rel if math.isfinite(rel) else math.nan, ", ".join(flips.get(a, []))]
            )
        note = "change = forecast without the actor - baseline; largest share of the scale first"
        if self.skipped:
            note += "; skipped: " + "; ".join(f"{a} ({r})" for a, r in self.skipped.items())
        return Table(
            f"Leave one out ({self.label}): who is pivotal",
            ["actor"] + [f"change {i}" for i in self.scenario.issue_ids] + ["max move % of scale", "outcome flips on"],
            rows,
            note,
        )

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(
            {
                "analysis": "leave-one-out",
                "model": self.model,
                "scenario": {"title": self.scenario.title, "hash": self.scenario.content_hash()},
                "issues": list(self.scenario.issue_ids),
                "baseline": self.baseline,
                "without": self.without,
                "change": self.shift(),
                "ranking": [{"actor": a, "max_move_share_of_scale": v} for a, v in self.ranking()],
                "outcome_flips": self.flips(),
                "skipped": self.skipped,
            }
        )


def leave_one_out(
    scenario: Scenario,
    model: Model,
    seed: int | None = None,
    actors: Iterable[str] | None = None,
    progress=None,
) -> LeaveOneOut:
    """Forecast without each actor (or the given ones), with the same seed as the baseline."""
    seed = _seed(model, seed, scenario)
    base = model.run(scenario, rng=seed).forecast
    without: dict[str, dict[str, float]] = {}
    skipped: dict[str, str] = {}
    for aid in actors or scenario.actor_ids:
        try:
            s = scenario.without_actor(aid)
        except (ValidationError, ScenarioError) as exc:
            skipped[aid] = _first(exc) if isinstance(exc, ValidationError) else str(exc)
            continue
        except KeyError:
            raise OptionError([Problem(f"actors {aid}", "unknown actor")]) from None
        without[aid] = dict(model.run(s, rng=seed).forecast)
        if progress is not None:
            progress(1)
    return LeaveOneOut(model.name, model.label or model.name, scenario, dict(base), without, skipped)


def _seed(model: Model, seed: int | None, scenario: Scenario | None = None) -> int | None:
    if seed is None and model.draws_random_numbers(scenario):
        return fresh_seed()
    return seed


def forecast_vector(result: Result, issues: Sequence[str]) -> np.ndarray:
    return np.array([result.forecast.get(i, np.nan) for i in issues], dtype=float)
