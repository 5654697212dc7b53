"""Backtests on spatial cases with a known outcome: every model against what happened.

``load cases -> run every registered model (point and Monte Carlo) -> score -> leaderboard``.

* The case library lives in the package (:mod:`realpolitik.cases`): one scenario file
  per case and ``outcomes.yaml`` with the observed outcome of each case and issue
  (value on the issue's scale, date, source, how it was coded, whether the coding is a
  judgement call).  :func:`load_case_library` reads both.
* :func:`run_backtest` runs every model returned by
  :func:`~realpolitik.models.available_models` (so a model that lands later is scored
  without any change here) on every case: its point forecast, and its Monte Carlo
  version (:func:`realpolitik.analysis.montecarlo.simulate` with a global input
  ``spread``) whose 10th-90th percentiles give the 80 % interval.
* A model that does not apply to a case (no forecast for the issue, e.g. the
  ``status-quo`` model without a status quo or the ``war`` model without a war section)
  is reported as not applicable for that case; a model that fails with an unexpected
  exception is reported with the error (a bug to fix, but not one that hides every
  other score); cases are never dropped.
* Scores: absolute error on the issue's scale, the same as a percentage of the scale's
  span (so that cases on different scales can be averaged), whether the outcome lies in
  the 80 % interval; the leaderboard gives each model's mean absolute error and its
  skill against the compromise model (weighted mean), ``1 - MAE / MAE_baseline`` on the
  issues both forecast.

References
----------
[BDM1994] Bueno de Mesquita, B. (1994). Political forecasting: an expected utility method. In
Bueno de Mesquita & Stokman (eds.), *European Community Decision Making*, Yale UP.
[Thomson2006] Thomson, R., Stokman, F. N., Achen, C. H. & König, T. (eds.) (2006). *The European Union
Decides*. Cambridge UP (the compromise model as the benchmark of spatial forecasts).
[Arregui2021] Arregui, J. & Perarnaud, C. (2021). The Decision-making in the European Union (DEU III)
dataset. doi:10.34810/data53.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from realpolitik.analysis.backtest.scoring import DEFAULT_SEED, paired_bootstrap
from realpolitik.errors import OptionError, Problem, ScenarioError
from realpolitik.models.base import Model, Table
from realpolitik.scenario.model import Scenario

#: the model every other model has to beat (Thomson et al. 2006: the compromise model)
BASELINE = "weighted-mean"
#: default global spread of the Monte Carlo versions (see docs/backtests.md)
DEFAULT_SPREAD = 0.10
DEFAULT_DRAWS = 200


# ------------------------------------------------------------------ case library
@dataclass(frozen=True)
class Outcome:
    """The observed outcome of one case on one issue."""

    case: str
    scenario_file: str
    issue: str
    value: float
    date: dt.date | None
    source: str
    how_coded: str
    judgement: bool
    range: tuple[float, float] | None = None
    published_forecast: float | None = None
    published_note: str | None = None
    #: the decision observed; records coding one decision from several case files share it
    outcome_id: str = ""

    @property
    def group(self) -> str:
        return self.outcome_id or f"{self.case}/{self.issue}"


@dataclass
class Case:
    """A scenario and the outcomes observed on its issues."""

    name: str
    scenario: Scenario
    outcomes: list[Outcome]


def cases_dir() -> Path:
    return Path(str(resources.files("realpolitik") / "cases"))


def load_outcomes(path: str | Path | None = None) -> list[Outcome]:
    """Read ``outcomes.yaml`` (the package's by default); ScenarioError naming bad records."""
    import yaml

    p = Path(path) if path is not None else cases_dir() / "outcomes.yaml"
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"cannot read the outcome records: {exc}", str(p)) from None
    out, problems = [], []
    for k, rec in enumerate(data.get("cases") or []):
        where = f"{p.name}:cases.{k}"
        try:
            rng = rec.get("range")
            pub = rec.get("published_forecast") or {}
            date = rec.get("date")
            out.append(
                Outcome(
                    case=str(rec["case"]),
                    scenario_file=str(rec["scenario"]),
                    issue=str(rec["issue"]),
                    value=float(rec["value"]),
                    date=date if isinstance(date, dt.date) else (dt.date.fromisoformat(date) if date else None),
                    source=" ".join(str(rec.get("source", "")).split()),
                    how_coded=" ".join(str(rec.get("how_coded", "")).split()),
                    judgement=bool(rec.get("judgement", False)),
                    range=(float(rng[0]), float(rng[1])) if rng else None,
                    published_forecast=float(pub["value"]) if "value" in pub else None,
                    published_note=pub.get("note"),
                    outcome_id=str(rec.get("outcome_id") or ""),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(where, f"invalid outcome record ({exc})"))
    if problems:
        raise ScenarioError(problems)
    return out


def load_case_library(names: Sequence[str] | None = None, directory: str | Path | None = None) -> list[Case]:
    """Every case of the library (or the named ones), in the order of ``outcomes.yaml``."""
    from realpolitik.scenario import load_scenario

    root = Path(directory) if directory is not None else cases_dir()
    outcomes = load_outcomes(root / "outcomes.yaml")
    order: list[str] = []
    by_case: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.case not in by_case:
            order.append(o.case)
        by_case.setdefault(o.case, []).append(o)
    if names:
        unknown = [n for n in names if n not in by_case]
        if unknown:
            raise OptionError(
                [Problem("cases", f"unknown case {n!r} (cases: {', '.join(order)})") for n in unknown]
            )
        order = [n for n in order if n in set(names)]
    cases = []
    for name in order:
        outs = by_case[name]
        scen = load_scenario(str(root / outs[0].scenario_file))
        for o in outs:
            if o.issue not in scen.issue_ids:
                raise ScenarioError(f"outcome for unknown issue {o.issue!r} of case {name!r}", "outcomes.yaml")
        cases.append(Case(name, scen, outs))
    return cases


# ------------------------------------------------------------------ scores
@dataclass
class CaseScore:
    """One model (point or Monte Carlo version) on one case and issue."""

    case: str
    issue: str
    model: str
    variant: str  # "point" or "monte-carlo"
    outcome: float
    span: float
    forecast: float = math.nan
    p10: float = math.nan
    p90: float = math.nan
    note: str = ""
    #: the independent outcome (outcome id) this row scores: rows sharing it count once
    group: str = ""
    p25: float = math.nan
    p75: float = math.nan
    #: the Monte Carlo forecasts behind the intervals (not serialised)
    draws: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: where the 80 % and 50 % intervals come from ("monte-carlo" or "conformal")
    interval: str = "monte-carlo"
    #: the point forecast of the same model, to flag a point outside its own band
    point: float = math.nan

    @property
    def applicable(self) -> bool:
        return math.isfinite(self.forecast)

    @property
    def abs_error(self) -> float:
        return abs(self.forecast - self.outcome) if self.applicable else math.nan

    @property
    def pct_error(self) -> float:
        """Absolute error as a percentage of the issue's scale span."""
        return 100.0 * self.abs_error / self.span if self.applicable else math.nan

    @property
    def inside80(self) -> bool | None:
        if not (math.isfinite(self.p10) and math.isfinite(self.p90)):
            return None
        return bool(self.p10 <= self.outcome <= self.p90)

    @property
    def inside50(self) -> bool | None:
        if not (math.isfinite(self.p25) and math.isfinite(self.p75)):
            return None
        return bool(self.p25 <= self.outcome <= self.p75)

    @property
    def point_outside_band(self) -> bool:
        """The model's point forecast lies outside this (Monte Carlo) 80 % band."""
        tol = 1e-9 * self.span
        return bool(math.isfinite(self.point) and math.isfinite(self.p10)
                    and (self.point < self.p10 - tol or self.point > self.p90 + tol))  # fmt: skip

    @property
    def key(self) -> str:
        return self.model if self.variant == "point" else f"{self.model} (MC)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "issue": self.issue,
            "model": self.model,
            "variant": self.variant,
            "outcome": self.outcome,
            "forecast": _num(self.forecast),
            "abs_error": _num(self.abs_error),
            "pct_error": _num(self.pct_error),
            "p10": _num(self.p10),
            "p90": _num(self.p90),
            "inside80": self.inside80,
            "p25": _num(self.p25),
            "p75": _num(self.p75),
            "inside50": self.inside50,
            "interval": self.interval,
            "outcome_id": self.group,
            "note": self.note,
        }


def _num(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


@dataclass
class LeaderRow:
    model: str
    n: int  # independent outcomes forecast
    mae: float  # in scale units (meaningful when all issues share a scale)
    mae_pct: float  # percent of scale span
    coverage80: float  # share of outcomes inside the 80 % interval
    n_interval: int
    skill: float  # 1 - MAE / MAE_baseline on the outcomes both forecast (percent-of-span errors)
    n_common: int
    coverage50: float = math.nan  # share of outcomes inside the 50 % interval
    delta: float = math.nan  # MAE - MAE_baseline (percent of span) on the common outcomes
    delta_lo: float = math.nan  # paired-bootstrap 95 % interval of delta
    delta_hi: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        return {k: (_num(v) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _per_outcome(ss: list[CaseScore]) -> dict[str, dict[str, float]]:
    """Scores averaged within each independent outcome (rows sharing an outcome id count once)."""
    out: dict[str, dict[str, list[float]]] = {}
    for s in ss:
        d = out.setdefault(s.group or f"{s.case}/{s.issue}", {"abs": [], "pct": [], "in80": [], "in50": []})
        d["abs"].append(s.abs_error)
        d["pct"].append(s.pct_error)
        if s.inside80 is not None:
            d["in80"].append(float(s.inside80))
        if s.inside50 is not None:
            d["in50"].append(float(s.inside50))
    return {g: {k: (float(np.mean(v)) if v else math.nan) for k, v in d.items()} for g, d in out.items()}


def leaderboard(scores: Iterable[CaseScore], baseline: str = BASELINE, seed: int = DEFAULT_SEED) -> list[LeaderRow]:
    """Mean absolute error per model (and MC version), sorted best first.

    Every independent outcome counts once (rows that share an outcome id are averaged
    first).  ``skill`` compares with the baseline's *point* forecast on the outcomes both
    forecast: ``1 - MAE / MAE_baseline`` (> 0: better than the compromise model);
    ``delta`` is ``MAE - MAE_baseline`` there, with a paired-bootstrap 95 % interval
    (outcomes resampled, :func:`~realpolitik.analysis.backtest.scoring.paired_bootstrap`).
    """
    scores = list(scores)
    base = _per_outcome([s for s in scores if s.model == baseline and s.variant == "point" and s.applicable])
    groups: dict[str, list[CaseScore]] = {}
    for s in scores:
        groups.setdefault(s.key, []).append(s)
    rows = []
    for key, ss in groups.items():
        ok = [s for s in ss if s.applicable]
        if not ok:
            continue
        per = _per_outcome(ok)
        in80 = [d["in80"] for d in per.values() if math.isfinite(d["in80"])]
        in50 = [d["in50"] for d in per.values() if math.isfinite(d["in50"])]
        common = [g for g in per if g in base]
        a = np.array([per[g]["pct"] for g in common])
        b = np.array([base[g]["pct"] for g in common])
        delta, lo, hi = paired_bootstrap(a, b, seed=seed) if common else (math.nan, math.nan, math.nan)
        mb = float(b.mean()) if common else math.nan
        rows.append(
            LeaderRow(
                model=key,
                n=len(per),
                mae=float(np.mean([d["abs"] for d in per.values()])),
                mae_pct=float(np.mean([d["pct"] for d in per.values()])),
                coverage80=float(np.mean(in80)) if in80 else math.nan,
                n_interval=len(in80),
                skill=(1.0 - float(a.mean()) / mb) if common and mb > 0 else math.nan,
                n_common=len(common),
                coverage50=float(np.mean(in50)) if in50 else math.nan,
                delta=delta,
                delta_lo=lo,
                delta_hi=hi,
            )
        )
    rows.sort(key=lambda r: (r.mae_pct, r.model))
    return rows


# ------------------------------------------------------------------ running
@dataclass
class BacktestResult:
    """Scores of every model on every case, the leaderboard and what was run."""

    scores: list[CaseScore]
    cases: list[Case]
    models: list[str]
    draws: int
    seed: int
    spread: float
    not_applicable: dict[str, list[str]] = field(default_factory=dict)
    run_results: list[tuple[Scenario, list[Any]]] = field(default_factory=list, repr=False)

    def leaderboard(self) -> list[LeaderRow]:
        return leaderboard(self.scores)

    def coding_sensitivity(self) -> dict[str, dict[str, float]]:
        """Each model's MAE (% of scale) with the judgement codings at the low and high
        ends of their ranges (same forecasts; outcomes without a range unchanged)."""
        ranges = {(o.case, o.issue): o.range for c in self.cases for o in c.outcomes if o.judgement and o.range}
        out: dict[str, dict[str, float]] = {}
        for key in ("point", "low", "high"):
            alt = []
            for s in self.scores:
                r = ranges.get((s.case, s.issue))
                value = s.outcome if key == "point" or r is None else r[0 if key == "low" else 1]
                alt.append(dataclasses.replace(s, outcome=value))
            for row in leaderboard(alt):
                out.setdefault(row.model, {})[key] = row.mae_pct
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "analysis": "backtest-cases",
            "baseline": BASELINE,
            "models": self.models,
            "draws": self.draws,
            "seed": self.seed,
            "spread": self.spread,
            "cases": [
                {
                    "case": c.name,
                    "title": c.scenario.title,
                    "outcomes": [
                        {
                            "issue": o.issue,
                            "value": o.value,
                            "date": o.date.isoformat() if o.date else None,
                            "judgement": o.judgement,
                            "range": list(o.range) if o.range else None,
                            "source": o.source,
                            "how_coded": o.how_coded,
                            "published_forecast": o.published_forecast,
                        }
                        for o in c.outcomes
                    ],
                }
                for c in self.cases
            ],
            "scores": [s.to_dict() for s in self.scores],
            "leaderboard": [r.to_dict() for r in self.leaderboard()],
            "coding_sensitivity": self.coding_sensitivity(),
            "not_applicable": self.not_applicable,
        }

    def summary_tables(self) -> list[Table]:
        """The compact view: forecast matrix, leaderboard, coding sensitivity."""
        return [matrix_table(self.scores, self.cases)] + self.tables()[-2:]

    def tables(self) -> list[Table]:
        sens = self.coding_sensitivity()
        rows = [[m, _fmt(v.get("point")), _fmt(v.get("low")), _fmt(v.get("high"))]
                for m, v in sorted(sens.items(), key=lambda kv: kv[1].get("point", math.inf))]  # fmt: skip
        sens_table = Table(
            "Sensitivity to the judgement codings: MAE (% of scale)",
            ["model", "codings as recorded", "codings at range low", "codings at range high"],
            rows,
            "same forecasts; only the outcomes marked judgement move to the ends of their ranges",
        )
        return case_tables(self.scores, self.cases) + [leaderboard_table(self.leaderboard(), pct=True), sens_table]


def matrix_table(scores: list[CaseScore], cases: list[Case]) -> Table:
    """One row per case and issue, one column per model: the point forecast and the Monte
    Carlo 80 % interval (``*`` when the outcome lies inside it); ``n/a`` = not applicable."""
    models = sorted({s.model for s in scores})
    by = {(s.case, s.issue, s.model, s.variant): s for s in scores}
    rows = []
    for c in cases:
        for o in c.outcomes:
            cells = [f"{c.name} / {o.issue}", f"{o.value:g}" + (" (j)" if o.judgement else "")]
            for m in models:
                p, mc = by.get((c.name, o.issue, m, "point")), by.get((c.name, o.issue, m, "monte-carlo"))
                text = f"{p.forecast:.2f}" if p is not None and p.applicable else "n/a"
                iv = p if p is not None and p.inside80 is not None else mc  # the ensemble's own interval
                if iv is not None and iv.inside80 is not None:
                    text += f" [{iv.p10:.1f}, {iv.p90:.1f}]" + ("*" if iv.inside80 else "")
                    if iv is mc and mc.point_outside_band:
                        text += " !"
                cells.append(text)
            rows.append(cells)
    return Table(
        "Forecasts by case: point [80 % interval]",
        ["case / issue", "outcome", *models],
        rows,
        "* = the outcome lies inside the 80 % interval (Monte Carlo; the ensemble's: conformal, fitted without "
        "the outcome); ! = the point forecast lies outside its own Monte Carlo band; (j) = judgement-call coding; "
        "n/a = the model does not apply",
    )


def _fmt(x: float | None, nd: int = 2) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.{nd}f}"


def case_tables(scores: list[CaseScore], cases: list[Case]) -> list[Table]:
    tables = []
    for c in cases:
        for o in c.outcomes:
            rows = []
            for s in scores:
                if s.case != c.name or s.issue != o.issue:
                    continue
                rows.append(
                    [
                        s.key,
                        _fmt(s.forecast),
                        _fmt(s.abs_error),
                        "-" if s.inside80 is None else f"[{s.p10:.2f}, {s.p90:.2f}] " + ("in" if s.inside80 else "out"),
                        s.note or "",
                    ]
                )
            note = f"outcome {o.value:g}" + (f" (judgement call, range {o.range[0]:g}-{o.range[1]:g})" if o.judgement and o.range else "")
            note += f"; {o.how_coded}"
            if o.published_forecast is not None:
                note += f"; published forecast {o.published_forecast:g}"
            tables.append(
                Table(f"{c.name} / {o.issue}: outcome {o.value:g}", ["model", "forecast", "abs error", "80% interval", "note"], rows, note)
            )
    return tables


def leaderboard_table(rows: list[LeaderRow], pct: bool = True, title: str = "Leaderboard") -> Table:
    cols = ["model", "n", "MAE (% of scale)" if pct else "MAE", "vs compromise [95% CI]",
            "50% coverage", "80% coverage", "skill"]  # fmt: skip
    cov = lambda c, n: "-" if not math.isfinite(c) else f"{c:.0%} of {n}"  # noqa: E731
    body = [
        [
            r.model,
            r.n,
            _fmt(r.mae_pct if pct else r.mae),
            "-" if not math.isfinite(r.delta) else f"{r.delta:+.2f} [{r.delta_lo:+.2f}, {r.delta_hi:+.2f}]",
            cov(r.coverage50, r.n_interval),
            cov(r.coverage80, r.n_interval),
            _fmt(r.skill, 3),
        ]
        for r in rows
    ]
    return Table(
        title, cols, body,
        f"n = independent outcomes (outcomes coded from several case files count once); vs compromise = MAE minus "
        f"the MAE of {BASELINE} (the compromise model) on the outcomes both forecast, percent of the scale, with a "
        f"paired-bootstrap 95 % interval over outcomes; coverage = share of outcomes inside the 50 % and 80 % "
        f"intervals (Monte Carlo versions; the ensemble's conformal intervals, left-out outcome by outcome); "
        f"skill = 1 - MAE/MAE_compromise",
    )  # fmt: skip


def select_models(names: Sequence[str] | None = None, skipped: list[str] | None = None) -> list[Model]:
    """Every registered model with default options (or the named ones), sorted by name.

    A model that cannot be built with its defaults is skipped; its name and the reason
    are appended to ``skipped`` (for the caller to report).
    """
    from realpolitik.models import available_models, get_model

    reg = available_models()
    if names:
        return [get_model(n) for n in names]
    models = []
    for name in sorted(reg):
        try:
            models.append(reg[name]())
        except (OptionError, ScenarioError, TypeError, ValueError) as exc:
            if skipped is not None:
                skipped.append(f"{name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    return models


def _issue_span(scen: Scenario, issue: str) -> float:
    return float(scen.issue(issue).span)


def score_case(
    case: Case,
    model: Model,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    spread: float = DEFAULT_SPREAD,
) -> tuple[list[CaseScore], list[Any]]:
    """Point and Monte Carlo scores of one model on one case (and the results to store)."""
    from realpolitik.analysis.montecarlo import simulate

    scen = case.scenario
    results: list[Any] = []
    point: dict[str, float] = {}
    note = ""
    try:
        res = model.run(scen, rng=seed)
        res.seed = seed
        point = {k: float(v) for k, v in res.forecast.items()}
        results.append(res)
    except (ScenarioError, OptionError, ValueError) as exc:
        note = "not applicable: " + str(exc).splitlines()[0][:120]
    except Exception as exc:  # noqa: BLE001 - one model's bug must not hide every other score
        note = f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''}"
    mc_summary: dict[str, dict[str, Any]] = {}
    mc_draws: dict[str, np.ndarray] = {}
    if draws > 0 and any(math.isfinite(point.get(o.issue, math.nan)) for o in case.outcomes):
        try:
            mc = simulate(scen, model, draws=draws, seed=seed, spread=spread)
            mc_summary = mc.summary()
            mc_draws = {iid: mc.draws[:, c] for c, iid in enumerate(scen.issue_ids)}
            results.append(mc)
        except (ScenarioError, OptionError, ValueError) as exc:
            note = note or "Monte Carlo not applicable: " + str(exc).splitlines()[0][:120]
        except Exception as exc:  # noqa: BLE001
            note = note or f"Monte Carlo error: {type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''}"
    scores = []
    for o in case.outcomes:
        span = _issue_span(scen, o.issue)
        f = point.get(o.issue, math.nan)
        f = math.nan if f is None else float(f)
        why = "" if math.isfinite(f) else (note or "not applicable: no forecast for this issue")
        scores.append(CaseScore(o.case, o.issue, model.name, "point", o.value, span, forecast=f, note=why, group=o.group))
        if mc_summary:
            sm = mc_summary.get(o.issue)
            if sm is not None and sm.get("n", 0):
                x = mc_draws[o.issue]
                x = x[np.isfinite(x)]
                p25, p75 = np.percentile(x, [25, 75])
                scores.append(
                    CaseScore(o.case, o.issue, model.name, "monte-carlo", o.value, span,
                              forecast=float(sm["median"]), p10=float(sm["p10"]), p90=float(sm["p90"]),
                              group=o.group, p25=float(p25), p75=float(p75), draws=mc_draws[o.issue], point=f)
                )  # fmt: skip
    return scores, results


def run_backtest(
    cases: Sequence[Case] | None = None,
    models: Sequence[Model] | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    spread: float = DEFAULT_SPREAD,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """Every model (point and Monte Carlo) on every case.

    Parameters
    ----------
    cases
        Cases (default: the whole library, :func:`load_case_library`).
    models
        Built models (default: every registered model with default options).
    draws, seed, spread
        Monte Carlo draws per model and case (0: point forecasts only), the seed
        fixing every draw, and the global input spread (fraction; see
        :func:`realpolitik.scenario.uncertainty.sample_batch`).
    progress
        Called with ``"case/model"`` before each run.

    A model that learns from the case library (``learns_from_cases``: the ensemble) is
    not run on the cases: it is scored leave-one-outcome-out from the other models'
    forecasts (:func:`realpolitik.analysis.backtest.ensemble.loo_scores`), so that its
    own evidence never grades it; every model it may combine is then scored too.
    """
    if draws < 0:
        raise OptionError([Problem("draws", f"must be >= 0, got {draws}")])
    if not (math.isfinite(spread) and spread >= 0):
        raise OptionError([Problem("spread", f"must be a number >= 0, got {spread!r}")])
    cases = list(cases) if cases is not None else load_case_library()
    models = list(models) if models is not None else select_models()
    learners = [m for m in models if getattr(m, "learns_from_cases", False)]
    runs = [m for m in models if not getattr(m, "learns_from_cases", False)]
    if learners:
        have = {m.name for m in runs}
        runs += [m for m in select_models() if m.name not in have and not getattr(m, "learns_from_cases", False)]
    scores: list[CaseScore] = []
    stored: list[tuple[Scenario, list[Any]]] = []
    na: dict[str, list[str]] = {}
    for c in cases:
        case_results: list[Any] = []
        for m in runs:
            if progress is not None:
                progress(f"{c.name}/{m.name}")
            ss, rr = score_case(c, m, draws=draws, seed=seed, spread=spread)
            scores.extend(ss)
            case_results.extend(rr)
            for s in ss:
                if s.variant == "point" and not s.applicable:
                    na.setdefault(m.name, []).append(f"{c.name}/{s.issue}")
        stored.append((c.scenario, case_results))
    if learners:
        from realpolitik.analysis.backtest.ensemble import loo_scores

        if progress is not None:
            progress("ensemble (leave one outcome out)")
        scores.extend(loo_scores(scores, cases))
    names = sorted({m.name for m in runs} | {m.name for m in learners})
    return BacktestResult(scores, list(cases), names, draws, seed, spread, na, stored)
