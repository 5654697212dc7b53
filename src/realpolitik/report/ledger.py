"""The ledger's scores as tables and charts (from the plain data of ``ledger_scores``).

A reliability diagram (forecast probability against the observed frequency, per model,
with 90 % Wilson intervals; the diagonal is perfect calibration) and a score-over-time
chart (the score of each model's standing forecast over the open period, with the
baseline) - matplotlib for the CLI and the report, plotly for the workbench.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from realpolitik.models.base import Table
from realpolitik.report.plots import _go, _mpl_figure, _mpl_style, _PLOTLY_LAYOUT, color

SCORE_NAMES = {"brier": "Brier (0 best, 2 worst)", "log": "log score (0 best)", "crps": "CRPS (scale units, 0 best)"}


def _f(v: Any, digits: int = 3) -> str:
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}f}"


def score_tables(rep: Mapping[str, Any]) -> list[Table]:
    """One table per resolved question and one over all questions."""
    tables = []
    for qd in rep["questions"]:
        keys = ["crps"] if qd["type"] == "numeric" else ["brier", "log"]
        rows = []
        for r in qd["rows"]:
            rows.append([r["forecaster"], r["n"], r["last"]]
                        + [_f(r["last_scores"][k]) for k in keys] + [_f(r["time_avg"][k]) for k in keys]
                        + [f"{100 * r['coverage']:.0f}%", _f(r["vs_baseline"][keys[0]])])  # fmt: skip
        base = [qd["baseline"], "", ""] + [_f(qd["baseline_scores"][k]) for k in keys] + \
               [_f(qd["baseline_time_avg"][k]) for k in keys] + ["", ""]  # fmt: skip
        rows.append(base)
        cols = (["model", "forecasts", "last forecast"] + [f"{k} (last)" for k in keys]
                + [f"{k} (time-avg)" for k in keys] + ["covered", f"{keys[0]} better than baseline by"])  # fmt: skip
        note = (f"resolved {qd['resolution']} ({qd['resolution_source']}); open {qd['open_time']} to "
                f"{qd['close_time']}{' (resolved early)' if qd['early'] else ''}. Time averages: each forecast stands "
                f"until the model's next; before its first, the baseline's stands ({qd['baseline']}). "
                + ("Brier: sum over yes/no (0 best, 2 worst); log: ln P(outcome), floored at 1e-4."
                   if qd["type"] != "numeric" else "CRPS in the scale's units (0 best).")
                + (f" {qd['late_forecasts']} forecast(s) after the close not counted." if qd["late_forecasts"] else ""))  # fmt: skip
        tables.append(Table(f"{qd['title']} ({qd['id']})", cols, rows, note))
    if rep["models"]:
        rows = [[m["forecaster"], m["questions"], _f(m["brier"]), _f(m["log"]), _f(m["crps_share"]), _f(m["vs_baseline"])]
                for m in rep["models"]]  # fmt: skip
        tables.append(Table(
            "Scores over all resolved questions (time-averaged)",
            ["model", "questions", "Brier", "log score", "CRPS / range", "better than baseline by (mean)"],
            rows,
            "means over the questions each model forecast; CRPS divided by the question's range so scales compare; "
            "'better than baseline' is the baseline's score minus the model's (Brier or CRPS / range): above 0 is better",
        ))  # fmt: skip
    return tables


def _times(series: list[list[Any]]) -> list[dt.datetime]:
    return [dt.datetime.fromisoformat(t.replace("Z", "+00:00")) for t, _ in series]


def _step(qd: Mapping[str, Any], who: str) -> tuple[list[dt.datetime], list[float]]:
    """The standing score of a model over the open period (baseline before its first forecast)."""
    s = qd["series"][who]
    t0 = dt.datetime.fromisoformat(qd["open_time"].replace("Z", "+00:00"))
    t1 = dt.datetime.fromisoformat(qd["close_time"].replace("Z", "+00:00"))
    base = qd["baseline_scores"][qd["metric"]]
    xs, ys = [t0], [base]
    for t, (_, v) in zip(_times(s), s):
        xs += [t, t]
        ys += [ys[-1], v]
    xs.append(t1)
    ys.append(ys[-1])
    return xs, ys


def mpl_reliability(rep: Mapping[str, Any]):
    """Reliability diagram of the binary questions (each model's last forecast per question)."""
    fig = _mpl_figure(5.2, 4.4)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], color="#999", linestyle="--", linewidth=1, label="perfect calibration")
    for k, (who, rows) in enumerate(rep["reliability"].items()):
        pts = [r for r in rows if r["n"]]
        if not pts:
            continue
        x = [r["mean_predicted"] for r in pts]
        y = [r["observed"] for r in pts]
        lo = [max(0.0, r["observed"] - r["observed_low"]) for r in pts]
        hi = [max(0.0, r["observed_high"] - r["observed"]) for r in pts]
        ax.errorbar(x, y, yerr=[lo, hi], marker="o", color=color(k), capsize=3, linewidth=1.2,
                    label=f"{who} (n={sum(r['n'] for r in pts)})")  # fmt: skip
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("forecast probability", fontsize=8)
    ax.set_ylabel("observed frequency (90% Wilson interval)", fontsize=8)
    _mpl_style(ax)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    ax.set_title("Reliability of sealed forecasts (binary questions)", loc="left", fontsize=10, fontweight="bold")
    return fig


def mpl_score_over_time(rep: Mapping[str, Any]):
    """Per resolved question, each model's standing score over the open period."""
    qs = rep["questions"]
    fig = _mpl_figure(7.0, 2.4 * max(1, len(qs)))
    for n, qd in enumerate(qs):
        ax = fig.add_subplot(max(1, len(qs)), 1, n + 1)
        for k, who in enumerate(qd["series"]):
            xs, ys = _step(qd, who)
            ax.plot(xs, ys, color=color(k), linewidth=1.4, label=who)
        base = qd["baseline_scores"][qd["metric"]]
        ax.axhline(base, color="#999", linestyle="--", linewidth=1, label=f"baseline: {qd['baseline']}")
        ax.set_ylabel(qd["metric"] + " (lower is better)", fontsize=8)
        ax.set_title(f"{qd['id']}: resolved {qd['resolution']}", loc="left", fontsize=9, fontweight="bold")
        _mpl_style(ax)
        ax.legend(fontsize=7, frameon=False)
        fig.autofmt_xdate()
    return fig


def write_ledger_plots(rep: Mapping[str, Any], prefix: Path) -> list[Path]:
    """``PREFIX-reliability.png`` and ``PREFIX-scores.png`` (written atomically)."""
    from realpolitik.report.plots import figure_png_base64
    from realpolitik.scenario.writers import atomic_write
    import base64

    prefix = Path(prefix)
    stem = prefix.with_suffix("") if prefix.suffix == ".png" else prefix
    out = []
    for name, fig in (("reliability", mpl_reliability(rep)), ("scores", mpl_score_over_time(rep))):
        path = stem.parent / f"{stem.name}-{name}.png"
        atomic_write(path, base64.b64decode(figure_png_base64(fig)))
        out.append(path)
    return out


def plotly_reliability(rep: Mapping[str, Any]):
    go = _go()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dash", color="#999"), name="perfect calibration"))
    for k, (who, rows) in enumerate(rep["reliability"].items()):
        pts = [r for r in rows if r["n"]]
        if not pts:
            continue
        fig.add_trace(go.Scatter(
            x=[r["mean_predicted"] for r in pts], y=[r["observed"] for r in pts], mode="lines+markers", name=who,
            line=dict(color=color(k)),
            error_y=dict(type="data", symmetric=False, array=[max(0.0, r["observed_high"] - r["observed"]) for r in pts],
                         arrayminus=[max(0.0, r["observed"] - r["observed_low"]) for r in pts]),
            text=[f"n={r['n']}" for r in pts],
        ))  # fmt: skip
    fig.update_layout(**_PLOTLY_LAYOUT, height=460, title="Reliability of sealed forecasts (binary questions)",
                      xaxis=dict(title="forecast probability", range=[0, 1]),
                      yaxis=dict(title="observed frequency (90% Wilson interval)", range=[0, 1]))  # fmt: skip
    return fig


def plotly_score_over_time(qd: Mapping[str, Any]):
    go = _go()
    fig = go.Figure()
    for k, who in enumerate(qd["series"]):
        xs, ys = _step(qd, who)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=who, line=dict(color=color(k), shape="linear")))
    base = qd["baseline_scores"][qd["metric"]]
    fig.add_hline(y=base, line_dash="dash", line_color="#999", annotation_text=f"baseline: {qd['baseline']}")
    fig.update_layout(**_PLOTLY_LAYOUT, height=380, title=f"{qd['id']}: {qd['metric']} of the standing forecast (lower is better)",
                      yaxis=dict(title=qd["metric"]))  # fmt: skip
    return fig


def ledger_section(rep: Mapping[str, Any], verify: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report's ledger section (an extra section of :func:`realpolitik.report.html.render_report`)."""
    n = len(rep["questions"])
    note = (f"{n} resolved question(s) scored; unresolved in the ledger: {', '.join(rep['unresolved']) or 'none'}. "
            "Scores and conventions: docs/ledger.md.")  # fmt: skip
    if verify is not None:
        note += (f" Hash chain: {verify['entries']} entries, intact, head {verify['head']}." if verify["ok"]
                 else f" Hash chain BROKEN: {verify['broken']['message']}.")  # fmt: skip
    figures = [mpl_reliability(rep), mpl_score_over_time(rep)] if n else []
    return {"name": "ledger", "label": "Forecast ledger", "note": note, "tables": score_tables(rep), "figures": figures}
