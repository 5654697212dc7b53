"""Backtest at the war's age: forecasts of the remaining duration of wars still running.

For each landmark age ``L`` (months) and every *test* war still running at ``L``, each
model forecasts the remaining duration ``D - L`` conditioned on the war having lasted
``L``; the models are fitted on the *training* wars only (the split of
:func:`realpolitik.analysis.backtest.wars.run_war_backtest`):

* ``kaplan-meier``: the conditional Kaplan-Meier curve ``S(L + r) / S(L)`` of the
  training wars;
* ``cox``: the Cox model's conditional survival ``S_i(L + r) / S_i(L)`` for the war's
  covariates (fitted on the training wars, as in the unconditional backtest);
* ``war-simulator``: the war layer's simulator with the mapping calibrated on the
  training wars, conditioned on the age the way the war model conditions on a record:
  every draw is simulated from the war's start and only the draws still at war at ``L``
  are kept (rejection sampling; more draws are proposed until ``min_kept`` survive,
  and the effective sample size is reported).

Scores on the test wars at risk: the CRPS of the remaining duration (days; exact for
samples, on a one-day grid for curves) and the Brier score and calibration of
P(the war ends within 12 more months).  Survival beyond the last training war is 0 for
Kaplan-Meier and Cox (as in the unconditional backtest); where no training war reaches
``L`` their conditional curve is undefined and the landmark is reported as such.

References
----------
[vanHouwelingen2007] van Houwelingen, H. C. (2007). Dynamic prediction by landmarking in event history
analysis. *Scandinavian Journal of Statistics* 34(1), 70-85.
[BennettStam1996] Bennett, D. S. & Stam, A. C. (1996). The duration of interstate wars, 1816-1985. *APSR*
90(2), 239-257.
[Gneiting2007] Gneiting, T. & Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and
estimation. *JASA* 102(477), 359-378.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from realpolitik.analysis.backtest.scoring import calibration_table, crps_cdf, crps_samples
from realpolitik.analysis.backtest.wars import COVARIATES, ONE_YEAR, SimCalibration, War, covariates, grid, simulate_battles
from realpolitik.errors import OptionError, Problem
from realpolitik.models.base import Table

DAYS_PER_MONTH = 365.25 / 12.0
MIN_KEPT = 400  # simulated draws still at war at the landmark, per test war


def parse_landmarks(text: str) -> list[float]:
    """``"6,12,24"`` -> ``[6.0, 12.0, 24.0]`` (months, positive, sorted, distinct)."""
    out = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        try:
            v = float(part)
        except ValueError:
            raise OptionError([Problem("--landmark", f"{part!r} is not a number of months (e.g. 6,12,24)")]) from None
        if not (math.isfinite(v) and v > 0):
            raise OptionError([Problem("--landmark", f"{part!r}: landmarks are positive numbers of months")])
        out.append(v)
    if not out:
        raise OptionError([Problem("--landmark", "give at least one age in months, e.g. 6,12,24")])
    return sorted(set(out))


@dataclass
class LandmarkScore:
    model: str
    landmark: float
    n: int
    crps: float
    brier_12m: float
    mean_p12: float
    observed_12m: float
    calibration: list[dict[str, Any]]
    kept: int | None = None  # war-simulator: fewest draws kept for one war (effective sample size)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class LandmarkBacktest:
    landmarks: list[float]
    at_risk: dict[str, dict[str, int]]  # landmark -> {"train": n, "test": n}
    scores: list[LandmarkScore] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"landmarks": self.landmarks, "at_risk": self.at_risk, "scores": [s.to_dict() for s in self.scores]}

    def tables(self, seed: int) -> list[Table]:
        rows = []
        for s in self.scores:
            rows.append([
                f"{s.landmark:g}", s.model, s.n,
                "-" if not math.isfinite(s.crps) else f"{s.crps:.1f}",
                "-" if not math.isfinite(s.brier_12m) else f"{s.brier_12m:.3f}",
                "-" if not math.isfinite(s.mean_p12) else f"{s.mean_p12:.2f} / {s.observed_12m:.2f}",
                "-" if s.kept is None else s.kept,
            ])  # fmt: skip
        notes = "; ".join(f"{s.model} at {s.landmark:g} months: {s.note}" for s in self.scores if s.note)
        risk = ", ".join(f"{k} months: {v['test']} test / {v['train']} training" for k, v in self.at_risk.items())
        t1 = Table(
            f"War durations at the war's age (landmarks), seed {seed}: remaining duration of the test wars still "
            "running, models fitted on training wars only",
            ["age (months)", "model", "test wars at risk", "CRPS of remaining duration (days)",
             "Brier P(ends within 12 more months)", "mean P(<=12 more) / observed", "effective sample size"],
            rows,
            f"wars still running at each age: {risk}. Lower CRPS and Brier are better. Effective sample size: the "
            "fewest simulated draws still at war at the age, over the test wars." + (f" {notes}." if notes else ""),
        )  # fmt: skip
        cal = []
        for s in self.scores:
            for c in s.calibration:
                if c["n"]:
                    cal.append([f"{s.landmark:g}", s.model, c["bin"], c["n"], f"{c['mean_predicted']:.2f}",
                                f"{c['observed']:.2f}"])  # fmt: skip
        t2 = Table("Calibration of P(the war ends within 12 more months) at each age, test wars",
                   ["age (months)", "model", "predicted bin", "n", "mean predicted", "observed"], cal)  # fmt: skip
        return [t1, t2]


def _score(model: str, L: float, remaining: np.ndarray, cdf: np.ndarray | None, p12: np.ndarray,
           crps: np.ndarray, kept: int | None = None, note: str = "") -> LandmarkScore:  # fmt: skip
    n = remaining.size
    if n == 0:
        return LandmarkScore(model, L, 0, math.nan, math.nan, math.nan, math.nan, [], kept, note or "no test war at risk")
    o = (remaining <= ONE_YEAR).astype(float)
    return LandmarkScore(
        model, L, n, float(np.mean(crps)), float(np.mean((p12 - o) ** 2)), float(np.mean(p12)), float(np.mean(o)),
        calibration_table(p12, o), kept, note,
    )  # fmt: skip


def _conditional(S: np.ndarray, t: np.ndarray, L_days: float) -> tuple[np.ndarray, np.ndarray]:
    """Conditional CDFs of the remaining duration from survival curves ``S [war, t]``
    (``t`` the one-day grid), and the survival at the landmark."""
    i0 = int(math.floor(L_days))
    sL = S[:, i0]
    shift = np.concatenate([S[:, i0:], np.zeros((S.shape[0], i0))], axis=1)  # S(L + r), 0 past the grid
    with np.errstate(invalid="ignore", divide="ignore"):
        cond = np.where(sL[:, None] > 0, shift / sL[:, None], np.nan)
    return 1.0 - np.clip(cond, 0.0, 1.0), sL


def run_landmarks(
    train: Sequence[War],
    test: Sequence[War],
    landmarks: Sequence[float],
    calibration: SimCalibration | None,
    draws: int = 2000,
    seed: int = 0,
    min_kept: int = MIN_KEPT,
    max_rounds: int = 8,
) -> LandmarkBacktest:
    """Score the conditional forecasts at each landmark (see the module docstring)."""
    from lifelines import CoxPHFitter, KaplanMeierFitter

    t = grid()
    y_tr = np.array([w.duration for w in train])
    y_te = np.array([w.duration for w in test])
    t_last = float(y_tr.max())
    km = KaplanMeierFitter().fit(y_tr, np.ones_like(y_tr))
    S_km = np.asarray(km.survival_function_at_times(t), float)[None, :]
    S_km[:, t > t_last] = 0.0
    dtr, med = covariates(train)
    dte, _ = covariates(test, med)
    cph = CoxPHFitter(penalizer=0.1).fit(dtr[["duration", "event", *COVARIATES]], "duration", "event")
    S_cox = cph.predict_survival_function(dte[list(COVARIATES)], times=t).to_numpy().T
    S_cox[:, t > t_last] = 0.0
    shares = np.array([w.share_a for w in test])
    out = LandmarkBacktest(list(landmarks), {})
    for L in landmarks:
        L_days = L * DAYS_PER_MONTH
        risk = y_te > L_days
        out.at_risk[f"{L:g}"] = {"train": int(np.sum(y_tr > L_days)), "test": int(risk.sum())}
        rem = y_te[risk] - L_days
        for name, S in (("kaplan-meier", np.repeat(S_km, len(test), axis=0)), ("cox", S_cox)):
            cdf, sL = _conditional(S[risk], t, L_days)
            if risk.any() and not np.all(sL > 0):
                out.scores.append(_score(name, L, rem[:0], None, np.array([]), np.array([]),
                                         note="no training war reaches this age: the conditional curve is undefined"))
                continue
            p12 = cdf[:, ONE_YEAR] if risk.any() else np.array([])
            out.scores.append(_score(name, L, rem, cdf, p12, crps_cdf(cdf, rem, t) if risk.any() else np.array([])))
        if calibration is None:
            continue
        c = calibration
        idx = np.flatnonzero(risk)
        samples: list[list[np.ndarray]] = [[] for _ in idx]
        kept = np.zeros(idx.size, int)
        for rnd in range(max_rounds):
            need = kept < min_kept
            if not need.any():
                break
            B, _ = simulate_battles(shares[idx[need]], c.decisiveness, c.optimism, c.concentration, c.kappa,
                                    draws, seed + 7919 * (rnd + 1) + int(L * 101))  # fmt: skip
            dur = c.days_per_battle * B
            for j, row in zip(np.flatnonzero(need), dur):
                alive = row[row > L_days] - L_days  # the draws still at war at the landmark
                samples[j].append(alive)
                kept[j] += alive.size
        few = kept < min_kept
        note = ""
        if few.any():
            note = (f"{int(few.sum())} war(s) kept fewer than {min_kept} draws after {max_rounds} rounds of {draws}; "
                    "their forecasts rest on the draws kept")  # fmt: skip
        ok = np.array([k > 0 for k in kept], bool)
        crps = np.full(idx.size, math.nan)
        p12 = np.full(idx.size, math.nan)
        for j in np.flatnonzero(ok):
            x = np.concatenate(samples[j])
            crps[j] = crps_samples(x[None, :], np.array([rem[j]]))[0]
            p12[j] = float(np.mean(x <= ONE_YEAR))
        if not ok.all():
            note = (note + "; " if note else "") + f"{int((~ok).sum())} war(s) with no simulated draw this old, not scored"
        out.scores.append(_score("war-simulator", L, rem[ok], None, p12[ok], crps[ok],
                                 int(kept.min()) if kept.size else None, note))  # fmt: skip
    return out


def landmark_repeats(results: Sequence[LandmarkBacktest], seeds: Sequence[int]) -> tuple[dict[str, Any], Table]:
    """Mean and sd over splits of the CRPS and Brier score per age and model, with the
    number of test wars at risk summed over the splits."""
    keys = sorted({(s.landmark, s.model) for r in results for s in r.scores}, key=lambda k: (k[0], k[1]))
    summ: dict[str, Any] = {}
    rows = []
    for L, m in keys:
        ss = [s for r in results for s in r.scores if s.landmark == L and s.model == m and s.n > 0]
        crps = np.array([s.crps for s in ss])
        brier = np.array([s.brier_12m for s in ss])
        sd = lambda a: float(a.std(ddof=1)) if a.size > 1 else 0.0  # noqa: E731
        entry = {"splits": len(ss), "wars": int(sum(s.n for s in ss)),
                 "crps": {"mean": float(crps.mean()) if ss else math.nan, "sd": sd(crps)},
                 "brier_12m": {"mean": float(brier.mean()) if ss else math.nan, "sd": sd(brier)}}  # fmt: skip
        summ[f"{L:g}/{m}"] = entry
        rows.append([f"{L:g}", m, entry["splits"], entry["wars"],
                     f"{entry['crps']['mean']:.1f} ± {entry['crps']['sd']:.1f}" if ss else "-",
                     f"{entry['brier_12m']['mean']:.3f} ± {entry['brier_12m']['sd']:.3f}" if ss else "-"])  # fmt: skip
    return summ, Table(
        f"Landmarks over {len(results)} seeded splits (seeds {', '.join(str(s) for s in seeds)})",
        ["age (months)", "model", "splits scored", "test wars at risk (all splits)", "CRPS of remaining duration (days)",
         "Brier P(ends within 12 more months)"],
        rows,
        "mean ± sd over the splits that had test wars at risk",
    )
