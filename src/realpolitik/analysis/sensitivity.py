"""Sensitivity: which inputs the forecast hinges on (Sobol, Morris, tornado).

``sample -> evaluate -> analyze`` with SALib: the chosen inputs (default: every
salience and every capability) get a range each; SALib draws an input matrix
``X [run, input]``; every row becomes one scenario of a batch and goes through the
model's vectorised core (on any engine, in seeded chunks); SALib's estimators give
per issue

* Sobol: first-order ``S1`` and total ``ST`` indices (Saltelli's scheme with
  Sobol' sequences, ``calc_second_order=False``);
* Morris: the elementary-effects screening ``mu*`` and ``sigma``.

The tornado is one-at-a-time: the forecast with each input at the low and at the
high end of its range, the others at their point values; inputs sorted by swing.

Input ranges: a value with a distribution in the scenario uses its support (normal:
mean +- 2 sd, within the valid range); any other value uses ``point +- spread x
range`` (positions: the issue's span; saliences: 100; capabilities: the capability
itself), cut to the valid range.

References
----------
Sobol', I. M. (2001). Global sensitivity indices for nonlinear mathematical models
and their Monte Carlo estimates. *Mathematics and Computers in Simulation* 55, 271-280.
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output.
*Computer Physics Communications* 181, 259-270 (the estimators of S1 and ST, Table 2).
Morris, M. D. (1991). Factorial sampling plans for preliminary computational
experiments. *Technometrics* 33(2), 161-174.
Campolongo, F., Cariboni, J. & Saltelli, A. (2007). An effective screening design for
sensitivity analysis of large models. *Environmental Modelling & Software* 22,
1509-1518 (``mu*``).
Herman, J. & Usher, W. (2017). SALib: an open-source Python library for sensitivity
analysis. *Journal of Open Source Software* 2(9), 97.
"""

from __future__ import annotations

import fnmatch
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from realpolitik.engine.base import DEFAULT_CHUNK_SIZE, Chunk, Engine, chunk_rng, default_chunk_size, get_engine, plan_chunks
from realpolitik.errors import OptionError, Problem
from realpolitik.models.base import Model, Result, ScenarioBatch, Table
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.uncertainty import split_path

Method = Literal["sobol", "morris"]
DEFAULT_INPUTS = ("*.salience.*", "*.capability")


@dataclass(frozen=True)
class Factor:
    """One input: its path, its point value and the range it is varied over."""

    path: str
    base: float
    low: float
    high: float


def input_paths(scenario: Scenario) -> list[str]:
    """Every actor value of the scenario as a path (capabilities, then positions, saliences)."""
    paths = []
    for a in scenario.actors:
        paths.append(f"{a.id}.capability")
        for iid in scenario.issue_ids:
            if iid in a.capability_by_issue:
                paths.append(f"{a.id}.capability.{iid}")
    for fld in ("position", "salience"):
        for a in scenario.actors:
            for iid in scenario.issue_ids:
                if iid in a.positions:
                    paths.append(f"{a.id}.{fld}.{iid}")
    return paths


def _point(scenario: Scenario, path: str) -> float:
    aid, fld, iid = split_path(path)
    a = scenario.actor(aid)
    if fld == "capability":
        return a.capability if iid is None else a.capability_on(iid)
    return (a.positions if fld == "position" else a.saliences)[iid]


def select_factors(scenario: Scenario, inputs: Sequence[str] | None = None, spread: float = 0.2) -> tuple[list[Factor], list[str]]:
    """The factors the patterns pick (``fnmatch`` over :func:`input_paths`) and their ranges.

    Returns ``(factors, dropped)``; ``dropped`` names inputs whose range is empty
    (e.g. a distribution with zero width).  OptionError when a pattern matches nothing.
    """
    if not (math.isfinite(spread) and spread > 0):
        raise OptionError([Problem("--spread", f"must be a number > 0, got {spread!r}")])
    allp = input_paths(scenario)
    patterns = list(inputs) if inputs else list(DEFAULT_INPUTS)
    chosen: list[str] = []
    for pat in patterns:
        if pat.strip().lower() == "uncertain":  # every value that has a distribution
            hits = [u.path for u in scenario.uncertainty]
            if not hits:
                raise OptionError([Problem("--input uncertain", "the scenario gives no value as a distribution")])
        else:
            hits = [p for p in allp if fnmatch.fnmatchcase(p, pat)]
        if not hits:
            raise OptionError(
                [Problem(f"--input {pat}", "matches no input (inputs look like putin.salience.settlement, putin.capability; wildcards allowed)")]
            )
        chosen += [p for p in hits if p not in chosen]
    dists = {u.path: u for u in scenario.uncertainty}
    factors, dropped = [], []
    for p in chosen:
        _, fld, iid = split_path(p)
        base = _point(scenario, p)
        if fld == "position":
            iss = scenario.issue(iid)
            lo_v, hi_v, width = iss.min, iss.max, spread * iss.span
        elif fld == "salience":
            lo_v, hi_v, width = 0.0, 100.0, spread * 100.0
        else:
            lo_v, hi_v, width = 0.0, math.inf, spread * base
        if p in dists:
            lo, hi = dists[p].bounds(lo_v, hi_v)
        else:
            lo, hi = max(lo_v, base - width), min(hi_v, base + width)
        if fld == "capability":
            lo = max(lo, 1e-9 * max(base, 1e-9))
        if not hi > lo:
            dropped.append(p)
            continue
        factors.append(Factor(p, base, lo, hi))
    if not factors:
        raise OptionError([Problem("--input", "every chosen input has an empty range; nothing to vary")])
    return factors, dropped


# ------------------------------------------------------------------ evaluation
def inputs_batch(scenario: Scenario, factors: Sequence[Factor], X: np.ndarray) -> ScenarioBatch:
    """A batch with row ``r`` of ``X`` written into the factors' places (others at point values)."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    batch = ScenarioBatch.repeat(scenario, X.shape[0])
    rows = {a.id: r for r, a in enumerate(scenario.actors)}
    cols = {iid: c for c, iid in enumerate(scenario.issue_ids)}
    for j, f in enumerate(factors):
        aid, fld, iid = split_path(f.path)
        r = rows[aid]
        if fld == "position":
            batch.position[:, r, cols[iid]] = X[:, j]
        elif fld == "salience":
            batch.salience[:, r, cols[iid]] = X[:, j] / 100.0
        elif iid is not None:
            batch.capability[:, r, cols[iid]] = X[:, j]
        else:
            own = [c for i, c in cols.items() if i not in scenario.actors[r].capability_by_issue]
            batch.capability[:, r, own] = X[:, j : j + 1]
    return batch


@dataclass(frozen=True)
class InputTask:
    """Rows ``X`` of an input matrix to evaluate (picklable: sent to engine workers)."""

    model: Model
    scenario: Scenario
    factors: tuple[Factor, ...]
    X: np.ndarray
    chunk: Chunk


def run_inputs(task: InputTask) -> np.ndarray:
    """Forecasts ``[row, issue]`` for the rows of one chunk of the input matrix."""
    batch = inputs_batch(task.scenario, task.factors, task.X)
    out = task.model.forecast_batch(batch, chunk_rng(task.chunk.seed, 1))
    return np.asarray(out, dtype=float).reshape(task.X.shape[0], len(task.scenario.issues))


def evaluate(
    scenario: Scenario,
    model: Model,
    factors: Sequence[Factor],
    X: np.ndarray,
    engine: Engine,
    seed: int,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Forecasts ``[row, issue]`` for every row of ``X``, in seeded chunks on ``engine``."""
    chunks = plan_chunks(X.shape[0], seed, chunk_size)
    tasks = [InputTask(model, scenario, tuple(factors), X[c.start : c.stop], c) for c in chunks]
    cb = (lambda k, r: progress(r.shape[0])) if progress is not None else None
    return np.concatenate(engine.map(run_inputs, tasks, cb), axis=0)


# ------------------------------------------------------------------ result
@dataclass
class SensitivityResult:
    """Indices per issue and input, the tornado, and what was run."""

    model: str
    label: str
    method: str
    scenario: Scenario
    factors: list[Factor]
    point: dict[str, float]
    indices: dict[str, dict[str, dict[str, float]]]  # issue -> input -> {S1, ST, ...}
    tornado: dict[str, list[dict[str, float | str]]]  # issue -> rows sorted by swing
    runs: int
    seed: int
    samples: int
    spread: float
    dropped: list[str] = field(default_factory=list)
    engine: dict[str, Any] = field(default_factory=dict)
    elapsed: float | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def main_index(self) -> str:
        return "ST" if self.method == "sobol" else "mu_star"

    def ranking(self, issue: str) -> list[tuple[str, float]]:
        """Inputs by their main index (Sobol ST, Morris mu*), largest first."""
        key = self.main_index
        vals = [(p, d.get(key, math.nan)) for p, d in self.indices.get(issue, {}).items()]
        return sorted(vals, key=lambda t: -(t[1] if math.isfinite(t[1]) else -math.inf))

    def tables(self, top: int = 10) -> list[Table]:
        out = []
        cols = ["S1", "S1_conf", "ST", "ST_conf"] if self.method == "sobol" else ["mu_star", "mu_star_conf", "sigma", "mu"]
        for iss in self.scenario.issues:
            idx = self.indices.get(iss.id)
            torn = {r["name"]: r for r in self.tornado.get(iss.id, [])}
            if not idx:
                continue
            rows = []
            for p, _ in self.ranking(iss.id)[:top]:
                t = torn.get(p, {})
                rows.append([p] + [idx[p].get(c, math.nan) for c in cols] + [t.get("low"), t.get("high"), t.get("swing")])
            out.append(
                Table(
                    f"Sensitivity ({self.method}, {self.label}): {iss.label or iss.id} - point forecast "
                    f"{self.point.get(iss.id, math.nan):.2f}",
                    ["input"] + cols + ["forecast at low", "at high", "swing"],
                    rows,
                    f"top {min(top, len(idx))} of {len(idx)} inputs by {self.main_index}; tornado: one input at its "
                    "low/high end, the others at their point values",
                )
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        details = {
            "analysis": "sensitivity",
            "method": self.method,
            "samples": self.samples,
            "runs": self.runs,
            "spread": self.spread,
            "engine": self.engine,
            "inputs": [{"name": f.path, "point": f.base, "low": f.low, "high": f.high} for f in self.factors],
            "dropped": self.dropped,
            "indices": self.indices,
            "ranking": {i: [p for p, _ in self.ranking(i)] for i in self.indices},
            "tornado": self.tornado,
        }
        return Result.for_scenario(
            self.scenario, self.model, self.options, self.point, details=details, seed=self.seed, elapsed=self.elapsed
        ).to_dict()


def _tornado(scenario, model, factors, engine, seed, chunk_size) -> tuple[dict[str, list[dict]], np.ndarray]:
    D = len(factors)
    base = np.array([f.base for f in factors])
    X = np.tile(base, (2 * D + 1, 1))
    for j, f in enumerate(factors):
        X[1 + 2 * j, j] = f.low
        X[2 + 2 * j, j] = f.high
    Y = evaluate(scenario, model, factors, X, engine, seed, chunk_size)
    out: dict[str, list[dict]] = {}
    for c, iid in enumerate(scenario.issue_ids):
        rows = []
        for j, f in enumerate(factors):
            lo, hi = Y[1 + 2 * j, c], Y[2 + 2 * j, c]
            rows.append({"name": f.path, "low": float(lo), "high": float(hi), "swing": float(abs(hi - lo)),
                         "input_low": f.low, "input_high": f.high})  # fmt: skip
        rows.sort(key=lambda r: -(r["swing"] if math.isfinite(r["swing"]) else -1))
        out[iid] = rows
    return out, Y[0]


def analyze(
    scenario: Scenario,
    model: Model,
    method: Method = "sobol",
    inputs: Sequence[str] | None = None,
    samples: int = 256,
    spread: float = 0.2,
    seed: int | None = None,
    engine: Engine | str | None = None,
    chunk_size: int | None = None,
    levels: int = 4,
    progress: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> SensitivityResult:
    """Sobol or Morris indices of every issue's forecast over the chosen inputs.

    Parameters
    ----------
    inputs
        Paths or ``fnmatch`` patterns (``putin.salience.*``), or ``uncertain`` for every
        value the scenario gives as a distribution; default every salience and capability.
    samples
        Sobol: the base sample size ``N`` (a power of 2; ``N (D + 2)`` model runs);
        Morris: the number of trajectories (``r (D + 1)`` runs).
    spread
        Range of inputs without their own distribution (see the module docstring).
    levels
        Morris grid levels.
    on_plan
        Called once with the total number of model runs (for a progress bar).
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method not in ("sobol", "morris"):
        raise OptionError([Problem("--method", f"unknown method {method!r}: expected sobol or morris")])
    if samples < 2:
        raise OptionError([Problem("--samples", f"must be at least 2, got {samples}")])
    if method == "sobol" and samples & (samples - 1):
        raise OptionError([Problem("--samples", f"Sobol needs a power of 2 (e.g. 256, 512), got {samples}")])
    factors, dropped = select_factors(scenario, inputs, spread)
    if chunk_size is None:
        chunk_size = default_chunk_size(model, scenario)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**32))
    seed = int(seed)
    problem = {"num_vars": len(factors), "names": [f.path for f in factors], "bounds": [[f.low, f.high] for f in factors]}
    salib_seed = seed % (2**32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "sobol":
            X = sobol_sample.sample(problem, samples, calc_second_order=False, scramble=True, seed=salib_seed)
        else:
            X = morris_sample.sample(problem, samples, num_levels=levels, seed=salib_seed)
    D = len(factors)
    if on_plan is not None:
        on_plan(X.shape[0] + 2 * D + 1)
    own = not isinstance(engine, Engine)
    eng = get_engine(engine or "local")
    start = time.perf_counter()
    try:
        tornado, base_y = _tornado(scenario, model, factors, eng, seed, chunk_size)
        if progress is not None:
            progress(2 * D + 1)
        Y = evaluate(scenario, model, factors, X, eng, seed, chunk_size, progress)
        info = eng.describe()
    finally:
        if own:
            eng.close()
    indices: dict[str, dict[str, dict[str, float]]] = {}
    for c, iid in enumerate(scenario.issue_ids):
        y = Y[:, c]
        if not np.all(np.isfinite(y)):
            continue  # no forecast on this issue (e.g. status quo without one)
        if np.ptp(y) == 0:
            zero = ("S1", "S1_conf", "ST", "ST_conf") if method == "sobol" else ("mu", "mu_star", "sigma", "mu_star_conf")
            indices[iid] = {f.path: {k: 0.0 for k in zero} for f in factors}
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if method == "sobol":
                res = sobol_analyze.analyze(problem, y, calc_second_order=False, print_to_console=False, seed=salib_seed)
                keys = ("S1", "S1_conf", "ST", "ST_conf")
            else:
                res = morris_analyze.analyze(problem, X, y, num_levels=levels, print_to_console=False, seed=salib_seed)
                keys = ("mu", "mu_star", "sigma", "mu_star_conf")
        indices[iid] = {f.path: {k: float(np.asarray(res[k])[j]) for k in keys} for j, f in enumerate(factors)}
    point = {iid: float(base_y[c]) for c, iid in enumerate(scenario.issue_ids)}
    return SensitivityResult(
        model=model.name,
        label=model.label or model.name,
        method=method,
        scenario=scenario,
        factors=factors,
        point=point,
        indices=indices,
        tornado=tornado,
        runs=int(X.shape[0] + 2 * D + 1),
        seed=seed,
        samples=samples,
        spread=spread,
        dropped=dropped,
        engine=info,
        elapsed=time.perf_counter() - start,
        options=model.get_options(),
    )


def tornado_figures(result: SensitivityResult, top: int = 15, issues: Sequence[str] | None = None) -> dict[str, Any]:
    """Matplotlib tornado figures per issue (drawn by :func:`realpolitik.report.plots.mpl_tornado`)."""
    from realpolitik.report.plots import mpl_tornado

    figs = {}
    for iss in result.scenario.issues:
        if issues and iss.id not in issues:
            continue
        rows = result.tornado.get(iss.id, [])[:top]
        if not rows:
            continue
        figs[iss.id] = mpl_tornado(
            rows, base=result.point.get(iss.id), title=f"Tornado ({result.label}): {iss.label or iss.id}"
        )
    return figs
