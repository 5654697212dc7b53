"""Charts read the Result JSON: check they draw the numbers they are given."""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.models import get_model
from realpolitik.report import plots as P
from realpolitik.scenario import load_scenario


@pytest.fixture(scope="module")
def scen():
    return load_scenario("ec-emissions")


@pytest.fixture()
def traj(scen):
    """A result dict with a 4-round trajectory, a median and settlement probabilities."""
    d = get_model("weighted-mean").run(scen).to_dict()
    a = scen.arrays()
    pos = np.stack([a.position + t * (7.0 - a.position) for t in (0, 0.3, 0.6, 1.0)])
    pos[:, 2, 0] = np.nan  # one actor inactive
    d["history"] = {"positions": [[[None if np.isnan(v) else v for v in row] for row in r] for r in pos.tolist()],
                    "median": {"emission": [7.0, 7.0, 7.0, 7.0]}}  # fmt: skip
    d["details"] = {"settlement_probability": {"24": 0.7, "6": {"mean": 0.2, "low": 0.1, "high": 0.3},
                                               "12": {"mean": 0.45, "low": 0.35, "high": 0.55}}}  # fmt: skip
    d["details"]["settlement_probability"]["24"] = {"mean": 0.7, "low": 0.6, "high": 0.8}
    return d, pos


def test_positions_array_and_charts_for(traj):
    d, pos = traj
    arr = P.positions_array(d)
    np.testing.assert_allclose(arr, pos)
    assert P.charts_for(d) == ["positions", "settlement"]
    plain = get_model("nash").run(load_scenario("ec-emissions"))
    assert P.charts_for(plain) == []
    # Monte Carlo (analysis.montecarlo) and sensitivity (analysis.sensitivity) result shapes
    mc = {**plain.to_dict(), "details": {"draws": 3, "histograms": {"emission": {"edges": [4, 7, 10], "counts": [1, 2]}}}}
    assert P.charts_for(mc) == ["histogram"]
    assert list(P.histograms_of(mc)) == ["emission"]
    raw = {**plain.to_dict(), "details": {"forecast_draws": [[5.0], [6.0], [None]]}}
    np.testing.assert_allclose(P.histograms_of(raw)["emission"], [5.0, 6.0, np.nan])
    sens = {**plain.to_dict(), "details": {"tornado": {"emission": [{"name": "x", "low": 1, "high": 2}]}}}
    assert P.charts_for(sens) == ["tornado"] and P.tornado_of(sens)["emission"][0]["name"] == "x"


def test_mpl_positions_draws_every_active_actor_on_the_scale(scen, traj):
    d, pos = traj
    fig = P.mpl_positions(d, scen)
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert len(lines) == len(scen.actors) - 1 + 1 + 1  # active actors + median + forecast line
    np.testing.assert_allclose(lines["Germany"].get_ydata(), pos[:, 3, 0])
    np.testing.assert_allclose(lines["median"].get_ydata(), 7.0)
    assert "Luxembourg" not in lines  # inactive on the issue
    lo, hi = ax.get_ylim()
    assert lo < 4 < 10 < hi and hi - lo < 7
    # the labelled points label the right-hand axis
    sec = [c for c in ax.child_axes]
    assert sec and [t.get_text() for t in sec[0].get_yticklabels()][0].startswith("standards soonest")


def test_plotly_positions(scen, traj):
    d, pos = traj
    fig = P.plotly_positions(d, scen, "emission")
    names = [t.name for t in fig.data]
    assert "median" in names and "Luxembourg" not in names
    ger = fig.data[names.index("Germany")]
    np.testing.assert_allclose(ger.y, pos[:, 3, 0])
    assert list(fig.layout.yaxis.tickvals) == [4, 7, 10]
    assert P.plotly_json(fig)["data"][0]["type"] == "scatter"


def test_no_trajectory_is_said_not_drawn(scen):
    r = get_model("nash").run(scen)
    fig = P.mpl_positions(r, scen)
    assert "no trajectory" in fig.axes[0].texts[0].get_text()
    assert "no trajectory" in P.plotly_positions(r, scen).layout.annotations[0].text


def test_forecasts_on_labelled_scale(scen):
    rs = [get_model(n).run(scen) for n in ("weighted-mean", "weighted-median", "nash")]
    fig = P.mpl_forecasts(rs, scen)
    ax = fig.axes[0]
    xs = {ln.get_label(): ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_label() in {r.model for r in rs}}
    assert xs == pytest.approx({r.model: r.forecast["emission"] for r in rs})
    assert ax.get_xlim() == (4.0, 10.0)
    pf = P.plotly_forecasts(rs, scen)
    assert list(pf.data[0].x) == pytest.approx([r.forecast["emission"] for r in rs])
    assert list(pf.layout.xaxis.ticktext)[1].startswith("<b>7</b><br>intermediate")


def test_actor_map_bubbles(scen):
    a = scen.arrays()
    fig = P.mpl_actor_map(scen)
    cols = fig.axes[0].collections
    assert len(cols) == len(scen.actors)
    sizes = np.array([c.get_sizes()[0] for c in cols])
    sal = a.salience[:, 0]
    assert np.all(np.diff(sizes[np.argsort(sal)]) >= 0)  # bubble area grows with salience
    offs = np.array([c.get_offsets()[0] for c in cols])
    np.testing.assert_allclose(offs[:, 0], a.position[:, 0])
    np.testing.assert_allclose(offs[:, 1], a.capability[:, 0])
    pf = P.plotly_actor_map(scen)
    assert len(pf.data) == len(scen.actors)
    assert pf.data[3].x[0] == a.position[3, 0] and pf.data[3].y[0] == a.capability[3, 0]


def test_histogram_from_draws_and_bins(scen):
    rng = np.random.default_rng(0)
    draws = rng.normal(7, 1, 5000)
    edges, counts = P.histogram_data(draws, bins=20)
    assert counts.sum() == 5000 and len(edges) == 21
    fig = P.mpl_histogram(draws, "emission", scen)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert sum(heights) == pytest.approx(1.0)
    e, c = P.histogram_data({"edges": [0, 1, 2], "counts": [3, 1]})
    assert list(c) == [3, 1]
    with pytest.raises(ValueError, match="edges"):
        P.histogram_data({"edges": [0, 1], "counts": [3, 1]})
    pf = P.plotly_histogram({"edges": [4, 7, 10], "counts": [1, 3]}, "emission", scen)
    assert list(pf.data[0].y) == [0.25, 0.75]


def test_tornado_sorted_by_swing():
    rows = [("small", 49, 51), {"name": "big", "low": 30, "high": 70}, ("mid", 55, 40)]
    assert [r[0] for r in P.tornado_rows(rows)] == ["big", "mid", "small"]
    fig = P.mpl_tornado(rows, base=50)
    ax = fig.axes[0]
    ticks = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks())}
    assert ticks["big"] > ticks["mid"] > ticks["small"]  # biggest swing on top
    bars = ax.patches
    assert {round(b.get_x() + b.get_width(), 6) for b in bars} >= {30.0, 70.0}
    pf = P.plotly_tornado(rows, base=50)
    assert list(pf.data[0].y)[-1] == "big"


def test_settlement_series(traj):
    d, _ = traj
    s = P.settlement_series(d)
    assert s["x"] == [6, 12, 24] and s["p"] == [0.2, 0.45, 0.7]
    assert s["low"] == [0.1, 0.35, 0.6] and s["unit"] == "months"
    by_round = {"details": {"settlement_by_round": [0.1, 0.3, 0.6]}}
    assert P.settlement_series(by_round)["p"] == [0.1, 0.3, 0.6]
    iv = {"details": {"settlement_probability": {"6": 0.2, "12": 0.4},
                      "intervals": {"settlement_probability": {"6": [0.1, 0.3], "12": [0.3, 0.5]}}}}  # fmt: skip
    assert P.settlement_series(iv)["high"] == [0.3, 0.5]
    assert P.settlement_series({"details": {}}) is None
    # the war layer's shape: a monthly curve plus horizons with intervals
    war = {"details": {"settlement_by_month": {"months": [0, 2, 4], "probability": [0.0, 0.1, 0.3]},
                       "settlement_probability": {"6": 0.3, "12": 0.5},
                       "settlement_probability_interval": {"6": [0.25, 0.35], "12": [0.45, 0.55]}}}  # fmt: skip
    ws = P.settlement_series(war)
    assert ws["x"] == [0, 2, 4] and ws["p"] == [0.0, 0.1, 0.3]
    assert ws["horizons"] == {"x": [6, 12], "p": [0.3, 0.5], "low": [0.25, 0.45], "high": [0.35, 0.55]}
    pw = P.plotly_settlement(war)
    assert list(pw.data[-1].error_y.array) == pytest.approx([0.05, 0.05])
    fig = P.mpl_settlement(d)
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), [0.2, 0.45, 0.7])
    pf = P.plotly_settlement(d)
    assert list(pf.data[-1].y) == [0.2, 0.45, 0.7]


def test_svg_and_png_export(scen):
    fig = P.mpl_actor_map(scen)
    assert P.figure_svg(fig).startswith("<svg")
    import base64

    assert base64.b64decode(P.figure_png_base64(fig)).startswith(b"\x89PNG")
