"""War durations: survival baselines and the war simulator, scored on held-out wars.

``load wars -> seeded split by war -> fit on training wars -> predictive CDF per test war -> score``.

Data: the MIC interstate wars as shipped by stevedata (``states_war.csv``: one row
per state participant; ``micnum`` the war, ``sidea`` the initiating side, ``maxdur``
the participant's duration in days, ``cinc`` capabilities, ``polity2`` regime).  One
war is one unit: its duration is the longest participant's ``maxdur``; side A's
capability share is ``sum cinc(A) / sum cinc(A and B)``; each side's regime score is
the capability-weighted mean ``polity2`` of its members (missing values: the training
median).  Fatalities are *not* used: they are measured when the war is over.

Models (each gives a predictive distribution of the duration of every test war, as a
CDF on a one-day grid up to 100 years):

* ``kaplan-meier``: the training wars' Kaplan-Meier curve (no covariates);
* ``weibull-aft``: lifelines' Weibull accelerated failure time model;
* ``cox``: lifelines' Cox proportional hazards model (Breslow baseline);
  covariates of both: side A's capability share, the imbalance ``|2 share - 1|``, and
  the two sides' regime scores / 10 (Bennett & Stam 1996);
* ``war-simulator``: the war layer's simulator
  (:func:`realpolitik.models.war.simulator.simulate_war`: gambler's-ruin front line,
  Beta beliefs, settlement when a deal exists), mapped to a war by (docs/backtests.md)

  - per-battle odds of side A from its capability share with a contest success
    function, ``p = s^g / (s^g + (1 - s)^g)`` (Hirshleifer 1989; ``g`` = decisiveness);
  - mutual optimism: in each draw both sides overrate their own odds by ``l`` on the
    logit scale, ``l = optimism * Exp(1)``; beliefs are Beta with ``concentration``
    pseudo-battles (Smith & Stam 2004's non-common priors);
  - per-battle cost ``kappa`` for both sides; front N = 10, start k0 = 5;
  - a draw's duration is ``days_per_battle * (battles - 1 + U)``, ``U`` uniform on
    (0, 1) (the war ends during its last battle's period); a draw that settles before
    any battle predicts no war, duration 0 (the forecast is not conditioned on fighting);

  ``g``, ``optimism``, ``concentration`` and ``kappa`` are chosen on a grid and
  ``days_per_battle`` by a one-dimensional search, all minimising the mean CRPS on the
  *training* wars only.

Scores on the test wars: CRPS (days), the binned log score over duration classes,
the absolute error of the predicted median, and the Brier score and calibration of
``P(ends within 365 days)``.

References
----------
[Gibler2024] Gibler, D. M. & Miller, S. V. (2024). The Militarized Interstate Confrontation data,
v1.01 (via the R package stevedata).
[BennettStam1996] Bennett, D. S. & Stam, A. C. (1996). The duration of interstate wars, 1816-1985. *APSR*
90(2), 239-257.
[SmithStam2004] Smith, A. & Stam, A. C. (2004). Bargaining and the nature of war. *JCR* 48(6), 783-813.
[Hirshleifer1989] Hirshleifer, J. (1989). Conflict and rent-seeking success functions: ratio vs.
difference models of relative success. *Public Choice* 63, 101-112.
[Gneiting2007] Gneiting, T. & Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and
estimation. *JASA* 102(477), 359-378 (CRPS, log score).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from realpolitik.analysis.backtest.scoring import (
    DEFAULT_SEED,
    TEST_FRACTION,
    calibration_table,
    crps_cdf,
    paired_bootstrap,
    repeat_summary,
    repeat_table,
    split,
)
from realpolitik.errors import Problem, ScenarioError
from realpolitik.models.base import Table

HORIZON_DAYS = 36_500  # grid end: 100 years
ONE_YEAR = 365
#: duration classes of the binned log score (days): 1 month, 3 and 6 months, 1, 2, 4, 8 years
LOG_BINS = (0, 30, 91, 182, 365, 730, 1461, 2922, math.inf)
LOG_FLOOR = 1e-4
COVARIATES = ("cap_share_a", "cap_imbalance", "polity_a", "polity_b")
REQUIRED_COLUMNS = ("micnum", "sidea", "maxdur", "cinc", "polity2")

#: default calibration grid of the simulator (days_per_battle is searched separately)
DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "decisiveness": (0.0625, 0.125, 0.25, 0.5, 1.0),
    "optimism": (0.5, 1.0, 2.0, 4.0),
    "concentration": (2.0, 8.0, 32.0),
    "kappa": (0.002, 0.01, 0.05),
}
MAX_BATTLES = 300


# ------------------------------------------------------------------ data
@dataclass(frozen=True)
class War:
    micnum: int
    duration: float  # days
    share_a: float
    polity_a: float  # NaN when no member has a score
    polity_b: float
    n_a: int
    n_b: int


@dataclass
class WarData:
    path: str
    sha256: str
    rows: int
    wars: list[War]


def _f(text: str) -> float:
    t = (text or "").strip()
    if t in ("", "NA", "NaN", "nan", "-9"):
        return math.nan
    return float(t)


def parse_wars(raw: bytes, name: str) -> WarData:
    """One :class:`War` per ``micnum`` from the participant rows; ScenarioError for bad input."""
    text = raw.decode("utf-8-sig", errors="replace")
    if not text.strip():
        raise ScenarioError("file is empty", name)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ScenarioError([Problem(f"{name}:1", f"missing column {c!r} (expected the MIC states_war layout)") for c in missing])
    problems: list[Problem] = []
    rows: dict[int, list[dict[str, float]]] = {}
    n = 0
    for r, row in enumerate(reader, start=2):
        n += 1
        rec: dict[str, float] = {}
        for c in REQUIRED_COLUMNS:
            try:
                rec[c] = _f(row.get(c, ""))
            except ValueError:
                problems.append(Problem(f"{name}:{r}:{c}", f"{row.get(c)!r} is not a number"))
        if problems and len(problems) > 50:
            break
        if any(c in rec and not math.isfinite(rec[c]) for c in ("micnum", "sidea", "maxdur")):
            problems.append(Problem(f"{name}:{r}", "micnum, sidea and maxdur are required in every row"))
            continue
        if any(c not in rec for c in ("micnum", "sidea", "maxdur")):
            continue  # reported above as not a number
        if rec["maxdur"] <= 0:
            problems.append(Problem(f"{name}:{r}:maxdur", f"duration {rec['maxdur']:g} must be > 0 days"))
            continue
        rows.setdefault(int(rec["micnum"]), []).append(rec)
    if problems:
        raise ScenarioError(problems[:50])
    wars = []
    for mic, rs in sorted(rows.items()):
        a = [x for x in rs if x["sidea"] == 1]
        b = [x for x in rs if x["sidea"] != 1]
        if not a or not b:
            continue  # a war needs two sides (never the case in MIC)
        ca = np.nansum([x["cinc"] for x in a])
        cb = np.nansum([x["cinc"] for x in b])
        share = ca / (ca + cb) if ca + cb > 0 else 0.5
        wars.append(
            War(mic, max(x["maxdur"] for x in rs), float(share), _regime(a), _regime(b), len(a), len(b))
        )
    return WarData(name, hashlib.sha256(raw).hexdigest(), n, wars)


def _regime(side: list[dict[str, float]]) -> float:
    pol = np.array([x["polity2"] for x in side])
    w = np.array([x["cinc"] for x in side])
    ok = np.isfinite(pol)
    if not ok.any():
        return math.nan
    ww = np.where(np.isfinite(w[ok]) & (w[ok] > 0), w[ok], 0.0)
    return float(np.average(pol[ok], weights=ww) if ww.sum() > 0 else pol[ok].mean())


def load_wars(path: str | Path) -> WarData:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", str(path)) from None
    return parse_wars(raw, str(path))


def covariates(wars: Sequence[War], medians: tuple[float, float] | None = None):
    """Covariate table (pandas) and the polity medians used to fill gaps."""
    import pandas as pd

    pa = np.array([w.polity_a for w in wars])
    pb = np.array([w.polity_b for w in wars])
    if medians is None:
        medians = (float(np.nanmedian(pa)), float(np.nanmedian(pb)))
    share = np.array([w.share_a for w in wars])
    df = pd.DataFrame(
        {
            "duration": [w.duration for w in wars],
            "event": 1,
            "cap_share_a": share,
            "cap_imbalance": np.abs(2 * share - 1),
            "polity_a": np.where(np.isfinite(pa), pa, medians[0]) / 10.0,
            "polity_b": np.where(np.isfinite(pb), pb, medians[1]) / 10.0,
        }
    )
    return df, medians


# ------------------------------------------------------------------ scores
def grid() -> np.ndarray:
    return np.arange(HORIZON_DAYS + 1, dtype=float)


def cdf_from_samples(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    xs = np.sort(x, axis=1)
    return np.stack([np.searchsorted(row, t, side="right") / row.size for row in xs])


def median_from_cdf(cdf: np.ndarray, t: np.ndarray) -> np.ndarray:
    idx = (cdf >= 0.5).argmax(axis=1)
    return np.where(cdf[:, -1] >= 0.5, t[idx], np.inf)


def binned_log_score(cdf: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """log P(duration class of y) with the classes of :data:`LOG_BINS` (floored at 1e-4)."""
    edges = np.array(LOG_BINS[1:-1], dtype=float)
    at = np.concatenate([[0.0], np.interp(edges, t, np.arange(t.size)).astype(int).astype(float)])
    # F at each edge (right-continuous on the day grid)
    F = np.concatenate([np.zeros((cdf.shape[0], 1)), cdf[:, at[1:].astype(int)], np.ones((cdf.shape[0], 1))], axis=1)
    probs = np.diff(F, axis=1)
    k = np.searchsorted(edges, y, side="left")  # class index: (edge[k-1], edge[k]]
    return np.log(np.maximum(probs[np.arange(len(y)), k], LOG_FLOOR))


@dataclass
class DurationScore:
    model: str
    crps: float
    log_score: float
    median_mae: float
    brier_1y: float
    mean_p1y: float
    observed_1y: float
    calibration: list[dict[str, Any]]
    per_war: list[dict[str, Any]] = field(default_factory=list)
    coverage50: float = math.nan  # share of test wars inside the central 50 % predictive interval
    coverage80: float = math.nan  # ... inside the central 80 % interval

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def score_cdf(name: str, cdf: np.ndarray, wars: Sequence[War], t: np.ndarray) -> DurationScore:
    y = np.array([w.duration for w in wars])
    crps = crps_cdf(cdf, y, t)
    ls = binned_log_score(cdf, y, t)
    med = median_from_cdf(cdf, t)
    p1 = cdf[:, ONE_YEAR]
    o1 = (y <= ONE_YEAR).astype(float)
    per = [
        {"micnum": w.micnum, "duration": w.duration, "median": float(m), "p_1y": float(p), "crps": float(c)}
        for w, m, p, c in zip(wars, med, p1, crps)
    ]
    # where each outcome falls in its predictive distribution: inside the central 50 % / 80 %
    # intervals when its CDF value lies in (0.25, 0.75] / (0.10, 0.90]
    u = cdf[np.arange(len(y)), np.clip(np.searchsorted(t, y), 0, t.size - 1)]
    return DurationScore(
        name, float(crps.mean()), float(ls.mean()), float(np.mean(np.abs(med - y))), float(np.mean((p1 - o1) ** 2)),
        float(p1.mean()), float(o1.mean()), calibration_table(p1, o1), per,
        float(np.mean((u > 0.25) & (u <= 0.75))), float(np.mean((u > 0.10) & (u <= 0.90))),
    )  # fmt: skip


# ------------------------------------------------------------------ survival baselines
def _cap_after_last(S: np.ndarray, t: np.ndarray, t_last: float) -> np.ndarray:
    """Survival beyond the last training event is undefined: set it to 0 (CDF 1)."""
    S = S.copy()
    S[:, t > t_last] = 0.0
    return S


def kaplan_meier_cdf(train: Sequence[War], n_test: int, t: np.ndarray) -> np.ndarray:
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter().fit([w.duration for w in train], [1] * len(train))
    S = np.asarray(km.survival_function_at_times(t), dtype=float)[None, :]
    S = _cap_after_last(S, t, max(w.duration for w in train))
    return np.repeat(1.0 - S, n_test, axis=0)


def weibull_aft_cdf(train: Sequence[War], test: Sequence[War], t: np.ndarray, penalizer: float = 0.01):
    from lifelines import WeibullAFTFitter

    dtr, med = covariates(train)
    dte, _ = covariates(test, med)
    aft = WeibullAFTFitter(penalizer=penalizer).fit(dtr[["duration", "event", *COVARIATES]], "duration", "event")
    S = aft.predict_survival_function(dte[list(COVARIATES)], times=t).to_numpy().T
    return 1.0 - S, aft


def cox_cdf(train: Sequence[War], test: Sequence[War], t: np.ndarray, penalizer: float = 0.1):
    from lifelines import CoxPHFitter

    dtr, med = covariates(train)
    dte, _ = covariates(test, med)
    cph = CoxPHFitter(penalizer=penalizer).fit(dtr[["duration", "event", *COVARIATES]], "duration", "event")
    S = cph.predict_survival_function(dte[list(COVARIATES)], times=t).to_numpy().T
    S = _cap_after_last(S, t, max(w.duration for w in train))
    return 1.0 - S, cph


# ------------------------------------------------------------------ war simulator
def battle_odds(share: np.ndarray, decisiveness: float) -> np.ndarray:
    """Contest success function ``s^g / (s^g + (1-s)^g)`` (Hirshleifer 1989), clipped to (0.001, 0.999)."""
    s = np.clip(np.asarray(share, float), 1e-6, 1 - 1e-6)
    lg = decisiveness * (np.log(s) - np.log1p(-s))
    return np.clip(1.0 / (1.0 + np.exp(-lg)), 1e-3, 1 - 1e-3)


def simulate_battles(
    shares: np.ndarray,
    decisiveness: float,
    optimism: float,
    concentration: float,
    kappa: float,
    draws: int,
    seed: int,
    max_battles: int = MAX_BATTLES,
) -> tuple[np.ndarray, np.ndarray]:
    """Periods of fighting ``[war, draw]`` and, per war, P(no battle).

    A draw that fights ``b >= 1`` battles lasts ``b - 1 + U`` battle periods (``U``
    uniform on (0, 1): the war ends during its last battle's period), so that the
    duration ``days_per_battle * periods`` is continuous.  A draw that settles before
    the first battle is a war that was not fought: 0 periods.  The forecast is not
    conditioned on fighting, so a parameter set that expects these wars not to happen
    is scored (and calibrated) as the poor forecast it is.

    One vectorised call of :func:`~realpolitik.models.war.simulator.simulate_war` over
    ``wars x draws`` (plug-in belief evaluation).
    """
    from realpolitik.models.war.simulator import WarParams, make_integrator, simulate_war

    rng = np.random.default_rng(seed)
    W = len(shares)
    p = np.repeat(battle_odds(shares, decisiveness), draws)
    lam = optimism * rng.exponential(1.0, size=W * draws)
    lp = np.log(p) - np.log1p(-p)
    mA = 1.0 / (1.0 + np.exp(-(lp + lam)))
    mB = 1.0 / (1.0 + np.exp(-(lp - lam)))
    par = WarParams(N=10, k0=5, kappa_A=kappa, kappa_B=kappa, max_battles=max_battles, belief_eval="plug_in")
    paths = simulate_war(
        par, p, (mA * concentration, (1 - mA) * concentration), (mB * concentration, (1 - mB) * concentration),
        rng=rng, integrator=make_integrator(par),
    )  # fmt: skip
    B = paths.end_step.reshape(W, draws).astype(float)
    fought = B >= 1
    p_none = 1.0 - fought.mean(axis=1)
    periods = np.where(fought, B - rng.random(B.shape), 0.0)
    return periods, p_none


def best_days_per_battle(B: np.ndarray, y: np.ndarray, lo: float = 0.5, hi: float = 3000.0, n: int = 240) -> tuple[float, float]:
    """``tau`` minimising mean CRPS of ``tau * B`` against ``y`` on a log grid; (tau, CRPS)."""
    taus = np.exp(np.linspace(np.log(lo), np.log(hi), n))
    Bs = np.sort(B, axis=1)
    D = Bs.shape[1]
    coef = (2 * np.arange(1, D + 1) - D - 1) / (D * D)
    spread = (Bs * coef).sum(axis=1)  # per war, for tau = 1
    best = (math.nan, math.inf)
    for tau in taus:
        c = np.abs(tau * Bs - y[:, None]).mean(axis=1) - tau * spread
        m = float(c.mean())
        if m < best[1]:
            best = (float(tau), m)
    return best


@dataclass
class SimCalibration:
    decisiveness: float
    optimism: float
    concentration: float
    kappa: float
    days_per_battle: float
    train_crps: float
    grid_results: list[dict[str, float]] = field(default_factory=list)

    def params(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in ("decisiveness", "optimism", "concentration", "kappa", "days_per_battle")}


def calibrate_simulator(
    train: Sequence[War],
    grid_values: dict[str, Sequence[float]] | None = None,
    draws: int = 300,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
) -> SimCalibration:
    """Grid search (common random numbers: the same seed at every grid point) on training wars."""
    gv = {**DEFAULT_GRID, **(grid_values or {})}
    shares = np.array([w.share_a for w in train])
    y = np.array([w.duration for w in train])
    results = []
    best: SimCalibration | None = None
    combos = list(itertools.product(gv["decisiveness"], gv["optimism"], gv["concentration"], gv["kappa"]))
    for k, (g, lam, n0, kap) in enumerate(combos):
        B, p_none = simulate_battles(shares, g, lam, n0, kap, draws, seed)
        tau, c = best_days_per_battle(B, y)
        results.append({"decisiveness": g, "optimism": lam, "concentration": n0, "kappa": kap,
                        "days_per_battle": tau, "train_crps": c, "p_no_war": float(p_none.mean())})  # fmt: skip
        if best is None or c < best.train_crps:
            best = SimCalibration(g, lam, n0, kap, tau, c)
        if progress is not None and (k + 1) % 12 == 0:
            progress(f"calibration {k + 1}/{len(combos)}")
    assert best is not None
    best.grid_results = results
    return best


def simulator_cdf(test: Sequence[War], cal: SimCalibration, t: np.ndarray, draws: int, seed: int) -> np.ndarray:
    B, _ = simulate_battles(np.array([w.share_a for w in test]), cal.decisiveness, cal.optimism,
                            cal.concentration, cal.kappa, draws, seed + 1)  # fmt: skip
    return cdf_from_samples(cal.days_per_battle * B, t)


# ------------------------------------------------------------------ entry point
@dataclass
class WarBacktest:
    data: WarData
    seed: int
    test_fraction: float
    train: list[War]
    test: list[War]
    scores: list[DurationScore]
    calibration: SimCalibration | None
    fitted: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "analysis": "backtest-wars",
            "file": self.data.path,
            "sha256": self.data.sha256,
            "rows": self.data.rows,
            "wars": len(self.data.wars),
            "seed": self.seed,
            "test_fraction": self.test_fraction,
            "train_wars": [w.micnum for w in self.train],
            "test_wars": [w.micnum for w in self.test],
            "scores": [s.to_dict() for s in self.scores],
            "simulator": None if self.calibration is None else {
                **self.calibration.params(), "train_crps": self.calibration.train_crps,
                "grid": self.calibration.grid_results,
            },
            "fitted": self.fitted,
        }  # fmt: skip

    def interval_table(self) -> Table:
        """Coverage of the central 50 % and 80 % predictive intervals, and each model's CRPS
        against Kaplan-Meier's with a paired-bootstrap 95 % interval over test wars."""
        base = next((s for s in self.scores if s.model == "kaplan-meier"), None)
        rows = []
        for s in sorted(self.scores, key=lambda s: s.crps):
            d = "-"
            if base is not None and s.model != base.model:
                a = np.array([w["crps"] for w in s.per_war])
                b = np.array([w["crps"] for w in base.per_war])
                m, lo, hi = paired_bootstrap(a, b, seed=self.seed)
                d = f"{m:+.1f} [{lo:+.1f}, {hi:+.1f}]"
            rows.append([s.model, f"{s.coverage50:.0%}", f"{s.coverage80:.0%}", d])
        return Table(
            f"Predictive intervals on the {len(self.test)} test wars",
            ["model", "50% interval coverage", "80% interval coverage", "CRPS vs kaplan-meier [95% CI]"],
            rows,
            "coverage: share of test wars inside the central 50 % and 80 % intervals of the predicted duration "
            "(nominal 50 % and 80 %); CRPS difference in days, paired bootstrap over test wars",
        )

    def tables(self) -> list[Table]:
        rows = [
            [s.model, f"{s.crps:.1f}", f"{s.log_score:.3f}", f"{s.median_mae:.0f}", f"{s.brier_1y:.3f}",
             f"{s.mean_p1y:.2f} / {s.observed_1y:.2f}"]
            for s in sorted(self.scores, key=lambda s: s.crps)
        ]  # fmt: skip
        tables = [
            Table(
                f"War durations: {len(self.test)} test wars ({len(self.train)} training), seed {self.seed}",
                ["model", "CRPS (days)", "log score (classes)", "MAE of median (days)", "Brier P(<=1y)", "mean P(<=1y) / observed"],
                rows,
                "lower CRPS, MAE and Brier are better; higher log score is better (duration classes "
                "0-1m, 1-3m, 3-6m, 6-12m, 1-2y, 2-4y, 4-8y, >8y)",
            )
        ]
        cal_rows = []
        for s in self.scores:
            for c in s.calibration:
                if c["n"]:
                    cal_rows.append([s.model, c["bin"], c["n"], f"{c['mean_predicted']:.2f}", f"{c['observed']:.2f}"])
        tables.append(Table("Calibration of P(war ends within 1 year) on the test wars",
                            ["model", "predicted bin", "n", "mean predicted", "observed"], cal_rows))  # fmt: skip
        tables.append(self.interval_table())
        if self.calibration is not None:
            c = self.calibration
            tables.append(
                Table(
                    "War simulator calibrated on the training wars",
                    ["decisiveness g", "optimism", "concentration", "kappa", "days per battle", "training CRPS"],
                    [[f"{c.decisiveness:g}", f"{c.optimism:g}", f"{c.concentration:g}", f"{c.kappa:g}",
                      f"{c.days_per_battle:.1f}", f"{c.train_crps:.1f}"]],  # fmt: skip
                    f"grid of {len(c.grid_results)} points; days per battle by a log-grid search",
                )
            )
        return tables


def run_war_backtest(
    data: WarData,
    seed: int = DEFAULT_SEED,
    test_fraction: float = TEST_FRACTION,
    draws: int = 2000,
    calibration_draws: int = 300,
    grid_values: dict[str, Sequence[float]] | None = None,
    simulator: bool = True,
    progress: Callable[[str], None] | None = None,
) -> WarBacktest:
    """Split by war, fit every duration model on the training wars, score on the test wars."""
    if len(data.wars) < 6:
        raise ScenarioError(f"only {len(data.wars)} war(s) in the file; the backtest needs at least 6", data.path)
    tr, te = split(len(data.wars), seed, test_fraction)
    train = [data.wars[i] for i in tr]
    test = [data.wars[i] for i in te]
    t = grid()
    scores = [score_cdf("kaplan-meier", kaplan_meier_cdf(train, len(test), t), test, t)]
    fitted: dict[str, Any] = {}
    cdf, aft = weibull_aft_cdf(train, test, t)
    scores.append(score_cdf("weibull-aft", cdf, test, t))
    fitted["weibull-aft"] = {(":".join(k) if isinstance(k, tuple) else str(k)): float(v) for k, v in aft.params_.items()}
    cdf, cph = cox_cdf(train, test, t)
    scores.append(score_cdf("cox", cdf, test, t))
    fitted["cox"] = {str(k): float(v) for k, v in cph.params_.items()}
    cal = None
    if simulator:
        if progress is not None:
            progress("calibrating the war simulator on the training wars")
        cal = calibrate_simulator(train, grid_values, calibration_draws, seed, progress)
        scores.append(score_cdf("war-simulator", simulator_cdf(test, cal, t, draws, seed), test, t))
    return WarBacktest(data, seed, test_fraction, train, test, scores, cal, fitted)


WAR_METRICS = {"crps": "CRPS (days)", "log_score": "log score", "median_mae": "MAE of median", "brier_1y": "Brier P(<=1y)"}
WAR_LOWER = {"crps": True, "log_score": False, "median_mae": True, "brier_1y": True}


def war_repeats(results: list[WarBacktest]) -> tuple[dict[str, Any], Table]:
    per = [{s.model: {k: getattr(s, k) for k in WAR_METRICS} for s in r.scores} for r in results]
    summ = repeat_summary(per, WAR_LOWER)
    seeds = ", ".join(str(r.seed) for r in results)
    return summ, repeat_table(summ, WAR_METRICS, f"War durations over {len(results)} seeded splits (seeds {seeds})", "crps")
