"""Crisis outcomes (ICB): base rates, a calibrated multinomial model and the war-bargaining layer.

``load actors -> seeded split by crisis -> fit on training crises -> P(victory, compromise,
stalemate, defeat) per test actor -> multi-class Brier and log score``.

Data: the International Crisis Behavior project's actor-level records (version 16): one
record per crisis actor with its ``outcome`` (victory / compromise / stalemate / defeat as
the actor perceived it; ``other`` is kept in the counts but cannot be scored on the four
classes), its power status (small / middle / great / super), the gravity of the threat,
whether the crisis lies in a protracted conflict, the number of actors involved and the
year.  ``violence`` (the crisis's highest level of violence) is an *outcome* of the same
crisis and is never used as an input.  The split is by crisis (``crisno``) so that no
crisis has actors on both sides of it.

Models:

* ``uniform``: 1/4 for every class (the no-information reference);
* ``marginal``: the training outcome shares; ``base-rates power``: the training shares by
  power status, shrunk toward the marginal shares with ``SHRINK`` = 4 pseudo-records.
  These two are the base rates a forecast has to beat;
* ``calibrated logit``: a ridge multinomial logit on pre-crisis covariates only (power
  status and the strongest other crisis actor's, gravity, protracted conflict, log number
  of actors involved, era, a lone-crisis-actor flag), its penalty chosen by crisis-grouped
  5-fold cross-validation on the training split only (scikit-learn);
* ``war-bargaining``: the war layer's simulator
  (:func:`realpolitik.models.war.simulator.simulate_war`) with the actor as side A:
  battle odds ``1 / (1 + exp(-beta (r_actor - r_opponent)))`` from power ranks, mutual
  optimism ``optimism * Exp(1)`` on the logit scale, Beta beliefs of 4 pseudo-battles,
  per-battle cost 0.02, at most ``horizon`` battles; a military win is victory, a loss
  defeat, no settlement stalemate, settlement terms ``x >= 1 - theta`` victory,
  ``x <= theta`` defeat, else compromise; ``beta``, ``optimism``, ``horizon``, ``theta``
  by the training Brier score.  ICB codes each crisis actor's *perceived* outcome and 155
  crises have a single crisis actor, whose adversary was not itself in crisis: for them
  (and where the adversaries' power is unknown) the class probabilities are averaged over
  the training distribution of opponent ranks rather than read at one plugged-in rank;
* ``calibrated logit + war layer``: the logit with the war layer's log class
  probabilities as four more features; their weights are learned (and penalised) like the
  others, and the war layer counts as skill only if this model beats the logit without it
  on held-out crises.

References
----------
[Brecher2000] Brecher, M. & Wilkenfeld, J. (2000). *A Study of Crisis*. University of Michigan Press;
ICB data version 16 (Brecher, Wilkenfeld, Beardsley, James & Quinn), actor level.
[Brier1950] Brier, G. W. (1950). Verification of forecasts expressed in terms of probability.
*Monthly Weather Review* 78(1), 1-3 (the multi-class score used here).
[Gneiting2007] Gneiting, T. & Raftery, A. E. (2007). Strictly proper scoring rules. *JASA* 102(477).
[SmithStam2004] Smith, A. & Stam, A. C. (2004). Bargaining and the nature of war. *JCR* 48(6).
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

from realpolitik.analysis.backtest.scoring import (
    DEFAULT_SEED,
    TEST_FRACTION,
    brier,
    log_score,
    paired_bootstrap,
    repeat_summary,
    repeat_table,
    split,
)
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
    gravity: int = 0  # gravity of the threat at the trigger (ICB 0-7)
    protracted: bool = False  # the crisis occurs within a protracted conflict
    n_actors: int = 0  # ICB's count of actors involved
    lone: bool = False  # the only crisis actor of its crisis (ICB codes its perceived outcome)


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
                        str(r["power"]).strip().lower(), v, rank, max(known) if known else 0,
                        int(r.get("gravity") or 0), bool(r.get("protracted")), int(r.get("n_actors") or 0),
                        len(by_crisis[cr]) == 1)
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
def _ranks(actors: Sequence[CrisisActor], fill: int) -> tuple[np.ndarray, np.ndarray]:
    r = np.array([a.rank or fill for a in actors])
    o = np.array([a.opp_rank for a in actors])  # 0: no other crisis actor (lone) or unknown
    return r, o


def simulate_cells(beta: float, optimism: float, horizon: float, draws: int, seed: int):
    """Outcome codes and terms for every cell ``(rank, opponent rank)``: arrays
    ``[4, 4, draws]`` indexed by ``rank - 1, opp - 1``.  Fighting lasts at most
    ``horizon`` battles: the crisis's violence is an outcome of the crisis, not an input."""
    from realpolitik.models.war.simulator import WarParams, make_integrator, simulate_war

    rng = np.random.default_rng(seed)
    ra, ro = np.meshgrid(np.arange(1, 5), np.arange(1, 5), indexing="ij")
    diff = (ra - ro).ravel()
    p = np.clip(np.repeat(1.0 / (1.0 + np.exp(-beta * diff)), draws), 1e-3, 1 - 1e-3)
    lp = np.log(p) - np.log1p(-p)
    lam = optimism * rng.exponential(1.0, size=p.size)
    mA = 1.0 / (1.0 + np.exp(-(lp + lam)))
    mB = 1.0 / (1.0 + np.exp(-(lp - lam)))
    par = WarParams(N=10, k0=5, kappa_A=KAPPA, kappa_B=KAPPA, max_battles=int(round(horizon)), belief_eval="plug_in")
    paths = simulate_war(
        par, p, (mA * CONCENTRATION, (1 - mA) * CONCENTRATION), (mB * CONCENTRATION, (1 - mB) * CONCENTRATION),
        rng=rng, integrator=make_integrator(par),
    )  # fmt: skip
    return paths.outcome.reshape(4, 4, draws), paths.terms.reshape(4, 4, draws)


def cell_probabilities(codes: np.ndarray, terms: np.ndarray, theta: float) -> np.ndarray:
    """``[4, 4, class]`` shares of victory / compromise / stalemate / defeat."""
    from realpolitik.models.war.simulator import A_VICTORY, B_VICTORY, CONTINUING, SETTLED

    settled = codes == SETTLED
    x = np.where(settled, terms, 0.5)
    vic = (codes == A_VICTORY) | (settled & (x >= 1 - theta))
    dft = (codes == B_VICTORY) | (settled & (x <= theta))
    comp = settled & ~vic & ~dft
    stal = codes == CONTINUING
    return np.stack([vic.mean(-1), comp.mean(-1), stal.mean(-1), dft.mean(-1)], axis=-1)


def layer_probabilities(cells: np.ndarray, actors: Sequence[CrisisActor], fill: int, opp_share: np.ndarray) -> np.ndarray:
    """The war layer's class probabilities per actor.  A lone crisis actor (ICB records its
    perceived outcome against an adversary that was not itself a crisis actor) or one whose
    adversaries' power is unknown gets the average over the training distribution of
    opponent ranks ``opp_share [4]``, not one plugged-in opponent."""
    r, o = _ranks(actors, fill)
    known = cells[r - 1, np.maximum(o, 1) - 1]
    mixed = np.einsum("nok,o->nk", cells[r - 1], opp_share)
    return np.where((o > 0)[:, None], known, mixed)


@dataclass
class CrisisCalibration:
    beta: float
    optimism: float
    horizon: float
    theta: float
    train_brier: float
    fill_rank: int
    opp_share: list[float] = field(default_factory=list)
    grid_results: list[dict[str, float]] = field(default_factory=list)

    def params(self) -> dict[str, Any]:
        return {"beta": self.beta, "optimism": self.optimism, "horizon": self.horizon, "theta": self.theta,
                "concentration": CONCENTRATION, "kappa": KAPPA, "fill_rank": self.fill_rank,
                "opponent_rank_shares": self.opp_share}  # fmt: skip


def calibrate_bargaining(
    train: Sequence[CrisisActor],
    grid_values: dict[str, Sequence[float]] | None = None,
    thetas: Sequence[float] = THETAS,
    draws: int = 300,
    seed: int = DEFAULT_SEED,
) -> CrisisCalibration:
    gv = {**DEFAULT_GRID, **(grid_values or {})}
    fill = int(np.median([a.rank for a in train if a.rank])) if any(a.rank for a in train) else 2
    opp = np.array([sum(1 for a in train if a.opp_rank == k) for k in range(1, 5)], dtype=float)
    opp_share = opp / opp.sum() if opp.sum() > 0 else np.full(4, 0.25)
    obs = onehot(train)
    best: CrisisCalibration | None = None
    results = []
    for beta, lam, hz in itertools.product(gv["beta"], gv["optimism"], gv["horizon"]):
        codes, terms = simulate_cells(beta, lam, hz, draws, seed)
        for th in thetas:
            P = layer_probabilities(cell_probabilities(codes, terms, th), train, fill, opp_share)
            b = brier(P, obs)
            results.append({"beta": beta, "optimism": lam, "horizon": hz, "theta": th, "train_brier": b})
            if best is None or b < best.train_brier:
                best = CrisisCalibration(beta, lam, hz, th, b, fill, opp_share.tolist())
    assert best is not None
    best.grid_results = results
    return best


def bargaining_probabilities(actors: Sequence[CrisisActor], cal: CrisisCalibration, draws: int, seed: int) -> np.ndarray:
    codes, terms = simulate_cells(cal.beta, cal.optimism, cal.horizon, draws, seed + 1)
    return layer_probabilities(cell_probabilities(codes, terms, cal.theta), actors, cal.fill_rank,
                               np.asarray(cal.opp_share))  # fmt: skip


# ------------------------------------------------------------------ calibrated multinomial model
#: the regularisation strengths tried by crisis-grouped cross-validation (inverse ridge penalty)
C_GRID = tuple(float(c) for c in np.logspace(-3, 1, 9))
CV_FOLDS = 5
ERAS = ((0, 1945), (1945, 1990), (1990, 10_000))


def covariates(actors: Sequence[CrisisActor]) -> tuple[np.ndarray, list[str]]:
    """Pre-crisis covariates only (never ``violence``, an outcome of the same crisis):
    power status and the strongest other actor's (one-hot, unknown as its own level), gravity
    of the threat, protracted conflict, log number of actors involved, era, lone crisis actor."""
    names: list[str] = []
    cols: list[np.ndarray] = []
    for k, label in enumerate(("unknown", "small", "middle", "great", "super")):
        cols.append(np.array([a.rank == k for a in actors], float))
        names.append(f"power={label}")
        cols.append(np.array([a.opp_rank == k and not a.lone for a in actors], float))
        names.append(f"strongest other actor={label}")
    cols.append(np.array([a.gravity for a in actors], float))
    names.append("gravity")
    cols.append(np.array([a.protracted for a in actors], float))
    names.append("protracted conflict")
    cols.append(np.log1p([max(a.n_actors, 0) for a in actors]))
    names.append("log(1 + actors involved)")
    for lo, hi in ERAS[1:]:
        cols.append(np.array([lo <= a.year < hi for a in actors], float))
        names.append(f"era {lo}-{hi - 1 if hi < 10_000 else ''}".rstrip("-"))
    cols.append(np.array([a.lone for a in actors], float))
    names.append("lone crisis actor")
    return np.column_stack(cols), names


@dataclass
class LogitFit:
    """A ridge multinomial logit tuned by crisis-grouped cross-validation on the training split."""

    C: float
    cv_brier: dict[float, float]
    pipeline: Any = field(repr=False)
    features: list[str] = field(default_factory=list)

    def predict(self, X: np.ndarray) -> np.ndarray:
        # columns in CLASSES order (the classes are coded 0..3)
        P = np.zeros((X.shape[0], len(CLASSES)))
        P[:, self.pipeline.classes_] = self.pipeline.predict_proba(X)
        return P


def fit_logit(X: np.ndarray, y: np.ndarray, groups: np.ndarray, features: list[str], seed: int) -> LogitFit:
    """Choose the ridge strength by grouped K-fold CV (crises never straddle folds) on the
    multi-class Brier score, then refit on the whole training split."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def model(C: float):
        return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))

    folds = list(GroupKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed % (2**32)).split(X, y, groups))
    onehot_y = np.eye(len(CLASSES))[y]
    cv: dict[float, float] = {}
    for C in C_GRID:
        scores = []
        for tr, va in folds:
            m = model(C).fit(X[tr], y[tr])
            P = np.zeros((len(va), len(CLASSES)))
            P[:, m.classes_] = m.predict_proba(X[va])
            scores.append(brier(P, onehot_y[va]))
        cv[C] = float(np.mean(scores))
    best = min(cv, key=lambda c: (cv[c], c))
    return LogitFit(best, cv, model(best).fit(X, y), features)


# ------------------------------------------------------------------ entry point
#: the base rates every forecast must beat (pre-crisis information only)
BASE_RATES = ("marginal", "base-rates power")
LOGIT = "calibrated logit"
LOGIT_WAR = "calibrated logit + war layer"


@dataclass
class CrisisScore:
    model: str
    brier: float
    skill: float  # 1 - Brier / Brier of the best base rate on this split
    mean_predicted: list[float]
    observed: list[float]
    log_score: float = math.nan  # mean log P(observed class), floored at 1e-4 (higher is better)
    #: Brier minus the better base rate's, and its paired-bootstrap 95 % interval over test crises
    delta: float = math.nan
    delta_lo: float = math.nan
    delta_hi: float = math.nan

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
    logit: LogitFit | None = None
    logit_war: LogitFit | None = None
    reliability: list[dict[str, Any]] = field(default_factory=list)

    def score(self, model: str) -> CrisisScore | None:
        return next((s for s in self.scores if s.model == model), None)

    @property
    def base_brier(self) -> float:
        return min(s.brier for s in self.scores if s.model in BASE_RATES)

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
            "base_rates_power": self.base_table,
            "logit": None if self.logit is None else {
                "C": self.logit.C, "cv_brier": {str(k): v for k, v in self.logit.cv_brier.items()},
                "features": self.logit.features,
                "standardised_coefficients": {
                    CLASSES[k]: dict(zip(self.logit.features, row))
                    for k, row in zip(self.logit.pipeline[-1].classes_, self.logit.pipeline[-1].coef_.tolist())
                },
            },
            "logit_with_war_layer": None if self.logit_war is None else {
                "C": self.logit_war.C, "cv_brier": {str(k): v for k, v in self.logit_war.cv_brier.items()},
            },
            "reliability": self.reliability,
            "war_bargaining": None if self.calibration is None else {
                **self.calibration.params(), "train_brier": self.calibration.train_brier,
                "grid": self.calibration.grid_results,
            },
        }  # fmt: skip

    def tables(self) -> list[Table]:
        f = lambda xs: " / ".join(f"{x:.2f}" for x in xs)  # noqa: E731
        rows = [[s.model, f"{s.brier:.4f}", f"{s.log_score:.3f}", f"{s.skill:+.3f}",
                 f"{s.delta:+.4f} [{s.delta_lo:+.4f}, {s.delta_hi:+.4f}]", f(s.mean_predicted), f(s.observed)]
                for s in sorted(self.scores, key=lambda s: s.brier)]  # fmt: skip
        t = [
            Table(
                f"Crisis outcomes (ICB): {self.n_test} test actors ({self.n_train} training), split by crisis, seed {self.seed}",
                ["model", "Brier", "log score", "skill vs base rates", "Brier vs base rates [95% CI]",
                 "mean P (V/C/S/D)", "observed (V/C/S/D)"],
                rows,
                f"multi-class Brier (0 best, 2 worst) and log score (higher is better); skill = 1 - Brier/Brier of the "
                f"better base rate (marginal or by power), with a paired-bootstrap interval over test crises "
                f"(a crisis's actors resampled together); pre-crisis covariates only (violence is an outcome of "
                f"the crisis, never an input); {self.excluded_other} record(s) with outcome 'other' not scored",
            )
        ]
        if self.reliability:
            t.append(Table(
                "Reliability of the calibrated logit (test actors; one-vs-rest, the four classes pooled)",
                ["P(class)", "n", "mean predicted", "observed", "observed 90% interval"],
                [[r["bin"], r["n"], "-" if r["mean_predicted"] is None else f"{r['mean_predicted']:.2f}",
                  "-" if r["observed"] is None else f"{r['observed']:.2f}",
                  "-" if r["observed"] is None else f"{r['observed_low']:.2f}-{r['observed_high']:.2f}"]
                 for r in self.reliability],
                _reliability_note(self.reliability),
            ))  # fmt: skip
        brows = [[k] + [f"{x:.2f}" for x in v] for k, v in self.base_table.items()]
        t.append(Table("Base rates by power status, training crises, shrunk to the margin",
                       ["power", *CLASSES], brows))  # fmt: skip
        if self.logit is not None:
            gain = ""
            if self.logit_war is not None:
                a, b = self.score(LOGIT), self.score(LOGIT_WAR)
                gain = (f"; the war layer as a feature: held-out Brier {b.brier:.4f} vs {a.brier:.4f} without it - "
                        + ("it adds skill on this split" if b.brier < a.brier else "no gain, so it is not counted as skill"))  # fmt: skip
            t.append(Table(
                "Calibrated logit: ridge strength chosen by crisis-grouped 5-fold CV on the training crises",
                ["C (inverse penalty)", "CV Brier"],
                [[f"{c:g}" + (" (chosen)" if c == self.logit.C else ""), f"{v:.4f}"] for c, v in self.logit.cv_brier.items()],
                "features: " + ", ".join(self.logit.features) + gain,
            ))  # fmt: skip
        if self.calibration is not None:
            c = self.calibration
            t.append(Table("War-bargaining layer calibrated on the training crises",
                           ["beta", "optimism", "horizon (battles)", "theta", "training Brier"],
                           [[f"{c.beta:g}", f"{c.optimism:g}", f"{c.horizon:g}", f"{c.theta:g}", f"{c.train_brier:.4f}"]],
                           "lone crisis actors and unknown adversaries: averaged over the training opponents' ranks"))  # fmt: skip
        return t


def run_crisis_backtest(
    data: CrisisData,
    seed: int = DEFAULT_SEED,
    test_fraction: float = TEST_FRACTION,
    draws: int = 2000,
    calibration_draws: int = 300,
    grid_values: dict[str, Sequence[float]] | None = None,
    bargaining: bool = True,
    logit: bool = True,
) -> CrisisBacktest:
    """Split by crisis; fit the base rates, the calibrated logit (and the war layer and the
    logit with the war layer's probabilities as features) on the training crises only;
    score every model on the test crises."""
    actors = data.scorable
    if len(actors) < 10:
        raise ScenarioError(f"only {len(actors)} scorable record(s); the backtest needs at least 10", data.path)
    train, test = split_by_crisis(actors, seed, test_fraction)
    obs = onehot(test)
    preds: dict[str, np.ndarray] = {"uniform": np.full((len(test), len(CLASSES)), 1.0 / len(CLASSES))}
    preds["marginal"], _ = base_rates(train, test, None)
    preds["base-rates power"], table = base_rates(train, test, lambda a: a.power)
    cal = fit = fit_war = None
    if bargaining:
        cal = calibrate_bargaining(train, grid_values, draws=calibration_draws, seed=seed)
        preds["war-bargaining"] = bargaining_probabilities(test, cal, draws, seed)
    reliability: list[dict[str, Any]] = []
    if logit:
        Xtr, names = covariates(train)
        Xte, _ = covariates(test)
        ytr = np.array([CLASSES.index(a.outcome) for a in train])
        gtr = np.array([a.crisno for a in train])
        fit = fit_logit(Xtr, ytr, gtr, names, seed)
        preds[LOGIT] = fit.predict(Xte)
        reliability = _reliability(preds[LOGIT], obs)
        if cal is not None:
            wtr = np.log(np.maximum(bargaining_probabilities(train, cal, draws, seed), 1e-3))
            wte = np.log(np.maximum(preds["war-bargaining"], 1e-3))
            wnames = [f"war layer log P({c})" for c in CLASSES]
            fit_war = fit_logit(np.hstack([Xtr, wtr]), ytr, gtr, names + wnames, seed)
            preds[LOGIT_WAR] = fit_war.predict(np.hstack([Xte, wte]))
    ref = min(brier(preds[k], obs) for k in BASE_RATES)
    best = min(BASE_RATES, key=lambda k: brier(preds[k], obs))
    crisis = np.array([a.crisno for a in test])
    ids = np.unique(crisis)

    def per_crisis(p: np.ndarray) -> np.ndarray:  # actors of one crisis are one unit of the bootstrap
        b = ((p - obs) ** 2).sum(axis=1)
        return np.array([b[crisis == c].mean() for c in ids])

    ref_units = per_crisis(preds[best])
    scores = []
    for k, p in preds.items():
        d = paired_bootstrap(per_crisis(p), ref_units, seed=seed) if k != best else (0.0, 0.0, 0.0)
        scores.append(CrisisScore(k, brier(p, obs), 1 - brier(p, obs) / ref if ref > 0 else math.nan,
                                  p.mean(0).tolist(), obs.mean(0).tolist(), log_score(p, obs), *d))  # fmt: skip
    return CrisisBacktest(data, seed, test_fraction, len(train), len(test), len(data.actors) - len(actors),
                          scores, cal, table, fit, fit_war, reliability)  # fmt: skip


def _reliability_note(rows: list[dict[str, Any]]) -> str:
    """Say, bin by bin, whether the observed frequency's interval contains the mean forecast."""
    full = [r for r in rows if r["n"]]
    off = [r["bin"] for r in full if not r["observed_low"] <= r["mean_predicted"] <= r["observed_high"]]
    head = (f"the observed frequency's 90 % Wilson interval contains the mean predicted probability in "
            f"{len(full) - len(off)} of {len(full)} non-empty bins")  # fmt: skip
    return head + (f"; not in {', '.join(off)}" if off else "")


def _reliability(P: np.ndarray, obs: np.ndarray) -> list[dict[str, Any]]:
    from realpolitik.analysis.backtest.scoring import reliability

    return reliability(P.ravel(), obs.ravel(), bins=5)


def crisis_repeats(results: list[CrisisBacktest]) -> tuple[dict[str, Any], Table]:
    """Brier and log score per model over repeated splits (mean, sd, splits won), and how
    often the calibrated logit beat both base rates."""
    per = [{s.model: {"brier": s.brier, "log_score": s.log_score} for s in r.scores} for r in results]
    summ = repeat_summary(per, {"brier": True, "log_score": False})
    seeds = ", ".join(str(r.seed) for r in results)
    table = repeat_table(summ, {"brier": "Brier", "log_score": "log score"},
                         f"Crisis outcomes over {len(results)} seeded splits (seeds {seeds})", "brier")  # fmt: skip
    notes = []
    for name in (LOGIT, LOGIT_WAR, "war-bargaining"):
        won = [r.score(name).brier < r.base_brier for r in results if r.score(name) is not None]
        if won:
            summ.setdefault(name, {})["beats_base_rates"] = int(sum(won))
            notes.append(f"{name} beats both base rates on {sum(won)} of {len(won)} splits")
    gain = [r.score(LOGIT_WAR).brier < r.score(LOGIT).brier for r in results
            if r.score(LOGIT_WAR) is not None and r.score(LOGIT) is not None]  # fmt: skip
    if gain:
        notes.append(f"adding the war layer as a feature improves the held-out Brier on {sum(gain)} of {len(gain)} splits")
    table.note = (table.note or "") + ("; " + "; ".join(notes) if notes else "")
    return summ, table
