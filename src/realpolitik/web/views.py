"""What the workbench pages show, computed from Result JSON and the scenario (no HTTP).

Used in the job workers (:mod:`realpolitik.web.tasks`) and by the pages of stored runs.
The answer comes first: one card per issue with the forecast, its nearest labelled
point, its interval, whether it settled, and a warning where the point forecast and the
Monte Carlo distribution disagree.
"""

from __future__ import annotations

import json
import math
from typing import Any

from realpolitik.errors import Problem, ScenarioError

WAR_NOTE = "The war layer's terms hold only for wars that end in a negotiated deal, not for every outcome."


def finite_or_none(v: Any) -> Any:
    return v if not (isinstance(v, float) and not math.isfinite(v)) else None


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def scenario_from_data(data: Any):
    """Validate edited scenario data (its outline first) with locations ``scenario:actors.3...``."""
    from realpolitik.scenario.build import build_scenario, simple_locator

    if not isinstance(data, dict):
        raise ScenarioError([Problem("scenario", "expected an object with title, issues and actors")])
    probs = [Problem(f"scenario:{k}", f"expected a list, got {type(data[k]).__name__}")
             for k in ("issues", "actors", "events", "sources") if k in data and not isinstance(data[k], list)]  # fmt: skip
    probs += [Problem(f"scenario:{k}.{i}", f"expected an object, got {type(x).__name__}")
              for k in ("issues", "actors", "events") if isinstance(data.get(k), list)
              for i, x in enumerate(data[k]) if not isinstance(x, dict)]  # fmt: skip
    if probs:
        raise ScenarioError(probs)
    return build_scenario(json.loads(json.dumps(data)), simple_locator("scenario"), [])


# ------------------------------------------------------------------ tables and charts
def charts(result: dict[str, Any], scenario) -> dict[str, Any]:
    """Plotly figures (as JSON) for a result."""
    from realpolitik.report import plots

    pj = plots.plotly_json
    out: dict[str, Any] = {"forecast": {}, "positions": {}, "actor_map": {}}
    if scenario is not None:
        for iid in scenario.issue_ids:
            out["forecast"][iid] = pj(plots.plotly_forecasts([result], scenario, iid))
            out["actor_map"][iid] = pj(plots.plotly_actor_map(scenario, iid))
    if plots.has_trajectory(result):
        for iid in result.get("issues") or []:
            out["positions"][iid] = pj(plots.plotly_positions(result, scenario, iid))
    if plots.settlement_series(result) is not None:
        out["settlement"] = pj(plots.plotly_settlement(result))
    hists = plots.histograms_of(result)
    if hists:
        out["histogram"] = {i: pj(plots.plotly_histogram(v, i, scenario)) for i, v in hists.items()}
    torn = plots.tornado_of(result)
    if torn:
        pt = result.get("forecast") or {}
        out["tornado"] = {i: pj(plots.plotly_tornado(rows[:15], base=pt.get(i), title=f"Sensitivity: {i}"))
                          for i, rows in torn.items()}  # fmt: skip
    if (result.get("details") or {}).get("analysis") == "timeline":
        from realpolitik.report.timeline import plotly_timeline

        out["timeline"] = pj(plotly_timeline(result["details"]))
    return out


def tables_json(result: Any, scenario) -> list[dict[str, Any]]:
    from realpolitik.report.html import fmt_cell, model_tables

    return [{"title": t.title, "columns": [str(c) for c in t.columns],
             "rows": [[fmt_cell(c) for c in row] for row in t.rows], "note": t.note}
            for t in model_tables(result, scenario)]  # fmt: skip


def forecast_kind(result: dict[str, Any]) -> str:
    """What the forecast numbers are, so that only like is compared with like."""
    det = result.get("details") or {}
    if det.get("analysis") == "monte-carlo":
        return "Monte Carlo mean"
    if det.get("analysis") == "what-if":
        return "what-if" + (" (Monte Carlo mean)" if det.get("draws") else " (point forecast)")
    if det.get("analysis") == "sensitivity":
        return "point forecast (sensitivity)"
    if result.get("model") == "war" or det.get("settlement_by_month") is not None:
        return "war terms if a deal (point forecast)"
    return "point forecast"


def _interval(iid: str, det: dict[str, Any]) -> tuple[list[float] | None, str]:
    ens = (det.get("issues") or {}).get(iid) or {}
    if _num((ens.get("interval80") or [None, None])[0]) is not None:
        return [float(ens["interval80"][0]), float(ens["interval80"][1])], "calibrated 80% interval"
    summ = (det.get("summary") or {}).get(iid) or {}
    if _num(summ.get("p10")) is not None and _num(summ.get("p90")) is not None:
        return [float(summ["p10"]), float(summ["p90"])], "80% of Monte Carlo draws"
    return None, ""


def cards(result: dict[str, Any], scenario) -> list[dict[str, Any]]:
    """One card per issue: forecast, labelled point, interval, stability, warnings."""
    det = result.get("details") or {}
    out = []
    stab = (det.get("stability") or {}).get("issues") or {}
    undetermined = det.get("numerically_undetermined") or {}
    war = result.get("model") == "war" or det.get("settlement_by_month") is not None
    for iss in scenario.issues:
        v = _num((result.get("forecast") or {}).get(iss.id))
        p = iss.nearest_point(v) if v is not None else None
        interval, ilabel = _interval(iss.id, det)
        warnings: list[str] = []
        stable = True
        st = stab.get(iss.id)
        if st is not None and not st.get("settled", True):
            stable = False
            rounds = ", ".join(f"{x:.1f}" for x in (st.get("final_rounds") or [])[-4:] if _num(x) is not None)
            warnings.append("has not settled: the last rounds still move" + (f" ({rounds})" if rounds else "")
                            + "; the forecast is the median of the last rounds")  # fmt: skip
        if iss.id in undetermined:
            stable = False
            warnings.append("numerically undetermined in float64 from round "
                            f"{undetermined[iss.id].get('from_round', '?')}: see the model's tables")  # fmt: skip
        point = _num((det.get("point_forecast") or {}).get(iss.id))
        if point is not None and interval is not None and not interval[0] - 1e-9 <= point <= interval[1] + 1e-9:
            warnings.append(f"the point forecast {point:.1f} lies outside {ilabel} ({interval[0]:.1f} to {interval[1]:.1f}): "
                            "the single run and the distribution disagree")  # fmt: skip
        ens = ((det.get("issues") or {}).get(iss.id) or {}).get("components") or []
        for c in ens:
            if c.get("unsettled"):
                stable = False
                warnings.append(f"{c.get('label') or c.get('model')} has not settled on this issue")
            if c.get("outside_band"):
                warnings.append(f"{c.get('label') or c.get('model')}: its point forecast {c.get('forecast', 0):.1f} lies "
                                "outside its own Monte Carlo band")  # fmt: skip
        out.append({
            "issue": iss.id, "label": iss.label or iss.id, "value": v, "kind": forecast_kind(result),
            "point": f"{p.value:g}: {p.label}" if p else "", "min": iss.min, "max": iss.max,
            "interval": interval, "interval_label": ilabel, "point_forecast": point, "stable": stable,
            "warnings": warnings, "note": WAR_NOTE if war else "",
        })  # fmt: skip
    return out


def forecast_rows(result: dict[str, Any], scenario) -> list[dict[str, Any]]:
    rows = []
    for c in cards(result, scenario):
        rows.append({"issue": c["issue"], "label": c["label"], "value": c["value"], "point": c["point"],
                     "min": c["min"], "max": c["max"], "kind": c["kind"],
                     "p10": c["interval"][0] if c["interval"] else None,
                     "p90": c["interval"][1] if c["interval"] else None})  # fmt: skip
    return rows


def run_view(d: dict[str, Any], scenario, label: str) -> dict[str, Any]:
    return {"label": label, "result": d, "kind": forecast_kind(d), "cards": cards(d, scenario),
            "forecast_rows": forecast_rows(d, scenario), "tables": tables_json(d, scenario),
            "charts": charts(d, scenario)}  # fmt: skip


# ------------------------------------------------------------------ analyses
def whatif_view(base: dict[str, Any], var: dict[str, Any], base_s, var_s, changes, label: str) -> dict[str, Any]:
    """Baseline and variant side by side (means and 80% ranges under uncertainty)."""
    from realpolitik.report import plots

    rows = []
    bc, vc = cards(base, base_s), cards(var, var_s)
    for b, v in zip(bc, vc):
        d = v["value"] - b["value"] if v["value"] is not None and b["value"] is not None else None
        rows.append({"issue": b["issue"], "label": b["label"], "baseline": b["value"], "whatif": v["value"], "change": d,
                     "baseline_interval": b["interval"], "whatif_interval": v["interval"],
                     "baseline_point": b["point"], "whatif_point": v["point"], "warnings": v["warnings"]})  # fmt: skip
    figs = {}
    for iss in base_s.issues:
        fig = plots.plotly_forecasts([base, var], base_s, iss.id)
        figs[iss.id] = plots.plotly_json(fig)
    hist = {}
    hb, hv = plots.histograms_of(base), plots.histograms_of(var)
    for iid in hb:
        if iid in hv:
            hist[iid] = {"baseline": hb[iid], "whatif": hv[iid]}
    return {"label": label, "kind": forecast_kind(base), "rows": rows, "changes": changes, "charts": figs,
            "histograms": hist, "draws": (base.get("details") or {}).get("draws") or 0}  # fmt: skip


def sensitivity_view(d: dict[str, Any], res, scenario) -> dict[str, Any]:
    from realpolitik.report import plots

    det = d.get("details") or {}
    torn = {}
    for iid, rows in (det.get("tornado") or {}).items():
        iss = scenario.issue(iid)
        torn[iid] = plots.plotly_json(plots.plotly_tornado(rows[:15], base=(d.get("forecast") or {}).get(iid),
                                                           title=f"Tornado: {iss.label or iid}"))  # fmt: skip
    tables = [{"title": t.title, "columns": [str(c) for c in t.columns],
               "rows": [[_cell(c) for c in row] for row in t.rows], "note": t.note} for t in res.tables()]  # fmt: skip
    return {"label": f"Sensitivity ({det.get('method')}, {res.label})", "tornado": torn, "tables": tables,
            "runs": det.get("runs"), "samples": det.get("samples"), "method": det.get("method"),
            "forecast": d.get("forecast")}  # fmt: skip


def timeline_view(data: dict[str, Any]) -> dict[str, Any]:
    from realpolitik.report import plots
    from realpolitik.report.timeline import plotly_timeline, timeline_table

    t = timeline_table(data)
    return {"label": "War timeline", "chart": plots.plotly_json(plotly_timeline(data)), "note": data.get("note", ""),
            "war_note": WAR_NOTE,
            "table": {"title": t.title, "columns": [str(c) for c in t.columns],
                      "rows": [[_cell(c) for c in row] for row in t.rows], "note": t.note}}  # fmt: skip


def _cell(c: Any) -> Any:
    if isinstance(c, float):
        return f"{c:.3g}" if abs(c) < 1 and c != 0 else f"{c:.2f}"
    return c if isinstance(c, (int, str)) or c is None else str(c)
