"""Charts of a war timeline (:mod:`realpolitik.analysis.timeline`): matplotlib and plotly.

Two panels sharing the date axis: P(settlement within each horizon) as forecast from each
date (the band is the simulation error of the estimate, not forecast uncertainty), and the
expected terms if a deal is reached.
Both take the timeline's plain data (``Timeline.to_dict()`` or a result's ``details``),
so the CLI, the HTML report and the workbench draw the same chart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from realpolitik.models.base import Table
from realpolitik.report.plots import PALETTE, _go, _mpl_figure, _mpl_style, _PLOTLY_LAYOUT


def _pct(p, iv) -> str:
    if p is None:
        return "-"
    return f"{p:.1%}" + (f" ± {(iv[1] - iv[0]) / 2:.1%}" if iv else "")


def timeline_table(data: Mapping[str, Any]) -> Table:
    """The timeline as a table: one row per date (``Timeline.to_dict()`` or a result's details)."""
    hz = list(data.get("horizons") or [])
    rows = []
    for r in data.get("rows") or []:
        rows.append(
            [r["date"], r["what"], f"{r['months_after_as_of']:.1f}"]
            + [_pct(r["settlement_probability"].get(h), r["settlement_probability_interval"].get(h)) for h in hz]
            + ["-" if r["terms"] is None else f"{r['terms']:.1f}", r["effective_sample_size"],
               f"{r['consistent_share']:.1%}", r.get("change", "")]
        )  # fmt: skip
    return Table(
        f"War bargaining timeline: re-forecast at each dated event after {data.get('as_of')} (seed {data.get('seed')})",
        ["date", "what happened", "months after as_of"]
        + [f"P(settlement within {h} months)" for h in hz]
        + ["expected terms if a deal is reached", "effective sample size", "record consistent",
           f"change in P({hz[-1] if hz else '-'} mo)"],
        rows,
        data.get("note"),
    )


def timeline_series(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """Dates, per-horizon probabilities and intervals, and terms from a timeline's data."""
    rows = (data or {}).get("rows") or []
    if not rows:
        return None
    hz = list(data.get("horizons") or rows[0]["settlement_probability"])
    x = [dt.date.fromisoformat(r["date"]) for r in rows]
    prob = {h: [r["settlement_probability"][h] for r in rows] for h in hz}
    low = {h: [r["settlement_probability_interval"][h][0] for r in rows] for h in hz}
    high = {h: [r["settlement_probability_interval"][h][1] for r in rows] for h in hz}
    terms = [r["terms"] for r in rows]
    t_lo = [(r.get("terms_interval") or [None, None])[0] for r in rows]
    t_hi = [(r.get("terms_interval") or [None, None])[1] for r in rows]
    return {"x": x, "horizons": hz, "p": prob, "low": low, "high": high, "terms": terms, "terms_low": t_lo,
            "terms_high": t_hi, "what": [r["what"] for r in rows]}  # fmt: skip


def mpl_timeline(data: Mapping[str, Any]):
    """Matplotlib figure of a timeline (two panels)."""
    s = timeline_series(data)
    fig = _mpl_figure(8.5, 5.2)
    ax1 = fig.add_subplot(2, 1, 1)
    ax2 = fig.add_subplot(2, 1, 2, sharex=ax1)
    if s is None:
        ax1.text(0.5, 0.5, "no timeline rows", ha="center", va="center", transform=ax1.transAxes, color="#666666")
        ax1.set_axis_off()
        ax2.set_axis_off()
        return fig
    marker = "o" if len(s["x"]) < 30 else None
    for i, h in enumerate(s["horizons"]):
        c = PALETTE[i % len(PALETTE)]
        ax1.plot(s["x"], s["p"][h], marker=marker, markersize=3, color=c, linewidth=2, label=f"within {h} months")
        ax1.fill_between(s["x"], s["low"][h], s["high"][h], color=c, alpha=0.15, linewidth=0)
    ax1.set_ylim(0, 1)
    ax1.set_ylabel("P(settlement)", fontsize=8)
    ax1.legend(fontsize=7, frameon=False)
    _mpl_style(ax1)
    ax1.set_title("Re-forecast at each date: P(negotiated settlement within ...)", loc="left", fontsize=10,
                  fontweight="bold")  # fmt: skip
    pts = [(x, t, lo, hi) for x, t, lo, hi in zip(s["x"], s["terms"], s["terms_low"], s["terms_high"]) if t is not None]
    if pts:
        ax2.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker, markersize=3, color=PALETTE[3], linewidth=2)
        if all(p[2] is not None for p in pts):
            ax2.fill_between([p[0] for p in pts], [p[2] for p in pts], [p[3] for p in pts], color=PALETTE[3],
                             alpha=0.15, linewidth=0)  # fmt: skip
    ax2.set_ylabel("expected terms", fontsize=8)
    _mpl_style(ax2)
    ax2.set_title("Expected terms if a deal is reached", loc="left", fontsize=10, fontweight="bold")
    fig.autofmt_xdate()
    return fig


def plotly_timeline(data: Mapping[str, Any]):
    """Plotly figure of a timeline (two stacked panels)."""
    go = _go()
    from plotly.subplots import make_subplots

    s = timeline_series(data)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("P(negotiated settlement within ...), re-forecast at each date",
                                        "Expected terms if a deal is reached"))  # fmt: skip
    fig.update_layout(**_PLOTLY_LAYOUT, height=560)
    if s is None:
        return fig
    xs = [d.isoformat() for d in s["x"]]
    for i, h in enumerate(s["horizons"]):
        c = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=s["high"][h] + s["low"][h][::-1], fill="toself", opacity=0.15,
                                 line=dict(width=0), fillcolor=c, hoverinfo="skip", showlegend=False), row=1, col=1)
        fig.add_trace(go.Scatter(x=xs, y=s["p"][h], mode="lines+markers", line=dict(color=c, width=3),
                                 name=f"within {h} months", text=s["what"]), row=1, col=1)  # fmt: skip
    fig.add_trace(go.Scatter(x=xs, y=s["terms"], mode="lines+markers", line=dict(color=PALETTE[3], width=3),
                             name="terms if a deal", text=s["what"]), row=2, col=1)  # fmt: skip
    fig.update_yaxes(range=[0, 1], tickformat=".0%", row=1, col=1)
    return fig
