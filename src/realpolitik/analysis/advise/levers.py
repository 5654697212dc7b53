"""Levers: what one actor can change, and what each change does to the forecast.

A :class:`Lever` is one what-if that sets one value: the actor's own stated
position, salience or capability ("own" levers), or another actor's position or
salience that the actor would have to persuade it to change ("persuade" levers).
Its *effort* is the size of the change as a percentage of the value's range:
position moves in % of the issue's scale, salience moves in points of 0-100,
capability changes in % of the actor's capability.

:func:`evaluate` runs every lever under the scenario's input uncertainty in one
stacked batch per model: the baseline's Monte Carlo draws and, for each lever, the
same draws with the lever applied (paired draw by draw: every other uncertain value
takes the same draw, :func:`~realpolitik.analysis.whatif.paired_sampling_scenario`),
stacked along the draw axis ``[(1 + levers) x draws, actor, issue]`` and sent
through the model's vectorised core.  The draws are exactly those
:func:`~realpolitik.analysis.whatif.compare_distributions` makes for the same
what-if, seed and chunk size, so ``realpolitik whatif --set PATH=VALUE -n DRAWS
--seed SEED`` reproduces every number reported for a lever.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from realpolitik.analysis.whatif import SetValue, WhatIf, apply_whatif, paired_sampling_scenario
from realpolitik.engine import Engine, chunk_rng, get_engine, plan_chunks
from realpolitik.models.base import Model, ScenarioBatch
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.uncertainty import sample_batch

FIELDS = ("position", "salience", "capability")


@dataclass(frozen=True)
class Lever:
    """Set ``actor.field[.issue]`` from ``old`` (its point value) to ``new``."""

    kind: str  # "own" or "persuade"
    actor: str
    field: str  # position, salience, capability
    issue: str | None
    old: float
    new: float
    effort: float  # % of the value's range

    @property
    def path(self) -> str:
        return f"{self.actor}.{self.field}" + (f".{self.issue}" if self.issue is not None else "")

    @property
    def whatif(self) -> WhatIf:
        return WhatIf(set=(SetValue(self.path, self.new),))

    @property
    def label(self) -> str:
        where = f" on {self.issue}" if self.issue is not None else ""
        verb = "" if self.kind == "own" else "persuade "
        return f"{verb}{self.actor}: {self.field}{where} {self.old:g} -> {self.new:g}"

    @property
    def short(self) -> str:
        """``washington salience middle_east 45->35`` (the table's lever column)."""
        where = f" {self.issue}" if self.issue is not None else ""
        return f"{self.actor} {self.field}{where} {self.old:g}->{self.new:g}"

    def whatif_command(self) -> str:
        """The ``--set`` argument that applies this lever with ``realpolitik whatif``."""
        return f"--set {self.path}={self.new:g}"


def _clip(v: float, lo: float, hi: float) -> float:
    return min(max(v, lo), hi)


def candidate_levers(
    scenario: Scenario,
    actor: str,
    goal: dict[str, float],
    steps: Sequence[float] = (10.0,),
    capability: bool = False,
    persuade: bool = True,
) -> list[Lever]:
    """Every lever of ``actor`` on the goal issues, one per step size.

    Own levers: the actor's position on each goal issue up and down by ``step`` % of
    the scale, its salience up and down by ``step`` points, and (when ``capability``)
    its capability up and down by ``step`` %.  Persuasion levers, for every other
    actor taking part in a goal issue: its position up and down by ``step`` % of the
    scale and its salience up and down by ``step`` points.  Both directions are
    tried: which way helps depends on the model (moving an ally further out can pull
    a weighted mean toward the goal; moving it can also break a median coalition).
    Moves are clipped to the valid range; a move that changes nothing is left out,
    and so is a lever equal to one already listed.
    """
    out: list[Lever] = []
    seen: set[tuple[str, float]] = set()
    a = scenario.actor(actor)

    def add(kind: str, who: str, field: str, issue: str | None, old: float, new: float, span: float) -> None:
        if abs(new - old) <= 1e-12 * max(1.0, abs(old)):
            return
        lever = Lever(kind, who, field, issue, float(old), float(new), 100.0 * abs(new - old) / span)
        key = (lever.path, round(lever.new, 12))
        if key not in seen:
            seen.add(key)
            out.append(lever)

    for step in steps:
        for iid in goal:
            iss = scenario.issue(iid)
            d = step / 100.0 * iss.span
            if iid in a.positions:
                x, s = a.positions[iid], a.saliences[iid]
                add("own", actor, "position", iid, x, _clip(x + d, iss.min, iss.max), iss.span)
                add("own", actor, "position", iid, x, _clip(x - d, iss.min, iss.max), iss.span)
                add("own", actor, "salience", iid, s, _clip(s + step, 0.0, 100.0), 100.0)
                add("own", actor, "salience", iid, s, _clip(s - step, 0.0, 100.0), 100.0)
        if capability:
            c = a.capability
            add("own", actor, "capability", None, c, c * (1.0 + step / 100.0), c)
            if step < 100.0:
                add("own", actor, "capability", None, c, c * (1.0 - step / 100.0), c)
    if persuade:
        for step in steps:
            for iid in goal:
                iss = scenario.issue(iid)
                d = step / 100.0 * iss.span
                for b in scenario.actors:
                    if b.id == actor or iid not in b.positions:
                        continue
                    x, s = b.positions[iid], b.saliences[iid]
                    add("persuade", b.id, "position", iid, x, _clip(x + d, iss.min, iss.max), iss.span)
                    add("persuade", b.id, "position", iid, x, _clip(x - d, iss.min, iss.max), iss.span)
                    add("persuade", b.id, "salience", iid, s, _clip(s + step, 0.0, 100.0), 100.0)
                    add("persuade", b.id, "salience", iid, s, _clip(s - step, 0.0, 100.0), 100.0)
    return out


# ------------------------------------------------------------------ evaluation
@dataclass(frozen=True)
class _Task:
    """One slice of the stacked batch (picklable: sent to engine workers)."""

    model: Model
    batch: ScenarioBatch
    seed: np.random.SeedSequence | None


def _run_task(task: _Task) -> np.ndarray:
    rng = chunk_rng(task.seed, 1) if task.seed is not None else None
    out = task.model.forecast_batch(task.batch, rng)
    return np.asarray(out, dtype=float).reshape(task.batch.draws, len(task.batch.base.issues))


def stack(base: Scenario, parts: Sequence[ScenarioBatch]) -> ScenarioBatch:
    """The parts' draws one after another, with their event schedules (drawn where uncertain).

    Every part is a batch of ``base`` or of a what-if that only sets values, so all share
    one schedule layout: their per-draw values and occurrences are concatenated.
    """
    events = None
    if any(p.events is not None for p in parts):
        scheds = [p.schedule() for p in parts]
        events = dataclasses.replace(scheds[0], happens=np.concatenate([e.happens for e in scheds]),
                                     value=np.concatenate([e.value for e in scheds]))  # fmt: skip
    return ScenarioBatch(
        base,
        np.concatenate([p.capability for p in parts]),
        np.concatenate([p.position for p in parts]),
        np.concatenate([p.salience for p in parts]),
        events,
    )


def _slice(batch: ScenarioBatch, lo: int, hi: int) -> ScenarioBatch:
    ev = batch.events.take(slice(lo, hi)) if batch.events is not None else None
    return ScenarioBatch(batch.base, batch.capability[lo:hi], batch.position[lo:hi], batch.salience[lo:hi], ev)


@dataclass
class Evaluation:
    """Forecast draws ``[1 + levers, draws, issue]`` (row 0: the baseline) and point forecasts."""

    forecasts: np.ndarray
    point: np.ndarray  # [1 + levers, issue]: at the point values (no draws)
    seed: int
    chunk_size: int
    spread: float


def evaluate(
    scenario: Scenario,
    model: Model,
    levers: Sequence[Lever],
    draws: int,
    seed: int,
    chunk_size: int,
    spread: float = 0.0,
    engine: Engine | str | None = None,
    slice_draws: int = 4000,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """Forecast draws of the baseline and of every lever, paired draw by draw.

    The baseline's draws are those of :func:`~realpolitik.analysis.montecarlo.simulate`
    with the same ``seed``, ``chunk_size`` and ``spread``; each lever's are those of the
    what-if that applies it (sampled from
    :func:`~realpolitik.analysis.whatif.paired_sampling_scenario`).  A deterministic
    model gets all of them as one stacked batch, cut into slices of about
    ``slice_draws`` draws for the engine and the progress bar; a stochastic model gets
    one batch per lever and chunk, with that chunk's own random stream, so the
    baseline and the lever see the same model randomness (common random numbers).
    ``progress`` is called with the number of draws finished.
    """
    chunks = plan_chunks(draws, seed, chunk_size)
    changed = [apply_whatif(scenario, lv.whatif, model) for lv in levers]
    scens = [scenario] + [paired_sampling_scenario(scenario, c) for c in changed]
    # parts[k][c]: the draws of scenario k in chunk c
    parts = [[sample_batch(s, c.draws, chunk_rng(c.seed, 0), spread) for c in chunks] for s in scens]
    tasks: list[_Task] = []
    if model.draws_random_numbers(scenario):
        tasks = [_Task(model, parts[k][ci], c.seed) for k in range(len(scens)) for ci, c in enumerate(chunks)]
    else:
        whole = stack(scenario, [p for row in parts for p in row])
        step = max(1, int(slice_draws))
        for lo in range(0, whole.draws, step):
            tasks.append(_Task(model, _slice(whole, lo, min(whole.draws, lo + step)), None))
    own = not isinstance(engine, Engine)
    eng = get_engine(engine or "local")
    try:
        cb = (lambda k, r: progress(r.shape[0])) if progress is not None else None
        out = eng.map(_run_task, tasks, cb)
    finally:
        if own:
            eng.close()
    flat = np.concatenate(out, axis=0)
    # the point values (no draws) of the baseline and of every lever, as one more batch
    pts = stack(scenario, [ScenarioBatch.repeat(s, 1) for s in [scenario] + changed])
    point = _run_task(_Task(model, pts, chunks[0].seed if model.draws_random_numbers(scenario) else None))
    return Evaluation(flat.reshape(len(scens), draws, len(scenario.issues)), point, int(seed), int(chunk_size),
                      float(spread))  # fmt: skip


# ------------------------------------------------------------------ gains
def gains(forecasts: np.ndarray, goal: np.ndarray, weights: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Gain toward the goal of every row over row 0, per draw: ``[rows - 1, draws]``.

    Per issue the gain is how much closer the forecast comes to the goal,
    ``|F_base - goal| - |F_lever - goal|``, as a percentage of the issue's scale; the
    total is the weighted sum over the goal issues (``weights`` sum to 1; issues
    outside the goal have weight 0 and goal NaN).
    """
    g = np.where(np.isnan(goal), 0.0, goal)
    dist = np.abs(forecasts - g[None, None, :])
    per_issue = (dist[:1] - dist[1:]) / spans[None, None, :] * 100.0
    per_issue = np.where(weights[None, None, :] > 0, per_issue, 0.0)
    return (per_issue * weights[None, None, :]).sum(axis=-1)
