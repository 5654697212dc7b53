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
[Sobol2001] Sobol', I. M. (2001). Global sensitivity indices for nonlinear mathematical models
and their Monte Carlo estimates. *Mathematics and Computers in Simulation* 55, 271-280.
[Saltelli2010] Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output.
*Computer Physics Communications* 181, 259-270 (the estimators of S1 and ST, Table 2).
[Morris1991] Morris, M. D. (1991). Factorial sampling plans for preliminary computational
experiments. *Technometrics* 33(2), 161-174.
[Campolongo2007] Campolongo, F., Cariboni, J. & Saltelli, A. (2007). An effective screening design for
sensitivity analysis of large models. *Environmental Modelling & Software* 22,
1509-1518 (``mu*``).
[Herman2017] Herman, J. & Usher, W. (2017). SALib: an open-source Python library for sensitivity
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

from realpolitik.engine import DEFAULT_CHUNK_SIZE, Chunk, Engine, chunk_rng, default_chunk_size, get_engine, plan_chunks
from realpolitik.errors import OptionError, Problem
from realpolitik.models.base import Model, Result, Table
from realpolitik.scenario.batch import ScenarioBatch
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.uncertainty import split_path
from realpolitik.seeds import fresh_seed

Method = Literal["sobol", "morris"]
DEFAULT_INPUTS = ("*.salience.*", "*.capability")
#: Sobol indices below this are negligible: they need no resolution to be ranked last
NEGLIGIBLE = 0.01
#: the largest base sample Sobol doubles to while a ranked index is not resolved
MAX_SOBOL_SAMPLES = 1024


def resolved(value: float, conf: float) -> bool:
    """An index is resolved when its 95 % confidence half-width is smaller than the index
    itself (the interval excludes zero), or when the whole interval is negligible."""
    if not (math.isfinite(value) and math.isfinite(conf)):
        return False
    return conf < abs(value) or abs(value) + conf < NEGLIGIBLE


def fmt_index(value: float, conf: float) -> str:
    """``0.31 ± 0.04``, or ``not resolved (0.02 ± 0.05)`` when the interval is wider than the index."""
    if not math.isfinite(value):
        return "-"
    text = f"{value:.3f} ± {conf:.3f}"
    return text if resolved(value, conf) else f"not resolved ({text})"


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
        raise OptionError([Problem("spread", f"must be a number > 0, got {spread!r}")])
    allp = input_paths(scenario)
    patterns = list(inputs) if inputs else list(DEFAULT_INPUTS)
    chosen: list[str] = []
    for pat in patterns:
        if pat.strip().lower() == "uncertain":  # every value that has a distribution
            hits = [u.path for u in scenario.uncertainty]
            if not hits:
                raise OptionError([Problem("inputs uncertain", "the scenario gives no value as a distribution")])
        else:
            hits = [p for p in allp if fnmatch.fnmatchcase(p, pat)]
        if not hits:
            raise OptionError(
                [Problem(f"inputs {pat}", "matches no input (inputs look like putin.salience.settlement, putin.capability; wildcards allowed)")]
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
        raise OptionError([Problem("inputs", "every chosen input has an empty range; nothing to vary")])
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
                d = idx[p]
                if self.method == "sobol":
                    cells = [fmt_index(d.get("S1", math.nan), d.get("S1_conf", math.nan)),
                             fmt_index(d.get("ST", math.nan), d.get("ST_conf", math.nan))]  # fmt: skip
                else:
                    cells = [d.get(c, math.nan) for c in cols]
                rows.append([p] + cells + [t.get("low"), t.get("high"), t.get("swing")])
            header = ["S1 ± 95% CI", "ST ± 95% CI"] if self.method == "sobol" else cols
            note = f"top {min(top, len(idx))} of {len(idx)} inputs by {self.main_index}"
            if self.method == "sobol":
                unres = sum(1 for d in idx.values() if not resolved(d.get("ST", math.nan), d.get("ST_conf", math.nan)))
                note += (f" (base sample N = {self.samples}" + (f", doubled from {self.options.get('start_samples')}"
                         if self.options.get("start_samples") not in (None, self.samples) else "") + "; "
                         + (f"{unres} ST not resolved: their confidence interval is wider than the index, so their "
                            "place in the ranking is noise" if unres else "every ST resolved") + ")")  # fmt: skip
            note += "; " + tornado_note(self.tornado.get(iss.id, []))
            out.append(
                Table(
                    f"Sensitivity ({self.method}, {self.label}): {iss.label or iss.id} - point forecast "
                    f"{self.point.get(iss.id, math.nan):.2f}",
                    ["input"] + header + ["forecast at low", "at high", "swing"],
                    rows,
                    note,
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


def tornado_note(rows: Sequence[dict]) -> str:
    """What the tornado shows, said even when it shows nothing."""
    swings = [r["swing"] for r in rows if math.isfinite(r["swing"])]
    if not swings or max(swings) == 0:
        return ("tornado: no input moves this forecast on its own within its range (every one-at-a-time swing "
                "is 0: the forecast sits on a plateau, e.g. a median held by one actor); see the Sobol ST for "
                "inputs that matter only together")  # fmt: skip
    moving = sum(1 for v in swings if v > 0)
    return f"tornado: one input at its low/high end, the others at their point values ({moving} of {len(swings)} move it)"


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
    max_samples: int | None = None,
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
    max_samples
        Sobol only: while an index that ranks (ST of at least :data:`NEGLIGIBLE`) has a
        confidence interval wider than itself, the base sample is doubled, up to this
        (default :data:`MAX_SOBOL_SAMPLES`, at least ``samples``); what is still not
        resolved then is said so in the tables.
    on_plan
        Called once with the total number of model runs (for a progress bar).
    """
    if method not in ("sobol", "morris"):
        raise OptionError([Problem("method", f"unknown method {method!r}: expected sobol or morris")])
    if samples < 2:
        raise OptionError([Problem("samples", f"must be at least 2, got {samples}")])
    if method == "sobol" and samples & (samples - 1):
        raise OptionError([Problem("samples", f"Sobol needs a power of 2 (e.g. 256, 512), got {samples}")])
    factors, dropped = select_factors(scenario, inputs, spread)
    if chunk_size is None:
        chunk_size = default_chunk_size(model, scenario)
    if seed is None:
        seed = fresh_seed()
    seed = int(seed)
    problem = {"num_vars": len(factors), "names": [f.path for f in factors], "bounds": [[f.low, f.high] for f in factors]}
    salib_seed = seed % (2**32)
    cap = max(samples, MAX_SOBOL_SAMPLES if max_samples is None else max_samples)
    D = len(factors)
    own = not isinstance(engine, Engine)
    eng = get_engine(engine or "local")
    start = time.perf_counter()
    start_samples, runs = samples, 0
    try:
        tornado, base_y = _tornado(scenario, model, factors, eng, seed, chunk_size)
        runs += 2 * D + 1
        n = samples
        while True:
            X = _sample(method, problem, n, levels, salib_seed)
            if on_plan is not None and n == samples:
                on_plan(X.shape[0] + 2 * D + 1)
            if progress is not None and n == samples:
                progress(2 * D + 1)
            Y = evaluate(scenario, model, factors, X, eng, seed, chunk_size, progress if n == samples else None)
            runs += X.shape[0]
            indices = _indices(method, problem, X, Y, scenario, factors, levels, salib_seed)
            if method != "sobol" or n * 2 > cap or not _unresolved(indices):
                break
            n *= 2
        samples = n
        info = eng.describe()
    finally:
        if own:
            eng.close()
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
        runs=int(runs),
        seed=seed,
        samples=samples,
        spread=spread,
        dropped=dropped,
        engine=info,
        elapsed=time.perf_counter() - start,
        options={**model.get_options(), "start_samples": start_samples},
    )


def _sample(method: str, problem: dict, n: int, levels: int, seed: int) -> np.ndarray:
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "sobol":
            return sobol_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
        return morris_sample.sample(problem, n, num_levels=levels, seed=seed)


def _indices(method, problem, X, Y, scenario, factors, levels, seed) -> dict[str, dict[str, dict[str, float]]]:
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

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
                res = sobol_analyze.analyze(problem, y, calc_second_order=False, print_to_console=False, seed=seed)
                keys = ("S1", "S1_conf", "ST", "ST_conf")
            else:
                res = morris_analyze.analyze(problem, X, y, num_levels=levels, print_to_console=False, seed=seed)
                keys = ("mu", "mu_star", "sigma", "mu_star_conf")
        indices[iid] = {f.path: {k: float(np.asarray(res[k])[j]) for k in keys} for j, f in enumerate(factors)}
    return indices


def _unresolved(indices: dict[str, dict[str, dict[str, float]]]) -> list[tuple[str, str]]:
    """(issue, input) whose ST ranks (at least NEGLIGIBLE) but is not resolved."""
    return [(iid, p) for iid, d in indices.items() for p, v in d.items()
            if v.get("ST", 0.0) >= NEGLIGIBLE and not resolved(v["ST"], v.get("ST_conf", math.inf))]  # fmt: skip
