"""Charts of results: matplotlib for static files (reports, PDF), plotly for the web.

Every function reads the flat Result JSON of ``docs/architecture.md`` (``Result.to_dict()``)
or plain arrays, never a model object, so it works for any model that fills
``history`` and ``details``.  Each chart exists twice with the same name and
content: ``mpl_<chart>`` returns a :class:`matplotlib.figure.Figure` (built without
pyplot, so it is safe in threads and leaves no global state) and
``plotly_<chart>`` returns a :class:`plotly.graph_objects.Figure`.

Charts
------
positions
    Positions of every actor per round, one panel per issue, with the median and
    mean trajectory where the model reports them (the classic chart of Bueno de
    Mesquita's model and of KTAB's SMP).  Round 0 is the input.
forecasts
    Each model's forecast per issue on the issue's labelled scale.
actor_map
    Position against capability on one issue; bubble area = salience.
histogram
    Monte Carlo distribution of one forecast (raw draws or pre-binned counts).
tornado
    Sensitivity tornado: the forecast at the low and high value of each input.
settlement
    War layer: probability that a settlement is reached by each horizon.

:func:`charts_for` lists which charts a result supports.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

# A qualitative palette used by both back ends, so an actor has the same colour on
# the web and in a report (tab10 extended with tab20's light shades).
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ff9896", "#98df8a", "#ffbb78", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)  # fmt: skip
MEDIAN_COLOR = "#111111"
MEAN_COLOR = "#555555"


def color(k: int) -> str:
    return PALETTE[k % len(PALETTE)]


# ====================================================================== data access
def as_dict(result: Any) -> dict[str, Any]:
    """A Result, or its ``to_dict()`` form, as the plain dict."""
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return dict(result)


def positions_array(result: Mapping[str, Any]) -> np.ndarray:
    """``history.positions`` as an array ``[round, actor, issue]`` (NaN = inactive)."""
    pos = (result.get("history") or {}).get("positions")
    n, m = len(result.get("actors") or []), len(result.get("issues") or [])
    if not pos:
        return np.empty((0, n, m))
    arr = np.array(
        [[[np.nan if v is None else float(v) for v in row] for row in rnd] for rnd in pos], dtype=float
    )
    if arr.ndim != 3:
        raise ValueError(f"history.positions must be [round][actor][issue], got shape {arr.shape}")
    return arr


def _scale(scenario: Any, issue_id: str) -> dict[str, Any]:
    """Scale of an issue: min, max, labelled points, status quo, label."""
    if scenario is not None:
        try:
            iss = scenario.issue(issue_id)
        except KeyError:
            iss = None
        if iss is not None:
            return {
                "min": iss.min,
                "max": iss.max,
                "points": [(p.value, p.label) for p in iss.points],
                "status_quo": iss.status_quo,
                "label": iss.label or iss.id,
            }
    return {"min": None, "max": None, "points": [], "status_quo": None, "label": issue_id}


def short_name(label: str, n: int = 26) -> str:
    """A chart label: the name without its parenthesised gloss, at most ``n`` characters."""
    base = label.split(" (")[0].strip() or label
    return _short(base, n)


def _actor_labels(result: Mapping[str, Any], scenario: Any) -> list[str]:
    ids = list(result.get("actors") or [])
    if scenario is None:
        return ids
    out = []
    for a in ids:
        try:
            out.append(short_name(scenario.actor(a).label))
        except KeyError:
            out.append(a)
    return out


def has_trajectory(result: Mapping[str, Any]) -> bool:
    """True when the result holds positions for more than one round."""
    pos = (result.get("history") or {}).get("positions")
    return bool(pos) and len(pos) > 1


def _value(v: Any) -> tuple[float, float | None, float | None]:
    """A probability given as a number, [low, high], or a mapping with an interval."""
    if isinstance(v, Mapping):
        mid = v.get("mean", v.get("p", v.get("value", v.get("probability"))))
        lo = v.get("low", v.get("lo", v.get("p05", v.get("ci_low"))))
        hi = v.get("high", v.get("hi", v.get("p95", v.get("ci_high"))))
        ci = v.get("interval") or v.get("ci")
        if ci is not None and lo is None and len(ci) == 2:
            lo, hi = ci
        return (float("nan") if mid is None else float(mid), None if lo is None else float(lo),
                None if hi is None else float(hi))  # fmt: skip
    if v is None:
        return float("nan"), None, None
    return float(v), None, None


def settlement_series(result: Mapping[str, Any]) -> dict[str, list[Any]] | None:
    """Probability of settlement over time from a war-layer result, or None.

    Reads, in this order: ``details.settlement_by_month`` (``{"months": [...],
    "probability": [...]}``, optionally ``low``/``high``), ``details.settlement_by_round``
    (a list over rounds), or ``details.settlement_probability`` (mapping horizon ->
    probability, a number or ``{mean, low, high}``) with intervals from
    ``details.settlement_probability_interval`` or
    ``details.intervals.settlement_probability`` (horizon -> ``[low, high]``).
    Returns ``{"x": [...], "p": [...], "low": [...], "high": [...], "unit": ...}``;
    ``horizons`` (when given) holds the horizon points with their intervals.
    """
    details = result.get("details") or {}
    horizons = _settlement_horizons(details)
    by_month = details.get("settlement_by_month")
    if isinstance(by_month, Mapping) and by_month.get("months") and by_month.get("probability"):
        n = len(by_month["months"])
        low = by_month.get("low") or [None] * n
        high = by_month.get("high") or [None] * n
        return {"x": [float(x) for x in by_month["months"]], "p": [_value(v)[0] for v in by_month["probability"]],
                "low": list(low), "high": list(high), "unit": "months", "horizons": horizons}  # fmt: skip
    by_round = details.get("settlement_by_round") or details.get("settlement_probability_by_round")
    if isinstance(by_round, Sequence) and not isinstance(by_round, str) and len(by_round) > 0:
        vals = [_value(v) for v in by_round]
        return {
            "x": list(range(1, len(vals) + 1)),
            "p": [v[0] for v in vals],
            "low": [v[1] for v in vals],
            "high": [v[2] for v in vals],
            "unit": details.get("round_unit", "round"),
            "horizons": None,
        }
    if horizons is None:
        return None
    return {"x": horizons["x"], "p": horizons["p"], "low": horizons["low"], "high": horizons["high"],
            "unit": "months", "horizons": None}  # fmt: skip


def _settlement_horizons(details: Mapping[str, Any]) -> dict[str, list[Any]] | None:
    sp = details.get("settlement_probability")
    if not isinstance(sp, Mapping) or not sp:
        return None
    items = []
    for k, v in sp.items():
        try:
            x = float(str(k).rstrip("m").strip())
        except ValueError:
            continue
        items.append((x, _value(v)))
    if not items:
        return None
    items.sort()
    intervals = details.get("settlement_probability_interval") or (
        (details.get("intervals") or {}).get("settlement_probability")) or {}  # fmt: skip
    low, high = [], []
    for x, (_, lo, hi) in items:
        iv = intervals.get(f"{x:g}") if isinstance(intervals, Mapping) else None
        if lo is None and iv is not None and len(iv) == 2:
            lo, hi = float(iv[0]), float(iv[1])
        low.append(lo)
        high.append(hi)
    return {"x": [x for x, _ in items], "p": [v[0] for _, v in items], "low": low, "high": high}


def histograms_of(result: Mapping[str, Any]) -> dict[str, Any]:
    """Monte Carlo histograms per issue: ``details.histograms`` ({edges, counts}) or
    raw draws in ``details.forecast_draws`` ([draw][issue])."""
    details = result.get("details") or {}
    hists = details.get("histograms")
    if isinstance(hists, Mapping) and hists:
        return {k: v for k, v in hists.items() if isinstance(v, Mapping)}
    draws = details.get("forecast_draws")
    if isinstance(draws, Sequence) and len(draws) > 0:
        arr = np.array([[np.nan if v is None else v for v in row] for row in draws], dtype=float)
        return {iid: arr[:, c] for c, iid in enumerate(result.get("issues") or []) if c < arr.shape[1]}
    return {}


def tornado_of(result: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Tornado rows per issue from ``details.tornado`` (issue -> rows, or one list of rows)."""
    torn = (result.get("details") or {}).get("tornado")
    if isinstance(torn, Mapping):
        return {k: v for k, v in torn.items() if v}
    if isinstance(torn, Sequence) and torn:
        issues = result.get("issues") or ["forecast"]
        return {issues[0]: list(torn)}
    return {}


def histogram_data(values: Any, bins: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """``(edges, counts)`` from raw draws or a mapping ``{edges|bins, counts}``."""
    if isinstance(values, Mapping):
        edges = values.get("edges", values.get("bins"))
        counts = values.get("counts", values.get("count"))
        if edges is None or counts is None:
            raise ValueError("a binned histogram needs 'edges' and 'counts'")
        edges, counts = np.asarray(edges, dtype=float), np.asarray(counts, dtype=float)
        if len(edges) != len(counts) + 1:
            raise ValueError(f"histogram has {len(edges)} edges for {len(counts)} counts (need counts + 1)")
        return edges, counts
    x = np.asarray(values, dtype=float).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.array([0.0, 1.0]), np.array([0.0])
    counts, edges = np.histogram(x, bins=bins)
    return edges, counts.astype(float)


def tornado_rows(rows: Iterable[Any]) -> list[tuple[str, float, float]]:
    """Normalise tornado rows: ``(name, low, high)`` tuples or mappings with those keys.

    Rows are sorted by swing ``|high - low|``, largest first.
    """
    out = []
    for r in rows:
        if isinstance(r, Mapping):
            name = r.get("name", r.get("input", r.get("parameter", "?")))
            lo = r.get("low", r.get("output_low", r.get("at_low")))
            hi = r.get("high", r.get("output_high", r.get("at_high")))
        else:
            name, lo, hi = r[0], r[1], r[2]
        out.append((str(name), float(lo), float(hi)))
    out.sort(key=lambda t: -abs(t[2] - t[1]))
    return out


def charts_for(result: Any) -> list[str]:
    """The charts this result supports (besides ``forecasts`` and ``actor_map``)."""
    r = as_dict(result)
    charts = []
    if has_trajectory(r):
        charts.append("positions")
    if settlement_series(r) is not None:
        charts.append("settlement")
    if histograms_of(r):
        charts.append("histogram")
    if tornado_of(r):
        charts.append("tornado")
    return charts


def _finite(v: Any) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


# ====================================================================== matplotlib
def _mpl_figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig


def _mpl_style(ax) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(True, axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8)


def _mpl_scale_labels(ax, scale: dict[str, Any], axis: str = "y") -> None:
    """Label the scale's points on the opposite axis (right or top)."""
    pts = scale["points"]
    if not pts:
        return
    if axis == "y":
        sec = ax.secondary_yaxis("right")
        sec.set_yticks([v for v, _ in pts], labels=[_short(lbl) for _, lbl in pts], fontsize=7)
    else:
        sec = ax.secondary_xaxis("top")
        sec.set_xticks([v for v, _ in pts], labels=[_short(lbl, 22) for _, lbl in pts], fontsize=7, rotation=20,
                       ha="left")  # fmt: skip
    sec.tick_params(length=2, colors="#444444")


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def mpl_positions(result: Any, scenario: Any = None, issues: Sequence[str] | None = None):
    """Positions of every actor per round, one panel per issue."""
    r = as_dict(result)
    pos = positions_array(r)
    iids = list(r.get("issues") or [])
    show = [i for i in (issues or iids) if i in iids]
    labels = _actor_labels(r, scenario)
    fig = _mpl_figure(8.5, 3.2 * max(1, len(show)))
    if pos.shape[0] == 0 or not show:
        ax = fig.add_subplot(1, 1, 1)
        ax.text(0.5, 0.5, f"{r.get('model', 'model')}: no trajectory (the model does not run in rounds)",
                ha="center", va="center", transform=ax.transAxes, color="#666666")  # fmt: skip
        ax.set_axis_off()
        return fig
    axes = fig.subplots(len(show), 1, squeeze=False)[:, 0]
    rounds = np.arange(pos.shape[0])
    hist = r.get("history") or {}
    for ax, iid in zip(axes, show):
        c = iids.index(iid)
        sc = _scale(scenario, iid)
        for k, lbl in enumerate(labels):
            y = pos[:, k, c]
            if np.all(np.isnan(y)):
                continue
            ax.plot(rounds, y, color=color(k), linewidth=1.4, marker="o", markersize=2.5, label=lbl)
        for key, col, style in (("median", MEDIAN_COLOR, "--"), ("mean", MEAN_COLOR, ":")):
            series = (hist.get(key) or {}).get(iid)
            if series:
                ys = [np.nan if v is None else v for v in series]
                ax.plot(np.arange(len(ys)), ys, color=col, linestyle=style, linewidth=2.2, label=key)
        fc = (r.get("forecast") or {}).get(iid)
        if _finite(fc):
            ax.axhline(fc, color="#000000", linewidth=0.8, alpha=0.35)
        if sc["min"] is not None:
            pad = 0.03 * (sc["max"] - sc["min"])
            ax.set_ylim(sc["min"] - pad, sc["max"] + pad)
        _mpl_scale_labels(ax, sc, "y")
        ax.set_title(f"{sc['label']}", loc="left", fontsize=10, fontweight="bold")
        ax.set_xlabel("round", fontsize=8)
        ax.set_ylabel("position", fontsize=8)
        ax.set_xticks(rounds if len(rounds) <= 20 else rounds[:: max(1, len(rounds) // 10)])
        _mpl_style(ax)
    handles, lbls = axes[0].get_legend_handles_labels()
    fig.legend(handles, lbls, loc="outside right upper", fontsize=7, frameon=False)
    fig.suptitle(f"Positions per round: {r.get('model', '')}", fontsize=11, x=0.02, ha="left")
    return fig


def mpl_forecasts(results: Sequence[Any], scenario: Any):
    """Each model's forecast per issue, on the issue's labelled scale."""
    rs = [as_dict(x) for x in results]
    issues = list(scenario.issue_ids)
    fig = _mpl_figure(8.5, 1.2 + 1.35 * len(issues))
    axes = fig.subplots(len(issues), 1, squeeze=False)[:, 0]
    markers = "oDs^vP*Xhp"
    for ax, iid in zip(axes, issues):
        sc = _scale(scenario, iid)
        ax.set_xlim(sc["min"], sc["max"])
        ax.set_ylim(-0.6, 0.6)
        ax.axhline(0, color="#bbbbbb", linewidth=1)
        for v, _ in sc["points"]:
            ax.axvline(v, color="#dddddd", linewidth=0.8, zorder=0)
        if sc["status_quo"] is not None:
            ax.axvline(sc["status_quo"], color="#999999", linestyle="--", linewidth=1)
            ax.text(sc["status_quo"], 0.5, " status quo", fontsize=7, color="#777777", va="center")
        for k, res in enumerate(rs):
            v = (res.get("forecast") or {}).get(iid)
            if _finite(v):
                off = (k - (len(rs) - 1) / 2) * (0.7 / max(len(rs), 1))
                ax.plot([v], [off], marker=markers[k % len(markers)], markersize=8, color=color(k),
                        linestyle="none", label=res.get("model"))  # fmt: skip
                ax.annotate(f"{v:.1f}", (v, off), xytext=(7, 0), textcoords="offset points", fontsize=7,
                            va="center", color=color(k))  # fmt: skip
        ax.set_yticks([])
        for s in ("left", "right", "top"):
            ax.spines[s].set_visible(False)
        ax.tick_params(labelsize=8)
        _mpl_scale_labels(ax, sc, "x")
        ax.set_title(sc["label"], loc="left", fontsize=10, fontweight="bold", pad=18 if sc["points"] else 4)
    handles, lbls = [], []
    for ax in axes:
        for h, lb in zip(*ax.get_legend_handles_labels()):
            if lb not in lbls:
                handles.append(h)
                lbls.append(lb)
    if handles:
        fig.legend(handles, lbls, loc="outside lower center", ncol=min(len(lbls), 6), fontsize=8, frameon=False)
    return fig


def mpl_actor_map(scenario: Any, issue: str | None = None):
    """Actor map on one issue: position against capability, bubble area = salience."""
    iid = issue or scenario.issue_ids[0]
    sc = _scale(scenario, iid)
    a = scenario.arrays()
    c = list(a.issues).index(iid)
    fig = _mpl_figure(8.5, 4.6)
    ax = fig.add_subplot(1, 1, 1)
    act = a.active[:, c]
    for k, aid in enumerate(a.actors):
        if not act[k]:
            continue
        x, y, s = a.position[k, c], a.capability[k, c], a.salience[k, c]
        ax.scatter([x], [y], s=40 + 1400 * s, color=color(k), alpha=0.55, edgecolors="white", linewidths=1)
        ax.annotate(short_name(scenario.actor(aid).label), (x, y), xytext=(0, 4 + 10 * math.sqrt(s)), textcoords="offset points",
                    fontsize=7.5, ha="center", va="bottom")  # fmt: skip
    if sc["status_quo"] is not None:
        ax.axvline(sc["status_quo"], color="#999999", linestyle="--", linewidth=1)
    ax.set_xlim(sc["min"], sc["max"])
    ymax = float(np.nanmax(a.capability[act, c])) if act.any() else 1.0
    ax.set_ylim(0, ymax * 1.18)
    ax.set_xlabel("position", fontsize=8)
    ax.set_ylabel("capability", fontsize=8)
    _mpl_scale_labels(ax, sc, "x")
    _mpl_style(ax)
    ax.set_title(f"Actor map: {sc['label']} (bubble area = salience)", loc="left", fontsize=10, fontweight="bold")
    return fig


def mpl_histogram(values: Any, issue: str = "", scenario: Any = None, bins: int = 40):
    """Monte Carlo histogram of one forecast, on the issue's scale."""
    edges, counts = histogram_data(values, bins)
    sc = _scale(scenario, issue) if issue else {"min": None, "max": None, "points": [], "label": issue}
    fig = _mpl_figure(8.5, 3.4)
    ax = fig.add_subplot(1, 1, 1)
    total = counts.sum() or 1.0
    ax.bar(edges[:-1], counts / total, width=np.diff(edges), align="edge", color=PALETTE[0], alpha=0.8,
           edgecolor="white", linewidth=0.5)  # fmt: skip
    if sc["min"] is not None:
        ax.set_xlim(sc["min"], sc["max"])
    _mpl_scale_labels(ax, sc, "x")
    ax.set_xlabel("forecast", fontsize=8)
    ax.set_ylabel("share of draws", fontsize=8)
    _mpl_style(ax)
    ax.set_title(f"Monte Carlo distribution: {sc['label'] or 'forecast'}", loc="left", fontsize=10,
                 fontweight="bold")  # fmt: skip
    return fig


def mpl_tornado(rows: Iterable[Any], base: float | None = None, title: str = "Sensitivity"):
    """Sensitivity tornado: one bar per input from the forecast at its low to its high value."""
    rs = tornado_rows(rows)
    fig = _mpl_figure(8.5, 1.0 + 0.32 * max(len(rs), 1))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(rs))[::-1]
    for yi, (name, lo, hi) in zip(y, rs):
        ref = base if base is not None else (lo + hi) / 2
        ax.barh(yi, lo - ref, left=ref, color=PALETTE[0], alpha=0.85, height=0.7)
        ax.barh(yi, hi - ref, left=ref, color=PALETTE[1], alpha=0.85, height=0.7)
    ax.set_yticks(y, labels=[n for n, _, _ in rs], fontsize=8)
    if base is not None:
        ax.axvline(base, color="#111111", linewidth=1)
    if not rs or all(lo == hi for _, lo, hi in rs):  # never an empty chart without a word
        ax.text(0.5, 0.5, "no input moves this forecast on its own within its range\n(every one-at-a-time swing is 0)",
                ha="center", va="center", transform=ax.transAxes, color="#444444", fontsize=9)  # fmt: skip
    ax.set_xlabel("forecast (blue: input at low value, red: at high value)", fontsize=8)
    _mpl_style(ax)
    ax.grid(True, axis="x", color="#e5e5e5")
    ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
    return fig


def tornado_figures(result: Any, top: int = 15, issues: Sequence[str] | None = None) -> dict[str, Any]:
    """Matplotlib tornado figures per issue of a :class:`~realpolitik.analysis.sensitivity.SensitivityResult`."""
    figs = {}
    for iss in result.scenario.issues:
        if issues and iss.id not in issues:
            continue
        if iss.id not in result.tornado:
            continue  # no forecast on this issue
        rows = result.tornado.get(iss.id, [])[:top]
        figs[iss.id] = mpl_tornado(
            rows, base=result.point.get(iss.id), title=f"Tornado ({result.label}): {iss.label or iss.id}"
        )
    return figs


def mpl_settlement(result: Any):
    """War layer: probability of a settlement by each horizon, with its interval."""
    r = as_dict(result)
    s = settlement_series(r)
    fig = _mpl_figure(8.5, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    if s is None:
        ax.text(0.5, 0.5, "no settlement probabilities in this result", ha="center", va="center",
                transform=ax.transAxes, color="#666666")  # fmt: skip
        ax.set_axis_off()
        return fig
    x, p = np.array(s["x"], dtype=float), np.array(s["p"], dtype=float)
    ax.plot(x, p, marker="o", markersize=3, color=PALETTE[2], linewidth=2, drawstyle="steps-post" if len(x) > 6 else "default")
    if all(v is not None for v in s["low"]) and all(v is not None for v in s["high"]):
        ax.fill_between(x, s["low"], s["high"], color=PALETTE[2], alpha=0.18, linewidth=0)
    hz = s.get("horizons")
    if hz:
        # an interval need not contain its estimate (e.g. p = 0 with a Wilson interval): clip
        lo = [max(0.0, p - (lv if lv is not None else p)) for p, lv in zip(hz["p"], hz["low"])]
        hi = [max(0.0, (hv if hv is not None else p) - p) for p, hv in zip(hz["p"], hz["high"])]
        ax.errorbar(hz["x"], hz["p"], yerr=[lo, hi], fmt="o", color="#111111", capsize=3, markersize=4)
        for x_, p_ in zip(hz["x"], hz["p"]):
            ax.annotate(f"{p_:.0%} by {x_:g}", (x_, p_), xytext=(4, 6), textcoords="offset points", fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_xlabel(s["unit"], fontsize=8)
    ax.set_ylabel("P(settled by then)", fontsize=8)
    _mpl_style(ax)
    ax.set_title("Probability of settlement over time", loc="left", fontsize=10, fontweight="bold")
    return fig


def figure_svg(fig) -> str:
    """An inline SVG string of a matplotlib figure (no XML header)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def figure_png_base64(fig, dpi: int = 110) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


# ====================================================================== plotly
_PLOTLY_LAYOUT = dict(
    template="plotly_white",
    font=dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=12),
    margin=dict(l=60, r=30, t=50, b=50),
    legend=dict(font=dict(size=11)),
)


def _go():
    import plotly.graph_objects as go

    return go


def _plotly_scale_axis(sc: dict[str, Any]) -> dict[str, Any]:
    """Axis settings: range of the scale; ticks at labelled points show value and label."""
    axis: dict[str, Any] = {}
    if sc["min"] is not None:
        pad = 0.03 * (sc["max"] - sc["min"])
        axis["range"] = [sc["min"] - pad, sc["max"] + pad]
    if sc["points"]:
        axis["tickvals"] = [v for v, _ in sc["points"]]
        axis["ticktext"] = [f"<b>{v:g}</b><br>{_short(lbl, 18)}" for v, lbl in sc["points"]]
        axis["tickangle"] = 0
        axis["tickfont"] = {"size": 10}
    return axis


def plotly_positions(result: Any, scenario: Any = None, issue: str | None = None):
    """Positions of every actor per round on one issue (hover shows each value)."""
    go = _go()
    r = as_dict(result)
    pos = positions_array(r)
    iids = list(r.get("issues") or [])
    iid = issue if issue in iids else (iids[0] if iids else "")
    fig = go.Figure()
    fig.update_layout(**_PLOTLY_LAYOUT)
    sc = _scale(scenario, iid)
    if pos.shape[0] == 0:
        fig.add_annotation(text=f"{r.get('model')}: no trajectory (the model does not run in rounds)",
                           showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")  # fmt: skip
        return fig
    c = iids.index(iid)
    rounds = list(range(pos.shape[0]))
    for k, lbl in enumerate(_actor_labels(r, scenario)):
        y = pos[:, k, c]
        if np.all(np.isnan(y)):
            continue
        fig.add_trace(go.Scatter(x=rounds, y=[None if np.isnan(v) else float(v) for v in y], name=lbl,
                                 mode="lines+markers", line=dict(color=color(k), width=2), marker=dict(size=5)))  # fmt: skip
    hist = r.get("history") or {}
    for key, col, dash in (("median", MEDIAN_COLOR, "dash"), ("mean", MEAN_COLOR, "dot")):
        series = (hist.get(key) or {}).get(iid)
        if series:
            fig.add_trace(go.Scatter(x=list(range(len(series))), y=series, name=key, mode="lines",
                                     line=dict(color=col, width=3, dash=dash)))  # fmt: skip
    fig.update_layout(title=f"{sc['label']}: positions per round ({r.get('model')})", xaxis_title="round",
                      yaxis_title="position", yaxis=_plotly_scale_axis(sc), hovermode="x unified", height=480)  # fmt: skip
    return fig


def plotly_forecasts(results: Sequence[Any], scenario: Any, issue: str | None = None):
    """Each model's forecast on one issue's labelled scale (a dot plot)."""
    go = _go()
    rs = [as_dict(x) for x in results]
    iid = issue or scenario.issue_ids[0]
    sc = _scale(scenario, iid)
    fig = go.Figure()
    fig.update_layout(**_PLOTLY_LAYOUT)
    names, vals, cols = [], [], []
    for k, res in enumerate(rs):
        v = (res.get("forecast") or {}).get(iid)
        if _finite(v):
            names.append(res.get("model", f"model {k}"))
            vals.append(float(v))
            cols.append(color(k))
    fig.add_trace(go.Scatter(x=vals, y=names, mode="markers+text", text=[f"{v:.1f}" for v in vals],
                             textposition="top center", marker=dict(size=14, color=cols), showlegend=False,
                             hovertemplate="%{y}: %{x:.2f}<extra></extra>"))  # fmt: skip
    if sc["status_quo"] is not None:
        fig.add_vline(x=sc["status_quo"], line_dash="dash", line_color="#999999", annotation_text="status quo")
    fig.update_layout(title=f"Forecast: {sc['label']}", xaxis=_plotly_scale_axis(sc),
                      height=230 + 40 * max(1, len(names)))  # fmt: skip
    return fig


def plotly_actor_map(scenario: Any, issue: str | None = None):
    """Actor map on one issue: position against capability, bubble area = salience."""
    go = _go()
    iid = issue or scenario.issue_ids[0]
    sc = _scale(scenario, iid)
    a = scenario.arrays()
    c = list(a.issues).index(iid)
    fig = go.Figure()
    fig.update_layout(**_PLOTLY_LAYOUT)
    for k, aid in enumerate(a.actors):
        if not a.active[k, c]:
            continue
        s = float(a.salience[k, c])
        fig.add_trace(go.Scatter(
            x=[float(a.position[k, c])], y=[float(a.capability[k, c])], mode="markers+text",
            text=[short_name(scenario.actor(aid).label)], textposition="middle center", name=scenario.actor(aid).label,
            marker=dict(size=12 + 50 * math.sqrt(s), color=color(k), opacity=0.55, line=dict(color="white", width=1)),
            hovertemplate=f"{scenario.actor(aid).label}<br>position %{{x:g}}<br>capability %{{y:g}}"
                          f"<br>salience {100 * s:.0f}<extra></extra>",
            showlegend=False))  # fmt: skip
    if sc["status_quo"] is not None:
        fig.add_vline(x=sc["status_quo"], line_dash="dash", line_color="#999999")
    fig.update_layout(title=f"Actor map: {sc['label']} (bubble area = salience)", xaxis=_plotly_scale_axis(sc),
                      yaxis=dict(title="capability", rangemode="tozero"), xaxis_title="position", height=420)  # fmt: skip
    return fig


def plotly_histogram(values: Any, issue: str = "", scenario: Any = None, bins: int = 40):
    go = _go()
    edges, counts = histogram_data(values, bins)
    sc = _scale(scenario, issue) if issue else {"min": None, "max": None, "points": [], "label": issue}
    total = counts.sum() or 1.0
    fig = go.Figure(go.Bar(x=((edges[:-1] + edges[1:]) / 2).tolist(), y=(counts / total).tolist(),
                           width=np.diff(edges).tolist(), marker_color=PALETTE[0]))  # fmt: skip
    fig.update_layout(**_PLOTLY_LAYOUT)
    fig.update_layout(title=f"Monte Carlo distribution: {sc['label'] or 'forecast'}", xaxis=_plotly_scale_axis(sc),
                      yaxis_title="share of draws", bargap=0, height=360)  # fmt: skip
    return fig


def plotly_tornado(rows: Iterable[Any], base: float | None = None, title: str = "Sensitivity"):
    go = _go()
    rs = tornado_rows(rows)[::-1]
    names = [n for n, _, _ in rs]
    ref = [base if base is not None else (lo + hi) / 2 for _, lo, hi in rs]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=[lo - b for (_, lo, _), b in zip(rs, ref)], base=ref, orientation="h",
                         name="input low", marker_color=PALETTE[0]))  # fmt: skip
    fig.add_trace(go.Bar(y=names, x=[hi - b for (_, _, hi), b in zip(rs, ref)], base=ref, orientation="h",
                         name="input high", marker_color=PALETTE[1]))  # fmt: skip
    fig.update_layout(**_PLOTLY_LAYOUT)
    fig.update_layout(title=title, barmode="overlay", xaxis_title="forecast", height=160 + 26 * len(rs))
    return fig


def plotly_settlement(result: Any):
    go = _go()
    s = settlement_series(as_dict(result))
    fig = go.Figure()
    fig.update_layout(**_PLOTLY_LAYOUT, height=380)
    if s is None:
        fig.add_annotation(text="no settlement probabilities in this result", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")  # fmt: skip
        return fig
    if all(v is not None for v in s["low"]) and all(v is not None for v in s["high"]):
        fig.add_trace(go.Scatter(x=s["x"] + s["x"][::-1], y=s["high"] + s["low"][::-1], fill="toself",
                                 fillcolor="rgba(44,160,44,0.18)", line=dict(width=0), name="interval",
                                 hoverinfo="skip"))  # fmt: skip
    fig.add_trace(go.Scatter(x=s["x"], y=s["p"], mode="lines+markers", line=dict(color=PALETTE[2], width=3,
                             shape="hv" if len(s["x"]) > 6 else "linear"), name="P(settled)"))  # fmt: skip
    hz = s.get("horizons")
    if hz:
        err = dict(type="data", symmetric=False,
                   array=[max(0.0, (hv if hv is not None else p) - p) for p, hv in zip(hz["p"], hz["high"])],
                   arrayminus=[max(0.0, p - (lv if lv is not None else p)) for p, lv in zip(hz["p"], hz["low"])])  # fmt: skip
        fig.add_trace(go.Scatter(x=hz["x"], y=hz["p"], mode="markers+text", error_y=err, name="by horizon",
                                 text=[f"{p:.0%}" for p in hz["p"]], textposition="top left",
                                 marker=dict(color="#111111", size=8)))  # fmt: skip
    fig.update_layout(title="Probability of settlement over time", xaxis_title=s["unit"], height=380,
                      yaxis=dict(range=[0, 1], title="P(settled by then)", tickformat=".0%"))  # fmt: skip
    return fig


def plotly_json(fig) -> dict[str, Any]:
    """A plotly figure as a plain dict ``{data, layout}`` for ``Plotly.newPlot``."""
    import json

    return json.loads(fig.to_json())
