"""Monte Carlo: the forecast as a distribution over uncertain inputs.

``sample -> evaluate -> summarise`` in the style of SALib: draws of the scenario
(:func:`realpolitik.scenario.uncertainty.sample_batch`) go through the model's
vectorised core (``Model.forecast_batch``), chunk by chunk on any engine, and the
forecasts ``[draw, issue]`` are summarised per issue: mean, sd, median, 10th and
90th percentiles, a histogram on the issue's scale and threshold probabilities.

Reproducibility: the draws are cut into chunks of ``chunk_size`` with seeds
``SeedSequence(seed).spawn(n_chunks)`` (:func:`realpolitik.engine.plan_chunks`); a
chunk's input draws and the model's own random numbers come from two streams of its
seed.  The same seed and chunk size give the same numbers on every engine.  Without
a seed, fresh entropy is drawn and reported, so any run can be repeated.

References
----------
[BDM2011] Bueno de Mesquita, B. (2011). A new model for predicting policy choices:
preliminary tests. *Conflict Management and Peace Science* 28(1), 65-87 (Monte Carlo
perturbation of the inputs of the expected-utility model).
[Saltelli2008] Saltelli, A. et al. (2008). *Global Sensitivity Analysis: The Primer*. Wiley, ch. 1
(uncertainty analysis as propagation of input distributions by sampling).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from realpolitik.engine import Chunk, Engine, chunk_rng, default_chunk_size, get_engine, plan_chunks
from realpolitik.errors import OptionError, Problem
from realpolitik.models.base import Model, Result, Table
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.uncertainty import sample_batch
from realpolitik.seeds import fresh_seed

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_THRESHOLD = re.compile(r"^\s*(?P<issue>.+?)\s*(?P<op>>=|<=|>|<)\s*(?P<value>[-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class Threshold:
    """``issue op value``, e.g. ``settlement > 60``."""

    issue: str
    op: str
    value: float

    @property
    def label(self) -> str:
        return f"{self.issue}{self.op}{self.value:g}"

    def probability(self, x: np.ndarray) -> float:
        x = x[np.isfinite(x)]
        return float(_OPS[self.op](x, self.value).mean()) if x.size else math.nan


def parse_threshold(text: str, scenario: Scenario) -> Threshold:
    """Parse ``settlement>60`` (also ``>=``, ``<``, ``<=``); OptionError naming the problem."""
    m = _THRESHOLD.match(text)
    if not m:
        raise OptionError([Problem(f"thresholds {text}", "expected ISSUE>VALUE (or >=, <, <=), e.g. settlement>60")])
    issue = m.group("issue")
    if issue not in scenario.issue_ids:
        raise OptionError(
            [Problem(f"thresholds {text}", f"unknown issue {issue!r} (issues: {', '.join(scenario.issue_ids)})")]
        )
    try:
        value = float(m.group("value"))
    except ValueError:
        raise OptionError([Problem(f"thresholds {text}", f"{m.group('value')!r} is not a number")]) from None
    return Threshold(issue, m.group("op"), value)


# ------------------------------------------------------------------ chunk task
@dataclass(frozen=True)
class DrawTask:
    """One chunk of Monte Carlo draws (picklable: sent to engine workers)."""

    model: Model
    scenario: Scenario
    spread: float
    chunk: Chunk


def run_draws(task: DrawTask) -> np.ndarray:
    """Forecasts ``[draw, issue]`` of one chunk: sample its inputs, run the model's batch core."""
    batch = sample_batch(task.scenario, task.chunk.draws, chunk_rng(task.chunk.seed, 0), task.spread)
    out = task.model.forecast_batch(batch, chunk_rng(task.chunk.seed, 1))
    return np.asarray(out, dtype=float).reshape(task.chunk.draws, len(task.scenario.issues))


# ------------------------------------------------------------------ result
@dataclass
class MonteCarloResult:
    """Forecast draws and their summary.  ``to_dict()`` follows the Result JSON layout.

    ``forecast`` (per issue) is the mean over draws; ``details`` carries the point
    forecast, the summary statistics, histograms and threshold probabilities.
    """

    model: str
    label: str
    options: dict[str, Any]
    scenario: Scenario
    draws: np.ndarray  # [draw, issue]
    point: dict[str, float]
    seed: int
    spread: float
    chunk_size: int
    engine: dict[str, Any]
    thresholds: tuple[Threshold, ...] = ()
    bins: int = 20
    elapsed: float | None = None
    uncertain_inputs: int = 0
    _summary: dict[str, dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def issues(self) -> tuple[str, ...]:
        return self.scenario.issue_ids

    @property
    def n_draws(self) -> int:
        return int(self.draws.shape[0])

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per issue: n, mean, sd, median, p10, p90, min, max, histogram (edges, counts)."""
        if self._summary is not None:
            return self._summary
        out: dict[str, dict[str, Any]] = {}
        for c, iss in enumerate(self.scenario.issues):
            x = self.draws[:, c]
            ok = x[np.isfinite(x)]
            edges = np.linspace(iss.min, iss.max, self.bins + 1)
            if ok.size:
                counts, _ = np.histogram(np.clip(ok, iss.min, iss.max), bins=edges)
                p10, p50, p90 = np.percentile(ok, [10, 50, 90])
                stats = {
                    "n": int(ok.size),
                    "mean": float(ok.mean()),
                    "sd": float(ok.std(ddof=1)) if ok.size > 1 else 0.0,
                    "median": float(p50),
                    "p10": float(p10),
                    "p90": float(p90),
                    "min": float(ok.min()),
                    "max": float(ok.max()),
                }
            else:
                counts = np.zeros(self.bins, dtype=int)
                stats = {k: math.nan for k in ("mean", "sd", "median", "p10", "p90", "min", "max")}
                stats["n"] = 0
            stats["histogram"] = {"edges": edges.tolist(), "counts": counts.astype(int).tolist()}
            out[iss.id] = stats
        self._summary = out
        return out

    def probabilities(self) -> dict[str, float]:
        """Share of draws meeting each threshold (over draws with a forecast)."""
        col = {iid: c for c, iid in enumerate(self.issues)}
        return {t.label: t.probability(self.draws[:, col[t.issue]]) for t in self.thresholds}

    def to_dict(self, include_draws: bool = False) -> dict[str, Any]:
        summ = self.summary()
        details: dict[str, Any] = {
            "analysis": "monte-carlo",
            "draws": self.n_draws,
            "spread": self.spread,
            "chunk_size": self.chunk_size,
            "engine": self.engine,
            "uncertain_inputs": self.uncertain_inputs,
            "point_forecast": self.point,
            "summary": {iid: {k: v for k, v in s.items() if k != "histogram"} for iid, s in summ.items()},
            "histograms": {iid: s["histogram"] for iid, s in summ.items()},
            "thresholds": self.probabilities(),
        }
        if include_draws:
            details["forecast_draws"] = self.draws
        return Result.for_scenario(
            self.scenario, self.model, self.options, {iid: s["mean"] for iid, s in summ.items()},
            details=details, seed=self.seed, elapsed=self.elapsed,
        ).to_dict()  # fmt: skip

    def tables(self) -> list[Table]:
        summ = self.summary()
        rows = []
        for iss in self.scenario.issues:
            s = summ[iss.id]
            rows.append(
                [iss.id, self.point.get(iss.id), s["mean"], s["median"], s["p10"], s["p90"], s["sd"]]
            )
        note = (
            f"{self.n_draws} draws, seed {self.seed}, {self.uncertain_inputs} uncertain input(s)"
            + (f", spread {self.spread:g}" if self.spread else "")
            + f", engine {self.engine.get('engine')}"
        )
        tables = [
            Table(
                f"Monte Carlo: {self.label} - {self.scenario.title}",
                ["issue", "point", "mean", "median", "p10", "p90", "sd"],
                rows,
                note,
            )
        ]
        if self.thresholds:
            probs = self.probabilities()
            tables.append(
                Table("Threshold probabilities", ["threshold", "P"], [[k, v] for k, v in probs.items()])
            )
        return tables


# ------------------------------------------------------------------ entry point
def simulate(
    scenario: Scenario,
    model: Model,
    draws: int = 1000,
    seed: int | None = None,
    spread: float = 0.0,
    engine: Engine | str | None = None,
    chunk_size: int | None = None,
    thresholds: Sequence[str | Threshold] = (),
    bins: int = 20,
    progress: Callable[[int], None] | None = None,
) -> MonteCarloResult:
    """Run ``draws`` Monte Carlo draws of ``scenario`` through ``model``.

    Parameters
    ----------
    scenario
        Its ``uncertainty`` distributions are drawn; other values stay at their
        point values unless ``spread`` > 0 (see :func:`~realpolitik.scenario.uncertainty.sample_batch`).
    model
        Any model; its ``forecast_batch`` is the vectorised core where it has one.
    draws, seed, chunk_size
        Number of draws; seed (``None``: fresh entropy, reported in the result);
        draws per chunk (with the seed, fixes every number; default
        :func:`~realpolitik.engine.default_chunk_size`: 1000 for a vectorised model, 25 otherwise).
    spread
        Global perturbation fraction for values without their own distribution.
    engine
        An :class:`~realpolitik.engine.Engine` or a name (default local).  An engine
        built here from a name is closed before returning.
    thresholds
        ``"issue>value"`` strings or :class:`Threshold` objects.
    bins
        Histogram bins over each issue's scale.
    progress
        Called with the number of draws finished after each chunk.
    """
    import time

    if bins < 1:
        raise OptionError([Problem("bins", f"must be at least 1, got {bins}")])
    if not (isinstance(spread, (int, float)) and math.isfinite(spread) and spread >= 0):
        raise OptionError([Problem("spread", f"must be a number >= 0, got {spread!r}")])
    ths = tuple(t if isinstance(t, Threshold) else parse_threshold(t, scenario) for t in thresholds)
    if seed is None:
        seed = fresh_seed()
    if chunk_size is None:
        chunk_size = default_chunk_size(model, scenario)
    chunks = plan_chunks(draws, seed, chunk_size)
    tasks = [DrawTask(model, scenario, float(spread), c) for c in chunks]
    own = not isinstance(engine, Engine)
    eng = get_engine(engine or "local")
    start = time.perf_counter()
    try:
        cb = (lambda k, r: progress(r.shape[0])) if progress is not None else None
        parts = eng.map(run_draws, tasks, cb)
        info = eng.describe()
    finally:
        if own:
            eng.close()
    elapsed = time.perf_counter() - start
    point = model.run(scenario, rng=seed).forecast
    return MonteCarloResult(
        model=model.name,
        label=model.label or model.name,
        options=model.get_options(),
        scenario=scenario,
        draws=np.concatenate(parts, axis=0),
        point={k: float(v) for k, v in point.items()},
        seed=int(seed),
        spread=float(spread),
        chunk_size=chunk_size,
        engine=info,
        thresholds=ths,
        bins=bins,
        elapsed=elapsed,
        uncertain_inputs=len(scenario.uncertainty),
    )
