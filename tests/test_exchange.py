"""Exchange model (Stokman & Van Oosten): literature mode, REX, options, CLI (issue 4)."""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from realpolitik.errors import OptionError
from realpolitik.models import ScenarioBatch, get_model
from realpolitik.scenario import load_scenario
from realpolitik.scenario.model import Scenario

ANCHORS = Path(__file__).resolve().parent / "data" / "anchors" / "decide"  # tests/data/SOURCES.md
CASES = {"sample_data": "sample_data.txt", "copenhagen": "copenhagen.csv", "cop21": "cop21.csv"}


@lru_cache(maxsize=None)
def scen(name: str) -> Scenario:
    return load_scenario(ANCHORS / "inputs" / CASES[name])


def synthetic(n: int, m: int, seed: int = 1) -> Scenario:
    rng = np.random.default_rng(seed)
    return Scenario.model_validate(
        {
            "title": f"synthetic {n}x{m}",
            "issues": [{"id": f"i{u}"} for u in range(m)],
            "actors": [
                {
                    "id": f"a{a}",
                    "capability": float(np.round(rng.uniform(0.05, 1.0), 3)),
                    "positions": {f"i{u}": float(np.round(rng.uniform(0, 100), 1)) for u in range(m)},
                    "saliences": {f"i{u}": float(np.round(rng.uniform(5, 100), 0)) for u in range(m)},
                }
                for a in range(n)
            ],
        }
    )


@lru_cache(maxsize=None)
def lit(name: str, rounds: int = 10):
    return get_model("exchange", rounds=rounds).run(scen(name))


# ------------------------------------------------------------------ literature mode
@pytest.mark.parametrize("name", list(CASES))
def test_literature_round1_matches_decide_in_float64(name):
    """Before any knife-edge, float64 gives Decide's round-1 exchanges (MODEL.md section 6)."""
    res = lit(name)
    ref = list(csv.DictReader(open(ANCHORS / "outputs" / f"{name}_exchanges_round1.csv")))
    mine = [e for e in res.details["exchanges"] if e["round"] == 1]
    assert len(mine) == len(ref)
    for a, b in zip(mine, ref):
        assert a["cand_index"] == int(b["cand_index"])
        for col in ("gain", "i_move", "j_move", "i_y", "j_y"):
            assert abs(a[col] - float(b[col])) <= 1e-9


@pytest.mark.parametrize("name", list(CASES))
def test_equal_gain_and_bounds(name):
    res = lit(name)
    s = scen(name)
    for e in res.details["exchanges"]:
        assert e["gain"] > 0
        assert abs(e["i_eu"] - e["j_eu"]) <= 1e-9 * max(1.0, e["gain"])  # equal gain
        assert abs(e["gain"] - e["i_eu"]) <= 1e-9 * max(1.0, e["gain"])
        assert 0 <= e["i_y"] <= 100 and 0 <= e["j_y"] <= 100
        # each actor moves toward its partner's position on the issue it supplies
        assert e["i_move"] != 0 and e["j_move"] != 0
    for iss in s.issues:
        for v in res.history["voting_outcome"][iss.id] + res.history["mean"][iss.id]:
            assert iss.min - 1e-9 <= v <= iss.max + 1e-9
    for P in res.history["positions"] + res.history["voting_positions"]:
        for row in P:
            for u, v in enumerate(row):
                if v is not None:
                    assert s.issues[u].min - 1e-9 <= v <= s.issues[u].max + 1e-9


def test_exchanges_in_order_of_gain_within_round1():
    """Executed exchanges come in order of gain, except that recalculation can lower gains."""
    res = lit("sample_data")
    first = [e for e in res.details["exchanges"] if e["round"] == 1]
    assert first[0]["gain"] == max(e["gain"] for e in first)


def test_deterministic_and_tie_break_matters():
    a = get_model("exchange").run(scen("sample_data"))
    b = get_model("exchange").run(scen("sample_data"))
    assert a.forecast == b.forecast and a.details["exchanges"] == b.details["exchanges"]
    c = get_model("exchange", mode="decide", tie_break="last-created").run(scen("sample_data"))
    d = get_model("exchange", mode="decide").run(scen("sample_data"))
    diff = max(abs(c.forecast[i] - d.forecast[i]) for i in c.forecast)
    assert diff > 0.1  # MODEL.md section 2: the rule moves outcomes by up to 1.58 points


def test_capability_scale_invariance():
    s = synthetic(12, 3, seed=4)
    data = s.model_dump()
    for a in data["actors"]:
        a["capability"] *= 4.0
    s4 = Scenario.model_validate(data)
    r1 = get_model("exchange", rounds=3).run(s)
    r4 = get_model("exchange", rounds=3).run(s4)
    for i in r1.forecast:
        assert abs(r1.forecast[i] - r4.forecast[i]) < 1e-9


def outcome_tie_scenario() -> Scenario:
    # on issue x the weighted mean is exactly 50, where actor c sits
    def actor(aid, x, y, sx, sy):
        return {"id": aid, "capability": 1, "positions": {"x": x, "y": y}, "saliences": {"x": sx, "y": sy}}

    return Scenario.model_validate(
        {
            "title": "actor on the outcome",
            "issues": [{"id": "x"}, {"id": "y"}],
            "actors": [
                actor("a", 0, 0, 50, 80),
                actor("b", 100, 100, 50, 20),
                actor("c", 50, 100, 80, 40),
                actor("d", 100, 0, 50, 60),
                actor("e", 0, 0, 50, 30),
            ],
        }
    )


def test_actor_on_the_outcome_takes_no_side_in_literature_mode():
    s = outcome_tie_scenario()
    lit_res = get_model("exchange", rounds=1).run(s)
    dec_res = get_model("exchange", mode="decide", rounds=1).run(s)
    involves_c = lambda r: [e for e in r.details["exchanges"] if "c" in (e["i_actor"], e["j_actor"])]  # noqa: E731
    assert involves_c(lit_res) == []
    assert involves_c(dec_res) != []  # Decide counts c (x == outcome) as "left"


# ------------------------------------------------------------------ REX
def test_rex_seeded_and_reproducible():
    m = get_model("exchange", p=0.5, rounds=4)
    a = m.run(scen("sample_data"), rng=7)
    b = m.run(scen("sample_data"), rng=7)
    c = m.run(scen("sample_data"), rng=8)
    assert a.forecast == b.forecast
    assert a.forecast != c.forecast
    eq = get_model("exchange", rounds=4).run(scen("sample_data"))
    assert a.forecast != eq.forecast


def test_rex_gain_shares_within_p():
    p = 0.4
    res = get_model("exchange", p=p, rounds=2).run(scen("copenhagen"), rng=1)
    shares = [e["i_eu"] / (e["i_eu"] + e["j_eu"]) for e in res.details["exchanges"]]
    assert min(shares) >= 0.5 - p / 2 - 1e-9 and max(shares) <= 0.5 + p / 2 + 1e-9
    assert max(shares) - min(shares) > 0.1


def test_rex_monte_carlo_summary():
    res = get_model("exchange", p=0.3, repetitions=12, rounds=3).run(scen("sample_data"), rng=5)
    rex = res.details["rex"]
    assert rex["repetitions"] == 12
    issues = list(scen("sample_data").issue_ids)
    cov = np.array([[rex["covariance"][a][b] for b in issues] for a in issues])
    assert np.allclose(cov, cov.T)
    assert np.allclose(np.sqrt(np.diag(cov)), [rex["std"][i] for i in issues])
    assert any(v > 0 for v in rex["std"].values())
    assert res.forecast == pytest.approx(rex["mean"])
    again = get_model("exchange", p=0.3, repetitions=12, rounds=3).run(scen("sample_data"), rng=5)
    assert again.details["rex"] == rex


def test_forecast_batch_matches_run_and_is_seeded():
    s = scen("copenhagen")
    m = get_model("exchange", rounds=3)
    out = m.forecast_batch(ScenarioBatch.repeat(s, 2), np.random.default_rng(0))
    single = m.run(s)
    assert out.shape == (2, len(s.issues))
    assert np.allclose(out[0], [single.forecast[i] for i in s.issue_ids], atol=1e-12)
    rex = get_model("exchange", p=0.5, rounds=3)
    b1 = rex.forecast_batch(ScenarioBatch.repeat(s, 3), np.random.default_rng(1))
    b2 = rex.forecast_batch(ScenarioBatch.repeat(s, 3), np.random.default_rng(1))
    assert np.array_equal(b1, b2) and not np.allclose(b1[0], b1[1])


# ------------------------------------------------------------------ options, output, CLI
@pytest.mark.parametrize(
    "opts, text",
    [
        ({"mode": "decide", "p": 0.2}, "literature only"),
        ({"mode": "nonsense"}, "mode"),
        ({"rounds": 0}, "rounds"),
        ({"foo": 1}, "unknown option"),
        ({"p": 1.5}, "p"),
    ],
)
def test_bad_options(opts, text):
    with pytest.raises(OptionError, match=text):
        get_model("exchange", **opts)


def test_result_round_trip_and_history_shapes():
    res = get_model("exchange", rounds=3).run(scen("sample_data"))
    data = json.loads(res.to_json())
    assert len(data["history"]["positions"]) == 4 and len(data["history"]["voting_positions"]) == 4
    assert all(len(v) == 4 for v in data["history"]["mean"].values())
    assert all(len(v) == 3 for v in data["history"]["voting_outcome"].values())
    assert data["details"]["exchanges_per_round"] == [39, 37, 36]
    ex = data["details"]["exchanges"][0]
    for key in ("i_actor", "j_actor", "i_supply_issue", "j_supply_issue", "i_move", "j_move", "gain"):
        assert key in ex


def test_default_scenario_runs_with_event():
    s = load_scenario()
    res = get_model("exchange").run(s)
    assert set(res.forecast) == set(s.issue_ids)
    if any(e.round is not None for e in s.events):
        assert res.details["events_applied"]
    tables = get_model("exchange").describe(res, s)
    assert tables[0].rows and tables[1].rows


def test_cli_forecast(capsys):
    from realpolitik.cli import main

    assert main(["forecast", "--model", "exchange"]) == 0
    out = capsys.readouterr().out
    assert "largest exchanges" in out
    assert main(["forecast", str(ANCHORS / "inputs" / "sample_data.txt"), "--model", "exchange",
                 "--mode", "decide", "--rounds", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["results"][0]  # the document: {scenario, seed, results}
    assert data["options"]["mode"] == "decide" and data["details"]["exchanges_per_round"] == [39, 37]


def test_speed_smoke_100x5_two_rounds():
    """Not a timing test: the vectorised path handles 100 actors x 5 issues."""
    res = get_model("exchange", rounds=2).run(synthetic(100, 5))
    assert len(res.details["exchanges_per_round"]) == 2 and res.details["exchanges_per_round"][0] > 100


# ------------------------------------------------------------------ properties
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def small_scenarios(draw):
    n = draw(st.integers(3, 7))
    m = draw(st.integers(2, 4))
    lo = draw(st.sampled_from([0.0, -10.0, 1.0]))
    hi = lo + draw(st.sampled_from([1.0, 10.0, 100.0]))
    pos = st.floats(lo, hi, allow_nan=False).map(lambda v: round(v, 2))
    actors = []
    for a in range(n):
        issues = [u for u in range(m) if draw(st.booleans()) or u == 0]
        actors.append({
            "id": f"a{a}",
            "capability": draw(st.floats(0.01, 5.0).map(lambda v: round(v, 3))),
            "positions": {f"i{u}": draw(pos) for u in issues},
            "saliences": {f"i{u}": draw(st.integers(1, 100)) for u in issues},
        })
    return Scenario.model_validate({
        "title": "random", "issues": [{"id": f"i{u}", "min": lo, "max": hi} for u in range(m)], "actors": actors,
    })


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_properties_on_random_scenarios(s):
    for mode in ("literature", "decide"):
        res = get_model("exchange", mode=mode, rounds=3).run(s)
        played = {iid for a in s.actors for iid in a.positions}
        for iss in s.issues:
            if iss.id not in played:  # nobody takes part: no outcome
                assert np.isnan(res.forecast[iss.id])
                continue
            for v in res.history["voting_outcome"][iss.id] + res.history["mean"][iss.id]:
                assert iss.min - 1e-9 <= v <= iss.max + 1e-9
        for e in res.details["exchanges"]:
            assert e["gain"] > 0
            assert abs(e["i_eu"] - e["j_eu"]) <= 1e-9 * max(1.0, e["gain"])
            assert -1e-9 <= e["i_y"] <= 100 + 1e-9 and -1e-9 <= e["j_y"] <= 100 + 1e-9
            assert e["i_actor"] != e["j_actor"] and e["i_supply_issue"] != e["j_supply_issue"]
        # the outcome before any exchange is the weighted mean of the input
        wm = get_model("weighted-mean").run(s).forecast
        for iss in s.issues:
            if iss.id in played:
                assert abs(res.history["mean"][iss.id][0] - wm[iss.id]) <= 1e-9 * max(1.0, iss.span)


def test_rex_through_the_monte_carlo_engine():
    mc = pytest.importorskip("realpolitik.analysis.montecarlo")
    if not hasattr(mc, "simulate"):
        pytest.skip("Monte Carlo entry point not available")
    s = scen("sample_data")
    model = get_model("exchange", p=0.3, rounds=3)
    a = mc.simulate(s, model, draws=8, seed=4, chunk_size=4)
    b = mc.simulate(s, model, draws=8, seed=4, chunk_size=4)
    assert a.draws.shape == (8, len(s.issues))
    assert np.array_equal(a.draws, b.draws)
    assert a.draws.std(axis=0).max() > 0


def test_issue_nobody_takes_part_in_has_no_forecast():
    s = Scenario.model_validate({
        "title": "empty issue",
        "issues": [{"id": "x"}, {"id": "y"}, {"id": "z"}],
        "actors": [
            {"id": "a", "capability": 1, "positions": {"x": 0, "y": 0}, "saliences": {"x": 90, "y": 10}},
            {"id": "b", "capability": 1, "positions": {"x": 100, "y": 100}, "saliences": {"x": 10, "y": 90}},
        ],
    })
    res = get_model("exchange", rounds=2).run(s)
    assert np.isnan(res.forecast["z"]) and json.loads(res.to_json())["forecast"]["z"] is None
    assert res.details["exchanges"]  # a and b trade x against y
    get_model("exchange").describe(res, s)
