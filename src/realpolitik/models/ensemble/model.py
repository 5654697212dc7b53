"""The ensemble: one forecast per issue from the spatial models, with conformal intervals."""

from __future__ import annotations

import math
from importlib import resources
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from realpolitik.models.base import Model, ScenarioBatch, Table, register
from realpolitik.scenario.model import Scenario

#: the interval levels the ensemble reports (nominal coverage, percent)
LEVELS = (80, 50)
#: Monte Carlo quantiles that bound the base band of each level
BAND_QUANTILES = {80: (0.10, 0.90), 50: (0.25, 0.75)}
#: tolerance (share of the scale) within which a forecast counts as equal to the status quo
SQ_TOLERANCE = 1e-6


class Calibration(BaseModel):
    """What the ensemble learnt from backtests: weights and conformal widenings.

    Written by ``realpolitik ensemble calibrate`` (the shipped one from the case
    library; see docs/backtests.md); never typed by hand.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    weights: dict[str, float] = Field(description="component model -> weight (they sum to 1)")
    weight_rule: str = Field(description="equal or stacking")
    weight_reason: str = Field(description="why these weights, in one sentence")
    widening: dict[str, float] = Field(
        description="level ('80', '50') -> conformal widening of the Monte Carlo band, percent of the scale span"
    )
    spread: float = Field(0.10, ge=0, description="global input spread of the Monte Carlo band (as calibrated)")
    source: str = Field("", description="what the calibration was computed from")

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("at least one component model is needed")
        if any(not math.isfinite(w) or w < 0 for w in v.values()):
            raise ValueError("weights must be finite and >= 0")
        total = sum(v.values())
        if not abs(total - 1.0) < 1e-6:
            raise ValueError(f"weights must sum to 1, got {total:g}")
        return v

    @field_validator("widening")
    @classmethod
    def _widening(cls, v: dict[str, float]) -> dict[str, float]:
        missing = [str(k) for k in LEVELS if str(k) not in v]
        if missing:
            raise ValueError(f"widening needs the levels {', '.join(missing)}")
        return v


def shipped_calibration() -> dict[str, Any]:
    """The calibration computed from the shipped case library (package data, read-only)."""
    import json

    text = (resources.files("realpolitik.models.ensemble") / "calibration.json").read_text(encoding="utf-8")
    return json.loads(text)


class EnsembleOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    calibration: dict[str, Any] | None = Field(
        None,
        description="weights and conformal widenings (default: the shipped calibration from the case library; "
        "`realpolitik ensemble calibrate --deu FILE` makes one from DEU III)",
    )
    draws: int = Field(200, ge=0, le=100_000, description="Monte Carlo draws of the inputs for the interval (0: none)")

    @field_validator("calibration")
    @classmethod
    def _calibration(cls, v):
        if v is not None:
            Calibration.model_validate(v)
        return v


@register
class Ensemble(Model):
    """The ensemble forecast: a weighted mean of the spatial models, with intervals.

    Components and weights come from out-of-sample skill on backtests (stacking with
    leave-one-outcome-out, or equal weights where the evidence is too thin; see
    :mod:`realpolitik.models.ensemble.combine`).  The forecast per issue is the
    weighted mean of the components' (stable) point forecasts, the weights
    renormalised over the components that forecast the issue.  Its intervals are
    the ensemble's own Monte Carlo band over the scenario's input distributions
    (and the calibration's global spread on every other value), widened by the
    conformal quantile of how far held-out outcomes fell outside that band
    (Romano et al. 2019), and clipped to the issue's scale.

    The war layer is not a component: its terms answer a different question (the
    terms of a war that ends in a deal), so it is shown apart.

    References
    ----------
    [Breiman1996] Breiman, L. (1996). Stacked regressions. *Machine Learning* 24, 49-64.
    [Romano2019] Romano, Y., Patterson, E. & Candes, E. J. (2019). Conformalized quantile
    regression. *NeurIPS* 32.
    [Timmermann2006] Timmermann, A. (2006). Forecast combinations. In *Handbook of Economic
    Forecasting* 1, 135-196 (why equal weights are hard to beat).
    """

    name = "ensemble"
    label = "Ensemble"
    Options = EnsembleOptions
    stochastic = True
    #: the ensemble learns from the case library: the backtest scores it leave-one-outcome-out
    learns_from_cases = True

    def calibration(self) -> Calibration:
        raw = self.options.calibration if self.options.calibration is not None else shipped_calibration()
        return Calibration.model_validate(raw)

    def components(self) -> list[tuple[Model, float]]:
        from realpolitik.models import get_model

        return [(get_model(name), w) for name, w in self.calibration().weights.items()]

    # ------------------------------------------------------------ core
    @staticmethod
    def combine(points: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Weighted mean over the model axis (-1) of ``points [..., model]``, weights
        renormalised over the finite entries (NaN where no component applies)."""
        ok = np.isfinite(points)
        w = np.where(ok, weights, 0.0)
        tot = w.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(tot > 0, (np.where(ok, points, 0.0) * w).sum(axis=-1) / tot, np.nan)

    def forecast_batch(self, batch: ScenarioBatch, rng=None) -> np.ndarray:
        comps = self.components()
        F = np.stack([m.forecast_batch(batch, rng) for m, _ in comps], axis=-1)  # [draw, issue, model]
        return self.combine(F, np.array([w for _, w in comps]))

    def _run(self, scenario: Scenario, rng):
        from realpolitik.scenario.uncertainty import sample_batch

        cal = self.calibration()
        comps = self.components()
        names = [m.name for m, _ in comps]
        weights = np.array([w for _, w in comps])
        iids = scenario.issue_ids
        results = [m.run(scenario, rng) for m, _ in comps]
        P = np.array([[r.forecast.get(i, math.nan) for r in results] for i in iids], dtype=float)  # [issue, model]
        point = self.combine(P, weights)
        D = self.options.draws
        F = None
        if D > 0:
            batch = sample_batch(scenario, D, rng, spread=cal.spread)
            F = np.stack([m.forecast_batch(batch, rng) for m, _ in comps], axis=-1)  # [draw, issue, model]
            ens_draws = self.combine(F, weights)
        issues: dict[str, Any] = {}
        for c, iid in enumerate(iids):
            iss = scenario.issue(iid)
            used = np.isfinite(P[c])
            wn = np.where(used, weights, 0.0)
            wn = wn / wn.sum() if wn.sum() > 0 else wn
            entry: dict[str, Any] = {"forecast": float(point[c]), "weights": dict(zip(names, wn.tolist()))}
            for level in LEVELS:
                q = cal.widening[str(level)] * iss.span / 100.0
                if F is not None and np.isfinite(ens_draws[:, c]).any():
                    lo, hi = np.nanquantile(ens_draws[:, c], BAND_QUANTILES[level])
                else:
                    lo = hi = float(point[c])
                entry[f"band{level}"] = [float(lo), float(hi)]
                entry[f"interval{level}"] = [float(max(iss.min, lo - q)), float(min(iss.max, hi + q))]
            entry["components"] = [
                self._component(scenario, iid, res, F[:, c, k] if F is not None else None)
                for k, res in enumerate(results)
            ]
            issues[iid] = entry
        details = {
            "issues": issues,
            "weight_rule": cal.weight_rule,
            "weight_reason": cal.weight_reason,
            "widening": dict(cal.widening),
            "spread": cal.spread,
            "draws": D,
            "calibration_source": cal.source,
            "note": "intervals: the ensemble's Monte Carlo band (10-90 % and 25-75 %) widened by the conformal "
            "quantile of held-out errors, in percent of the scale span; the war layer is not a component",
        }
        return self.make_result(scenario, {iid: float(point[c]) for c, iid in enumerate(iids)}, details=details)

    def _component(self, scenario: Scenario, iid: str, res, draws: np.ndarray | None) -> dict[str, Any]:
        """A component's forecast on one issue with the flags the headline shows."""
        from realpolitik.models import available_models

        x = float(res.forecast.get(iid, math.nan))
        iss = scenario.issue(iid)
        out: dict[str, Any] = {"model": res.model, "label": available_models()[res.model].label, "forecast": x}
        st = ((res.details.get("stability") or {}).get("issues") or {}).get(iid)
        if st is not None and not st["settled"]:
            out["unsettled"] = {"last_round": st["last_round"], "final_rounds": st["final_rounds"]}
        if draws is not None and np.isfinite(draws).any():
            lo, hi = np.nanquantile(draws, BAND_QUANTILES[80])
            out["band80"] = [float(lo), float(hi)]
            tol = 1e-9 * iss.span
            out["outside_band"] = bool(math.isfinite(x) and (x < lo - tol or x > hi + tol))
        if res.model == "nash" and iss.status_quo is not None and abs(x - iss.status_quo) <= SQ_TOLERANCE * iss.span:
            a = scenario.arrays()
            col = scenario.issue_ids.index(iid)
            w = a.capability[:, col] * a.salience[:, col]
            pos = a.position[:, col]
            below = bool(np.any((pos < iss.status_quo) & (w > 0)))
            above = bool(np.any((pos > iss.status_quo) & (w > 0)))
            out["equals_status_quo"] = (
                "actors on both sides of the status quo: no point is better for all, so the Nash "
                "solution is the status quo (its disagreement point)" if below and above
                else "the status quo is the Nash solution here"
            )  # fmt: skip
        return out

    # ------------------------------------------------------------ display
    def describe(self, result, scenario: Scenario) -> list[Table]:
        return ensemble_tables(result, scenario)


def ensemble_tables(result, scenario: Scenario) -> list[Table]:
    """The headline (one row per issue) and, per issue, the models that compose it."""
    return [headline_table(result, scenario), *component_tables(result, scenario)]


def short_label(label: str) -> str:
    """A model's label without its parenthesised gloss ("Weighted mean (compromise)" -> "Weighted mean")."""
    return label.split(" (")[0]


def _num(x: Any) -> str:
    return "-" if x is None or not isinstance(x, (int, float)) or not math.isfinite(x) else f"{x:.1f}"


def _iv(v: Any) -> str:
    return "-" if not v or any(x is None or not math.isfinite(x) for x in v) else f"{v[0]:.1f}-{v[1]:.1f}"


def component_flags(comp: dict[str, Any]) -> list[tuple[str, str]]:
    """(short flag, full sentence) for one component's forecast on one issue."""
    flags = []
    if "unsettled" in comp:
        u = comp["unsettled"]
        fr = [v for v in u["final_rounds"] if v is not None]
        flags.append(("unsettled", f"not settled: its last {len(fr)} rounds run {min(fr):.1f}-{max(fr):.1f} (the last "
                                   f"{u['last_round']:.1f}); their median is shown"))  # fmt: skip
    if comp.get("outside_band"):
        lo, hi = comp["band80"]
        flags.append(("outside its band", f"the point lies outside its own 80% Monte Carlo band [{lo:.1f}, {hi:.1f}]"))
    if "equals_status_quo" in comp:
        flags.append(("= status quo", comp["equals_status_quo"]))
    return flags


def headline_table(ensemble, scenario: Scenario) -> Table:
    d = ensemble.details
    rows = []
    for iid, e in d["issues"].items():
        iss = scenario.issue(iid)
        x = e["forecast"]
        p = iss.nearest_point(x) if isinstance(x, float) and math.isfinite(x) else None
        rows.append([iid, _num(x), _iv(e["interval80"]), _iv(e["interval50"]), (f"{p.value:g}: {p.label}" if p else "-")])
    w = d["widening"]
    return Table(
        "Ensemble forecast (one answer per issue)",
        ["issue", "forecast", "80% interval", "50% interval", "nearest labelled point"],
        rows,
        f"{d['weight_reason']}. Intervals: the ensemble's Monte Carlo band widened by {w['80']:.1f} (80%) and "
        f"{w['50']:.1f} (50%) points per 100 of the scale, the conformal quantiles of held-out errors on "
        f"{d['calibration_source']}.",
        summary=True,
    )


def component_tables(ensemble, scenario: Scenario, extra_notes: dict[str, str] | None = None) -> list[Table]:
    """Per issue: the models that compose the ensemble, their weights and flags (``extra_notes``:
    a sentence per issue to add, e.g. the war layer shown apart)."""
    tables = []
    for iid, e in ensemble.details["issues"].items():
        iss = scenario.issue(iid)
        rows, notes = [], []
        for comp in e["components"]:
            flags = component_flags(comp)
            notes += [f"{short_label(comp['label'])}: {text}" for _, text in flags]
            rows.append([short_label(comp["label"]), f"{e['weights'].get(comp['model'], 0.0):.2f}", _num(comp["forecast"]),
                         _iv(comp.get("band80")), ", ".join(f for f, _ in flags) or "-"])  # fmt: skip
        wn = (extra_notes or {}).get(iid)
        if wn:
            notes.append(wn)
        tables.append(Table(
            f"{iss.label or iid}: the models in the ensemble ({_num(e['forecast'])})",
            ["model", "weight", "forecast", "own 80% band", "flag"],
            rows,
            " ".join(n if n.endswith(".") else n + "." for n in notes) or None,
            summary=True,
        ))  # fmt: skip
    return tables
