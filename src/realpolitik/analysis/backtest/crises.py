"""Crisis outcomes (ICB): base rates by power and violence against the war-bargaining layer.

``load actors -> seeded split by crisis -> fit on training crises -> P(victory, compromise,
stalemate, defeat) per test actor -> multi-class Brier score``.

Data: the International Crisis Behavior project's actor-level records (version 16): one
record per crisis actor with its ``outcome`` (victory / compromise / stalemate / defeat;
``other`` is kept in the counts but cannot be scored on the four classes), its power
status (small / middle / great / super) and the crisis's highest ``violence`` (1 none,
2 minor clashes, 3 serious clashes, 4 full-scale war).  The split is by crisis
(``crisno``) so that no crisis has actors on both sides of it.

Models:

* ``uniform``: 1/4 for every class (the no-information reference);
* ``marginal``: the training outcome shares;
* ``base-rates power``, ``base-rates violence``, ``base-rates power x violence``: the
  training shares in each cell, shrunk toward the marginal shares with the weight of
  ``SHRINK`` = 4 pseudo-records (a cell with few records borrows from the margin);
* ``war-bargaining``: the war layer's simulator
  (:func:`realpolitik.models.war.simulator.simulate_war`) with the actor as side A.
  Mapping (docs/backtests.md): power ranks 1-4; the opponent's rank is the highest rank
  among the crisis's other actors (the data name no adversary; the training median rank
  when the actor is alone); battle odds ``p = 1 / (1 + exp(-beta (r_actor - r_opponent)))``;
  mutual optimism ``optimism * Exp(1)`` on the logit scale, Beta beliefs of 4
  pseudo-battles, per-battle cost 0.02; fighting lasts at most ``horizon * (violence - 1)``
  battles (no violence: bargaining only).  Outcome classes: a military win is victory, a
  military loss defeat, no settlement by the horizon stalemate, a settlement with terms
  ``x >= 1 - theta`` victory, ``x <= theta`` defeat, in between compromise.  ``beta``,
  ``optimism``, ``horizon`` and ``theta`` are chosen on a grid by the training Brier score.

References
----------
Brecher, M. & Wilkenfeld, J. (2000). *A Study of Crisis*. University of Michigan Press;
ICB data version 16 (Brecher, Wilkenfeld, Beardsley, James & Quinn), actor level.
Brier, G. W. (1950). Verification of forecasts expressed in terms of probability.
*Monthly Weather Review* 78(1), 1-3 (the multi-class score used here).
Smith, A. & Stam, A. C. (2004). Bargaining and the nature of war. *JCR* 48(6).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from realpolitik.analysis.backtest.scoring import DEFAULT_SEED, TEST_FRACTION, brier, repeat_summary, repeat_table, split
from realpolitik.errors import Problem, ScenarioError
from realpolitik.models.base import Table

CLASSES = ("victory", "compromise", "stalemate", "defeat")
POWER_RANK = {"small": 1, "middle": 2, "great": 3, "super": 4}
SHRINK = 4.0
DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "beta": (0.0, 0.125, 0.25, 0.5, 1.0),
    "optimism": (0.25, 0.5, 1.0, 2.0, 4.0),
    "horizon": (1.0, 2.0, 5.0, 10.0),
}
THETAS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.45)
CONCENTRATION = 4.0
KAPPA = 0.02


@dataclass(frozen=True)
class CrisisActor:
    actor: str
    crisno: int
    crisname: str
    year: int
    outcome: str  # one of CLASSES or "other"
    power: str
    violence: int
    rank: int  # 0 = unknown
    opp_rank: int  # 0 = unknown (no other actor with a known rank)


@dataclass
class CrisisData:
    path: str
    sha256: str
    actors: list[CrisisActor]

    @property
    def scorable(self) -> list[CrisisActor]:
        return [a for a in self.actors if a.outcome in CLASSES]


def parse_icb(raw: bytes, name: str) -> CrisisData:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"not a JSON file: {exc}", name) from None
    recs = data.get("records") if isinstance(data, dict) else data
    if not isinstance(recs, list) or not recs:
        raise ScenarioError("expected a list of crisis-actor records (or {'records': [...]})", name)
    problems: list[Problem] = []
    raw_rows = []
    for k, r in enumerate(recs):
        where = f"{name}:records.{k}"
        if not isinstance(r, dict):
            problems.append(Problem(where, "record is not an object"))
            continue
        miss = [c for c in ("crisno", "outcome", "power", "violence") if c not in r]
        if miss:
            problems.append(Problem(where, f"missing field(s) {', '.join(miss)}"))
            continue
        out = str(r["outcome"]).strip().lower()
        if out not in CLASSES + ("other",):
            problems.append(Problem(f"{where}.outcome", f"{r['outcome']!r} is not one of {', '.join(CLASSES)}, other"))
            continue
        try:
            v = int(r["violence"])
            cr = int(r["crisno"])
        except (TypeError, ValueError):
            problems.append(Problem(where, "crisno and violence must be integers"))
            continue
        raw_rows.append((r, out, v, cr))
        if len(problems) > 50:
            break
    if problems:
        raise ScenarioError(problems[:50])
    by_crisis: dict[int, list[int]] = {}
    for r, _, _, cr in raw_rows:
        by_crisis.setdefault(cr, []).append(POWER_RANK.get(str(r["power"]).strip().lower(), 0))
    actors = []
    for r, out, v, cr in raw_rows:
        rank = POWER_RANK.get(str(r["power"]).strip().lower(), 0)
        others = list(by_crisis[cr])
        others.remove(rank)
        known = [x for x in others if x > 0]
        actors.append(
            CrisisActor(str(r.get("actor", "")), cr, str(r.get("crisname", "")), int(r.get("year") or 0), out,
                        str(r["power"]).strip().lower(), v, rank, max(known) if known else 0)
        )  # fmt: skip
    return CrisisData(name, hashlib.sha256(raw).hexdigest(), actors)


def load_icb(path: str | Path) -> CrisisData:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", str(path)) from None
    return parse_icb(raw, str(path))


def split_by_crisis(actors: Sequence[CrisisActor], seed: int, test_fraction: float = TEST_FRACTION):
    crises = sorted({a.crisno for a in actors})
    tr, te = split(len(crises), seed, test_fraction)
    test_ids = {crises[i] for i in te}
    return [a for a in actors if a.crisno not in test_ids], [a for a in actors if a.crisno in test_ids]


def onehot(actors: Sequence[CrisisActor]) -> np.ndarray:
    return np.array([[a.outcome == c for c in CLASSES] for a in actors], dtype=float)


# ------------------------------------------------------------------ base rates
def base_rates(train: Sequence[CrisisActor], test: Sequence[CrisisActor], key: Callable[[CrisisActor], Any] | None):
    """Shrunk cell shares ``(n_k + SHRINK * m_k) / (n + SHRINK)``; ``key=None``: marginal."""
    o = onehot(train)
    marg = o.mean(axis=0)
    if key is None:
        return np.repeat(marg[None], len(test), axis=0), {"all": marg.tolist()}
    cells: dict[Any, np.ndarray] = {}
    for a, row in zip(train, o):
        cells.setdefault(key(a), np.zeros(len(CLASSES)))
        cells[key(a)] += row
    table = {k: (v + SHRINK * marg) / (v.sum() + SHRINK) for k, v in cells.items()}
    out = np.array([table.get(key(a), marg) for a in test])
    name = lambda k: ", ".join(str(x) for x in k) if isinstance(k, tuple) else str(k)  # noqa: E731
    return out, {name(k): v.tolist() for k, v in sorted(table.items(), key=lambda kv: str(kv[0]))}


# ------------------------------------------------------------------ war-bargaining layer
def _ranks(actors: Sequence[CrisisActor], fill: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r = np.array([a.rank or fill for a in actors])
    o = np.array([a.opp_rank or fill for a in actors])
    v = np.array([min(max(a.violence, 1), 4) for a in actors])
    return r, o, v


def simulate_cells(beta: float, optimism: float, horizon: float, draws: int, seed: int):
    """Outcome codes and terms for every cell ``(rank, opponent rank, violence)``: arrays
    ``[4, 4, 4, draws]`` indexed by ``rank - 1, opp - 1, violence - 1``."""
    from realpolitik.models.war.simulator import WarParams, make_integrator, simulate_war

    rng = np.random.default_rng(seed)
    ra, ro = np.meshgrid(np.arange(1, 5), np.arange(1, 5), indexing="ij")
    diff = (ra - ro).ravel()
    p = np.repeat(1.0 / (1.0 + np.exp(-beta * diff)), draws)
    p = np.clip(p, 1e-3, 1 - 1e-3)
    codes = np.empty((4, 4, 4, draws), np.int8)
    terms = np.empty((4, 4, 4, draws))
    lp = np.log(p) - np.log1p(-p)
    for v in range(1, 5):
        lam = optimism * rng.exponential(1.0, size=p.size)
        mA = 1.0 / (1.0 + np.exp(-(lp + lam)))
        mB = 1.0 / (1.0 + np.exp(-(lp - lam)))
        par = WarParams(N=10, k0=5, kappa_A=KAPPA, kappa_B=KAPPA, max_battles=int(round(horizon * (v - 1))), belief_eval="plug_in")
        paths = simulate_war(
            par, p, (mA * CONCENTRATION, (1 - mA) * CONCENTRATION), (mB * CONCENTRATION, (1 - mB) * CONCENTRATION),
            rng=rng, integrator=make_integrator(par),
        )  # fmt: skip
        codes[:, :, v - 1] = paths.outcome.reshape(4, 4, draws)
        terms[:, :, v - 1] = paths.terms.reshape(4, 4, draws)
    return codes, terms


def cell_probabilities(codes: np.ndarray, terms: np.ndarray, theta: float) -> np.ndarray:
    """``[4, 4, 4, class]`` shares of victory / compromise / stalemate / defeat."""
    from realpolitik.models.war.simulator import A_VICTORY, B_VICTORY, CONTINUING, SETTLED

    settled = codes == SETTLED
    x = np.where(settled, terms, 0.5)
    vic = (codes == A_VICTORY) | (settled & (x >= 1 - theta))
    dft = (codes == B_VICTORY) | (settled & (x <= theta))
    comp = settled & ~vic & ~dft
    stal = codes == CONTINUING
    return np.stack([vic.mean(-1), comp.mean(-1), stal.mean(-1), dft.mean(-1)], axis=-1)


@dataclass
class CrisisCalibration:
    beta: float
    optimism: float
    horizon: float
    theta: float
    train_brier: float
    fill_rank: int
    grid_results: list[dict[str, float]] = field(default_factory=list)

    def params(self) -> dict[str, float]:
        return {"beta": self.beta, "optimism": self.optimism, "horizon": self.horizon, "theta": self.theta,
                "concentration": CONCENTRATION, "kappa": KAPPA, "fill_rank": self.fill_rank}  # fmt: skip


def calibrate_bargaining(
    train: Sequence[CrisisActor],
    grid_values: dict[str, Sequence[float]] | None = None,
    thetas: Sequence[float] = THETAS,
    draws: int = 300,
    seed: int = DEFAULT_SEED,
) -> CrisisCalibration:
    gv = {**DEFAULT_GRID, **(grid_values or {})}
    fill = int(np.median([a.rank for a in train if a.rank])) if any(a.rank for a in train) else 2
    r, o, v = _ranks(train, fill)
    obs = onehot(train)
    best: CrisisCalibration | None = None
    results = []
    for beta, lam, hz in itertools.product(gv["beta"], gv["optimism"], gv["horizon"]):
        codes, terms = simulate_cells(beta, lam, hz, draws, seed)
        for th in thetas:
            P = cell_probabilities(codes, terms, th)[r - 1, o - 1, v - 1]
            b = brier(P, obs)
            results.append({"beta": beta, "optimism": lam, "horizon": hz, "theta": th, "train_brier": b})
            if best is None or b < best.train_brier:
                best = CrisisCalibration(beta, lam, hz, th, b, fill)
    assert best is not None
    best.grid_results = results
    return best


def bargaining_probabilities(test: Sequence[CrisisActor], cal: CrisisCalibration, draws: int, seed: int) -> np.ndarray:
    codes, terms = simulate_cells(cal.beta, cal.optimism, cal.horizon, draws, seed + 1)
    r, o, v = _ranks(test, cal.fill_rank)
    return cell_probabilities(codes, terms, cal.theta)[r - 1, o - 1, v - 1]


# ------------------------------------------------------------------ entry point
@dataclass
class CrisisScore:
    model: str
    brier: float
    skill: float  # vs the power x violence base rates
    mean_predicted: list[float]
    observed: list[float]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CrisisBacktest:
    data: CrisisData
    seed: int
    test_fraction: float
    n_train: int
    n_test: int
    excluded_other: int
    scores: list[CrisisScore]
    calibration: CrisisCalibration | None
    base_table: dict[str, list[float]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "analysis": "backtest-crises",
            "file": self.data.path,
            "sha256": self.data.sha256,
            "records": len(self.data.actors),
            "excluded_other": self.excluded_other,
            "seed": self.seed,
            "test_fraction": self.test_fraction,
            "train_actors": self.n_train,
            "test_actors": self.n_test,
            "classes": list(CLASSES),
            "scores": [s.to_dict() for s in self.scores],
            "base_rates_power_x_violence": self.base_table,
            "war_bargaining": None if self.calibration is None else {
                **self.calibration.params(), "train_brier": self.calibration.train_brier,
                "grid": self.calibration.grid_results,
            },
        }  # fmt: skip

    def tables(self) -> list[Table]:
        f = lambda xs: " / ".join(f"{x:.2f}" for x in xs)  # noqa: E731
        rows = [[s.model, f"{s.brier:.4f}", f"{s.skill:+.3f}", f(s.mean_predicted), f(s.observed)]
                for s in sorted(self.scores, key=lambda s: s.brier)]  # fmt: skip
        t = [
            Table(
                f"Crisis outcomes (ICB): {self.n_test} test actors ({self.n_train} training), split by crisis, seed {self.seed}",
                ["model", "Brier", "skill vs base rates", "mean P (V/C/S/D)", "observed (V/C/S/D)"],
                rows,
                f"multi-class Brier (0 best, 2 worst); skill = 1 - Brier/Brier(power x violence base rates); "
                f"{self.excluded_other} record(s) with outcome 'other' not scored",
            )
        ]
        brows = [[k] + [f"{x:.2f}" for x in v] for k, v in self.base_table.items()]
        t.append(Table("Base rates by (power, violence), training crises, shrunk to the margin",
                       ["power, violence", *CLASSES], brows))  # fmt: skip
        if self.calibration is not None:
            c = self.calibration
            t.append(Table("War-bargaining layer calibrated on the training crises",
                           ["beta", "optimism", "horizon (battles per violence step)", "theta", "training Brier"],
                           [[f"{c.beta:g}", f"{c.optimism:g}", f"{c.horizon:g}", f"{c.theta:g}", f"{c.train_brier:.4f}"]]))  # fmt: skip
        return t


def run_crisis_backtest(
    data: CrisisData,
    seed: int = DEFAULT_SEED,
    test_fraction: float = TEST_FRACTION,
    draws: int = 2000,
    calibration_draws: int = 300,
    grid_values: dict[str, Sequence[float]] | None = None,
    bargaining: bool = True,
) -> CrisisBacktest:
    actors = data.scorable
    if len(actors) < 10:
        raise ScenarioError(f"only {len(actors)} scorable record(s); the backtest needs at least 10", data.path)
    train, test = split_by_crisis(actors, seed, test_fraction)
    obs = onehot(test)
    preds: dict[str, np.ndarray] = {"uniform": np.full((len(test), len(CLASSES)), 1.0 / len(CLASSES))}
    preds["marginal"], _ = base_rates(train, test, None)
    preds["base-rates power"], _ = base_rates(train, test, lambda a: a.power)
    preds["base-rates violence"], _ = base_rates(train, test, lambda a: a.violence)
    preds["base-rates power x violence"], table = base_rates(train, test, lambda a: (a.power, a.violence))
    cal = None
    if bargaining:
        cal = calibrate_bargaining(train, grid_values, draws=calibration_draws, seed=seed)
        preds["war-bargaining"] = bargaining_probabilities(test, cal, draws, seed)
    ref = brier(preds["base-rates power x violence"], obs)
    scores = [
        CrisisScore(k, brier(p, obs), 1 - brier(p, obs) / ref if ref > 0 else math.nan, p.mean(0).tolist(), obs.mean(0).tolist())
        for k, p in preds.items()
    ]
    return CrisisBacktest(data, seed, test_fraction, len(train), len(test),
                          len(data.actors) - len(actors), scores, cal, table)  # fmt: skip


def crisis_repeats(results: list[CrisisBacktest]) -> tuple[dict[str, Any], Table]:
    """Brier score per model over repeated splits (mean, sd, splits won)."""
    per = [{s.model: {"brier": s.brier} for s in r.scores} for r in results]
    summ = repeat_summary(per, {"brier": True})
    seeds = ", ".join(str(r.seed) for r in results)
    return summ, repeat_table(summ, {"brier": "Brier"}, f"Crisis outcomes over {len(results)} seeded splits (seeds {seeds})", "brier")
