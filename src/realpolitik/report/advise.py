"""Charts and the report section of ``advise`` (from its JSON: ``Advice.to_dict()``).

* :func:`mpl_levers` - the top levers' gain distributions: a bar from the 10th to
  the 90th percentile, a dot at the mean, the share of draws in which the lever helps.
* :func:`mpl_quadrants` - the expected-utility perception plot per issue: every
  other actor at ``(E(U) of challenging it, its E(U) of challenging the advised
  actor)``, with the region boundaries of Fig. 6 (the axes and ``b = -a``).
* :func:`plotly_levers`, :func:`plotly_quadrants` - the same for the workbench.
* :func:`advice_section` - the report section (tables and charts) of one advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from realpolitik.report.plots import PALETTE, _mpl_figure, _mpl_style, _short

_REGION_TEXT = {  # (a, b) corner where each region's name is written, in axis fractions
    "conflict": (0.97, 0.97, "right", "top"),
    "compromise (concede)": (0.03, 0.97, "left", "top"),
    "stalemate": (0.03, 0.03, "left", "bottom"),
    "compel": (0.97, 0.03, "right", "bottom"),
}


def _levers(adv: Mapping[str, Any], top: int) -> list[Mapping[str, Any]]:
    return list(adv.get("levers") or [])[:top]


def mpl_levers(adv: Mapping[str, Any], top: int = 15):
    """Gain toward the goal of the top levers: p10-p90 bar, mean dot, P(helps) label."""
    rows = _levers(adv, top)
    fig = _mpl_figure(9.0, 1.2 + 0.34 * max(len(rows), 1))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows):
        lo, hi, mean = r.get("gain_p10"), r.get("gain_p90"), r.get("gain_mean")
        if lo is None or hi is None or mean is None:
            continue
        col = PALETTE[2] if mean > 0 else PALETTE[1]
        ax.barh(yi, max(hi - lo, 1e-9), left=lo, height=0.55, color=col, alpha=0.35)
        ax.plot([mean], [yi], "o", color=col, markersize=5)
        ax.annotate(f"P(helps) {100 * (r.get('p_helps') or 0):.0f}%", (max(hi, mean), yi), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=7, color="#444444")  # fmt: skip
    ax.axvline(0, color="#111111", linewidth=0.8)
    ax.set_yticks(y, labels=[_short(r.get("lever", ""), 58) for r in rows], fontsize=8)
    ax.set_xlabel("gain toward the goal, % of the scale (bar: 10th to 90th percentile over the draws; dot: mean)",
                  fontsize=8)  # fmt: skip
    _mpl_style(ax)
    ax.grid(True, axis="x", color="#e5e5e5")
    ax.set_title(f"Levers of {adv.get('actor')} ({adv.get('model')}), ranked by expected gain per unit of effort",
                 loc="left", fontsize=10, fontweight="bold")  # fmt: skip
    return fig


def _by_issue(adv: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for d in adv.get("quadrants") or []:
        out.setdefault(d["issue"], []).append(d)
    return out


def mpl_quadrants(adv: Mapping[str, Any]):
    """The perception plot of the advised actor, one panel per issue (None without quadrants)."""
    groups = _by_issue(adv)
    if not groups:
        return None
    k = len(groups)
    cols = min(2, k)
    rows = (k + cols - 1) // cols
    fig = _mpl_figure(5.2 * cols, 4.4 * rows)
    actor = adv.get("actor")
    for n, (iid, dyads) in enumerate(groups.items()):
        ax = fig.add_subplot(rows, cols, n + 1)
        a = np.array([d["eu_challenge"] if d["eu_challenge"] is not None else np.nan for d in dyads], float)
        b = np.array([d["eu_challenged"] if d["eu_challenged"] is not None else np.nan for d in dyads], float)
        lim = max(0.1, float(np.nanmax(np.abs(np.r_[a, b]))) * 1.25) if np.isfinite(np.r_[a, b]).any() else 1.0
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.axhline(0, color="#111111", linewidth=0.8)
        ax.axvline(0, color="#111111", linewidth=0.8)
        ax.plot([-lim, lim], [lim, -lim], color="#999999", linewidth=0.8, linestyle="--")
        for name, (fx, fy, ha, va) in _REGION_TEXT.items():
            ax.text(fx, fy, name, transform=ax.transAxes, ha=ha, va=va, fontsize=7, color="#777777")
        # below the axis on the right, above b = -a: j compromises; above the axis on the left, below it: i gives in
        ax.text(0.97, 0.45, "compromise\n(upper hand)", transform=ax.transAxes, ha="right", va="top", fontsize=7,
                color="#777777")  # fmt: skip
        ax.text(0.03, 0.55, "capitulate", transform=ax.transAxes, ha="left", va="bottom", fontsize=7, color="#777777")
        for j, d in enumerate(dyads):
            if not (np.isfinite(a[j]) and np.isfinite(b[j])):
                continue
            ax.plot([a[j]], [b[j]], "o", color=PALETTE[j % len(PALETTE)], markersize=5)
            ax.annotate(_short(d["other"], 18), (a[j], b[j]), xytext=(4, 3), textcoords="offset points", fontsize=7)
        ax.set_xlabel(f"E(U) of {actor} challenging the other", fontsize=8)
        ax.set_ylabel(f"the other's E(U) of challenging {actor}", fontsize=8)
        _mpl_style(ax)
        ax.set_title(f"How {actor} sees the others: {iid}", loc="left", fontsize=9, fontweight="bold")
    return fig


# ------------------------------------------------------------------ plotly (workbench)
def plotly_levers(adv: Mapping[str, Any], top: int = 15) -> dict[str, Any]:
    """Plotly JSON of :func:`mpl_levers`."""
    from realpolitik.report.plots import _go, _PLOTLY_LAYOUT, plotly_json

    go = _go()
    rows = _levers(adv, top)[::-1]
    labels = [_short(r.get("lever", ""), 60) for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=[(r.get("gain_p90") or 0) - (r.get("gain_p10") or 0) for r in rows], base=[r.get("gain_p10") for r in rows],
        y=labels, orientation="h", marker_color="rgba(44,160,44,0.35)", name="10th to 90th percentile",
        hovertext=[f"P(helps) {100 * (r.get('p_helps') or 0):.0f}%, P(hurts) {100 * (r.get('p_hurts') or 0):.0f}%"
                   for r in rows],
    ))  # fmt: skip
    fig.add_trace(go.Scatter(x=[r.get("gain_mean") for r in rows], y=labels, mode="markers", name="mean gain",
                             marker=dict(color="#2ca02c", size=8)))  # fmt: skip
    layout = {**_PLOTLY_LAYOUT, "margin": {**_PLOTLY_LAYOUT["margin"], "l": 330}}  # room for the levers' names
    fig.update_layout(**layout, height=160 + 28 * len(rows),
                      title=f"Levers of {adv.get('actor')}: gain toward the goal (% of scale)",
                      xaxis_title="gain toward the goal, % of the scale", showlegend=True)  # fmt: skip
    return plotly_json(fig)


def plotly_quadrants(adv: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Plotly JSON of the perception plot, one figure per issue."""
    from realpolitik.report.plots import _go, _PLOTLY_LAYOUT, plotly_json

    go = _go()
    out = []
    actor = adv.get("actor")
    for iid, dyads in _by_issue(adv).items():
        a = [d["eu_challenge"] for d in dyads]
        b = [d["eu_challenged"] for d in dyads]
        finite = [abs(v) for v in a + b if v is not None]
        lim = max(0.1, max(finite) * 1.25) if finite else 1.0
        fig = go.Figure()
        fig.add_trace(go.Scatter(x=[-lim, lim], y=[lim, -lim], mode="lines", line=dict(color="#999", dash="dash"),
                                 hoverinfo="skip", showlegend=False))  # fmt: skip
        fig.add_trace(go.Scatter(
            x=a, y=b, mode="markers+text", text=[d["other"] for d in dyads], textposition="top right",
            hovertext=[f"{d['other']}: {d['region']}" for d in dyads], showlegend=False,
        ))  # fmt: skip
        fig.update_layout(**_PLOTLY_LAYOUT, height=420, title=f"How {actor} sees the others: {iid}",
                          xaxis=dict(range=[-lim, lim], zeroline=True, title=f"E(U) of {actor} challenging the other"),
                          yaxis=dict(range=[-lim, lim], zeroline=True, title=f"the other's E(U) of challenging {actor}"))  # fmt: skip
        out.append(plotly_json(fig))
    return out


# ------------------------------------------------------------------ report section
def advice_section(advice, top: int = 15) -> dict[str, Any]:
    """One report section: ``{"name", "label", "note", "tables", "figures"}`` (matplotlib figures)."""
    adv = advice.to_dict()
    figs = [mpl_levers(adv, top)]
    q = mpl_quadrants(adv)
    if q is not None:
        figs.append(q)
    return {
        "name": f"advise-{advice.actor}",
        "label": f"Advice for {advice.actor} ({advice.label})",
        "options": ", ".join(f"{k}={v}" for k, v in advice.options.items()) or "defaults",
        "seed": advice.seed,
        "elapsed": f"{advice.elapsed:.1f} s" if advice.elapsed is not None else "-",
        "note": (f"Levers, pivotality and perception quadrants for {advice.actor}; {advice.draws} draws. "
                 f"Reproduce the top lever: {advice.whatif_command()}"),  # fmt: skip
        "tables": advice.tables(top=top),
        "figures": figs,
    }
