"""Sensitivity analysis: Sobol, Morris and the tornado (issue 6, part 4)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from realpolitik.analysis.sensitivity import analyze, input_paths, inputs_batch, select_factors
from realpolitik.errors import OptionError
from realpolitik.models import get_model
from realpolitik.scenario import Scenario


def scenario(**extra) -> Scenario:
    return Scenario.model_validate(
        {
            "title": "sensitivity",
            "issues": [{"id": "x", "min": 0, "max": 100}],
            "actors": [
                {"id": "a", "capability": 1, "positions": {"x": 20}, "saliences": {"x": 50}},
                {"id": "b", "capability": 1, "positions": {"x": 80}, "saliences": {"x": 50}},
                {"id": "c", "capability": 1, "positions": {"x": 50}, "saliences": {"x": 50}},
            ],
            **extra,
        }
    )


# Only a's position matters: it moves over the whole scale, the two other inputs
# barely move (and c sits at the weighted mean, so its weight hardly matters).
ONE_MATTERS = dict(
    uncertainty=[
        {"path": "a.position.x", "dist": "uniform", "low": 0, "high": 100},
        {"path": "b.salience.x", "dist": "uniform", "low": 49, "high": 51},
        {"path": "c.capability", "dist": "uniform", "low": 0.99, "high": 1.01},
    ]
)
INPUTS = ["a.position.x", "b.salience.x", "c.capability"]


def test_sobol_gives_the_largest_index_to_the_one_input_that_matters():
    s = scenario(**ONE_MATTERS)
    res = analyze(s, get_model("weighted-mean"), method="sobol", inputs=INPUTS, samples=512, seed=3)
    idx = res.indices["x"]
    assert max(idx, key=lambda p: idx[p]["S1"]) == "a.position.x"
    assert max(idx, key=lambda p: idx[p]["ST"]) == "a.position.x"
    assert idx["a.position.x"]["S1"] > 0.9 and idx["a.position.x"]["ST"] > 0.9
    assert idx["b.salience.x"]["ST"] < 0.05 and idx["c.capability"]["ST"] < 0.05
    assert res.ranking("x")[0][0] == "a.position.x"
    assert res.runs == 512 * (3 + 2) + 2 * 3 + 1


def test_morris_ranks_the_one_input_first():
    s = scenario(**ONE_MATTERS)
    res = analyze(s, get_model("weighted-mean"), method="morris", inputs=INPUTS, samples=20, seed=3)
    idx = res.indices["x"]
    assert max(idx, key=lambda p: idx[p]["mu_star"]) == "a.position.x"
    # weighted mean: a's position enters linearly with weight 1/3, so mu* = (1/3) x range
    assert idx["a.position.x"]["mu_star"] == pytest.approx(100 / 3, rel=0.05)


def test_tornado_is_one_at_a_time_and_sorted_by_swing():
    s = scenario(**ONE_MATTERS)
    m = get_model("weighted-mean")
    res = analyze(s, m, method="morris", inputs=INPUTS, samples=4, seed=1)
    rows = res.tornado["x"]
    assert [r["name"] for r in rows][0] == "a.position.x"
    assert rows[0]["low"] == pytest.approx(m.run(s.with_value("a", "position", 0.0, "x")).forecast["x"])
    assert rows[0]["high"] == pytest.approx(m.run(s.with_value("a", "position", 100.0, "x")).forecast["x"])
    assert all(r1["swing"] >= r2["swing"] for r1, r2 in zip(rows, rows[1:]))
    assert res.point["x"] == pytest.approx(m.run(s).forecast["x"])


def test_factor_ranges():
    s = scenario(**ONE_MATTERS)
    factors, dropped = select_factors(s, ["*.salience.*", "*.capability", "b.position.x"], spread=0.2)
    by = {f.path: f for f in factors}
    assert (by["a.salience.x"].low, by["a.salience.x"].high) == (30, 70)  # 50 +- 20
    assert (by["b.salience.x"].low, by["b.salience.x"].high) == (49, 51)  # its distribution
    assert by["a.capability"].low == pytest.approx(0.8) and by["a.capability"].high == pytest.approx(1.2)
    assert (by["b.position.x"].low, by["b.position.x"].high) == (60, 100)  # 80 +- 20, cut at the scale
    assert dropped == []
    # default: every salience and capability
    default, _ = select_factors(s)
    assert {f.path for f in default} == {p for p in input_paths(s) if ".position." not in p}
    with pytest.raises(OptionError, match="matches no input"):
        select_factors(s, ["zz.*"])


def test_normal_distribution_range_is_two_sd():
    s = scenario(uncertainty=[{"path": "a.salience.x", "dist": "normal", "mean": 50, "sd": 10}])
    f = select_factors(s, ["a.salience.x"])[0][0]
    assert (f.low, f.high) == (30, 70)
    s0 = scenario(uncertainty=[{"path": "a.salience.x", "dist": "normal", "mean": 50, "sd": 0}])
    with pytest.raises(OptionError, match="empty range"):
        select_factors(s0, ["a.salience.x"])


def test_inputs_batch_writes_values_into_place():
    s = scenario()
    factors, _ = select_factors(s, ["a.position.x", "b.salience.x", "c.capability"])
    X = np.array([[10.0, 60.0, 2.0], [30.0, 40.0, 0.5]])
    b = inputs_batch(s, factors, X)
    assert b.position[:, 0, 0].tolist() == [10.0, 30.0]
    assert b.salience[:, 1, 0].tolist() == [0.6, 0.4]
    assert b.capability[:, 2, 0].tolist() == [2.0, 0.5]


def test_options_are_checked():
    s = scenario()
    m = get_model("weighted-mean")
    with pytest.raises(OptionError, match="power of 2"):
        analyze(s, m, samples=100)
    with pytest.raises(OptionError, match="unknown method"):
        analyze(s, m, method="fast")  # type: ignore[arg-type]


def test_cli_sensitivity_with_plot(tmp_path, capsys):
    from realpolitik.cli import main

    plot = tmp_path / "tornado.png"
    code = main(["sensitivity", "ec-emissions", "-m", "weighted-mean", "--method", "morris", "--samples", "6",
                 "--seed", "2", "--plot", str(plot), "--json", "-q"])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["details"]["method"] == "morris" and data["details"]["plots"] == [str(plot)]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    top = data["details"]["ranking"]["emission"][0]
    assert top in data["details"]["indices"]["emission"]
    assert main(["sensitivity", "-m", "weighted-mean", "--samples", "100"]) == 2
    assert "power of 2" in capsys.readouterr().err


def test_uncertain_selects_the_values_with_distributions():
    s = scenario(**ONE_MATTERS)
    factors, _ = select_factors(s, ["uncertain"])
    assert [f.path for f in factors] == INPUTS
    with pytest.raises(OptionError, match="no value as a distribution"):
        select_factors(scenario(), ["uncertain"])


# ------------------------------------------------------------------ resolution and the tornado (issue 12)
def test_sobol_doubles_n_until_the_ranked_indices_are_resolved():
    """Two inputs of similar weight need more samples than 8 to resolve; N doubles until
    every ranked ST has a confidence interval narrower than itself, or says it has not."""
    from realpolitik.analysis.sensitivity import NEGLIGIBLE, resolved

    s = scenario(uncertainty=[{"path": "a.position.x", "dist": "uniform", "low": 0, "high": 100},
                              {"path": "b.position.x", "dist": "uniform", "low": 40, "high": 100}])  # fmt: skip
    res = analyze(s, get_model("weighted-mean"), inputs=["a.position.x", "b.position.x"], samples=8, seed=1,
                  max_samples=512)  # fmt: skip
    assert res.samples > 8 and res.options["start_samples"] == 8
    idx = res.indices["x"]
    assert all(resolved(v["ST"], v["ST_conf"]) for v in idx.values() if v["ST"] >= NEGLIGIBLE)
    # without room to double, the table says which indices are not resolved
    res = analyze(s, get_model("weighted-mean"), inputs=["a.position.x", "b.position.x"], samples=4, seed=1,
                  max_samples=4)  # fmt: skip
    text = " ".join(str(c) for t in res.tables() for row in t.rows for c in row) + " ".join(t.note for t in res.tables())
    assert res.samples == 4 and ("not resolved" in text or "every ST resolved" in text)


def test_a_flat_tornado_says_so_in_the_table_and_the_chart():
    from realpolitik.report.plots import tornado_figures

    s = scenario()
    res = analyze(s, get_model("weighted-median"), inputs=["*.capability"], samples=8, seed=2, spread=0.1)
    assert all(r["swing"] == 0 for r in res.tornado["x"])
    assert "no input moves this forecast on its own" in res.tables()[0].note
    fig = tornado_figures(res)["x"]
    assert any("no input moves" in t.get_text() for t in fig.axes[0].texts)
