"""KTAB SMP: golden runs against smpc, the loop oracle, options, stochastic runs, CLI."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from realpolitik.errors import OptionError
from realpolitik.models import get_model
from realpolitik.models.base import ScenarioBatch
from realpolitik.models.smp import KTAB_DEFAULTS, Params, run_smp, unique_representatives
from realpolitik.scenario.io import load_bytes, load_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from smp_oracle import Oracle  # noqa: E402

KTAB = Path(__file__).resolve().parent / "data" / "anchors" / "ktab"  # tests/data/SOURCES.md
needs_anchors = pytest.mark.skipif(not (KTAB / "outputs").exists(), reason="shared KTAB anchors not present")

GOLDEN = {
    "dummyData_3Dim": 11,
    "SOE-Pol-Comp": 28,
    "SOE-Policy": 20,
    "SOE-Competitive": 36,
    "dummyData_6Dim": 30,
    "dummyData-a040": 21,
    "synth_n10_d3": 16,
}


def _reference(stem, scen):
    names = [a.name for a in scen.actors]
    dims = [i.label for i in scen.issues]
    rows = list(csv.DictReader(open(KTAB / "outputs" / f"{stem}_positions.csv")))
    T = 1 + max(int(r["state"]) for r in rows)
    pos = np.full((T, len(names), len(dims)), np.nan)
    for r in rows:
        pos[int(r["state"]), names.index(r["actor"].strip()), dims.index(r["dimension"].strip())] = float(r["position"])
    prob = np.full((T, len(names)), np.nan)
    for r in csv.DictReader(open(KTAB / "outputs" / f"{stem}_probabilities.csv")):
        prob[int(r["state"]), names.index(r["actor"].strip())] = float(r["probability"])
    return pos, prob


@needs_anchors
@pytest.mark.parametrize("stem", sorted(GOLDEN))
def test_golden_against_smpc(stem):
    scen = load_scenario(KTAB / "inputs" / f"{stem}.csv")
    res = get_model("smp").run(scen)
    ref_pos, ref_prob = _reference(stem, scen)
    mine = res.positions()
    assert mine.shape[0] == ref_pos.shape[0] == GOLDEN[stem] == res.details["states"]
    assert not np.isnan(ref_pos).any()
    np.testing.assert_allclose(mine, ref_pos, rtol=0, atol=1e-6)
    prob = np.array(res.details["winning_probabilities"])
    assert prob.shape == ref_prob.shape
    assert np.max(np.abs(prob - ref_prob)) <= 5e-5
    # smpc prints 4 decimals: ours round to the same digits (tolerating a half-way tie)
    assert np.mean(np.round(prob, 4) == ref_prob) > 0.999


@needs_anchors
def test_xml_version_gives_the_csv_run():
    a = get_model("smp").run(load_scenario(KTAB / "inputs" / "dummyData_3Dim.csv"))
    b = get_model("smp").run(load_scenario(KTAB / "inputs" / "dummyData_3Dim.xml"))
    np.testing.assert_array_equal(a.positions(), b.positions())


@needs_anchors
def test_xml_model_parameters_are_defaults_and_options_override():
    scen = load_scenario(KTAB / "inputs" / "smpExample.xml")
    m = get_model("smp")
    p = m.params(scen)
    assert (p.pce_model, p.state_transitions, p.voting_rule) == ("MarkovIncentive", "Stochastic", "PropCbc")
    assert get_model("smp", pce_model="Conditional").params(scen).pce_model == "Conditional"
    A = m.accommodation(scen)
    assert A[1, 0] == 0.07 and A[1, 1] == 0.75 and A[4, 4] == 1.0


@needs_anchors
def test_stochastic_runs_are_reproducible_with_a_seed():
    scen = load_scenario(KTAB / "inputs" / "smpExample.xml")
    m = get_model("smp")
    r1, r2 = m.run(scen, rng=7), m.run(scen, rng=7)
    np.testing.assert_array_equal(r1.positions(), r2.positions())
    histories = {m.run(scen, rng=s).positions().tobytes() for s in range(6)}
    assert len(histories) > 1  # the seed matters in stochastic mode
    # without a seed the XML prngSeed seeds the run (smpc's rule): reruns are identical
    np.testing.assert_array_equal(m.run(scen).positions(), m.run(scen).positions())
    assert m.run(scen).seed == 3507583219545544127
    # the seed option is a single run's default; the run's own seed wins (realpolitik.seeds)
    r3 = get_model("smp", seed=3).run(scen)
    np.testing.assert_array_equal(r3.positions(), m.run(scen, rng=3).positions())
    assert r3.seed == 3
    r4 = get_model("smp", seed=3).run(scen, rng=1)
    np.testing.assert_array_equal(r4.positions(), m.run(scen, rng=1).positions())


def test_deterministic_runs_ignore_the_seed():
    scen = _random_scenario(np.random.default_rng(5), 6, 2)
    a, b = get_model("smp").run(scen, rng=1), get_model("smp").run(scen, rng=2)
    np.testing.assert_array_equal(a.positions(), b.positions())


# --------------------------------------------------------------------- oracle
def _random_arrays(rng, n, m):
    pos = np.round(rng.uniform(0, 100, (n, m)), 2) / 100
    sal = rng.uniform(0.1, 1, (n, m))
    sal = np.round(sal / sal.sum(1, keepdims=True) * rng.uniform(0.5, 0.99, (n, 1)) * 100, 2) / 100
    cap = np.round(rng.uniform(10, 200, n), 3)
    return pos, sal, cap


def _random_scenario(rng, n, m):
    pos, sal, cap = _random_arrays(rng, n, m)
    head = ",".join(f"D{k} Position,D{k} Salience" for k in range(m))
    lines = [f"R,random,{n},{m}", f"Actor,Description,Power,{head}"]
    for i in range(n):
        cells = ",".join(f"{pos[i, k] * 100:.2f},{sal[i, k] * 100:.2f}" for k in range(m))
        lines.append(f"A{i},actor {i},{cap[i]},{cells}")
    return load_bytes("\n".join(lines).encode(), "r.csv")


VARIANTS = [{}] + [{k: v} for k, v in [
    ("voting_rule", "Binary"), ("voting_rule", "PropBin"), ("voting_rule", "PropCbc"),
    ("voting_rule", "Cubic"), ("voting_rule", "ASymProsp"),
    ("victory_prob_model", "Square"), ("victory_prob_model", "Quartic"),
    ("victory_prob_model", "Octic"), ("victory_prob_model", "Binary"),
    ("pce_model", "MarkovUniform"), ("pce_model", "MarkovIncentive"),
    ("big_r_adjust", "None"), ("big_r_adjust", "Half"), ("big_r_adjust", "TwoThirds"), ("big_r_adjust", "Full"),
    ("big_r_range", "Min"), ("big_r_range", "Max"),
    ("third_party_commit", "FullCommit"), ("third_party_commit", "NoCommit"),
    ("inter_vec_brgn", "S1P1"), ("inter_vec_brgn", "S2PMax"),
    ("bargn_model", "InitRcvrInterp"), ("bargn_model", "PWCompInterp"),
]]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(v.values()) or "defaults")
def test_vectorised_core_equals_loop_oracle(variant):
    rng = np.random.default_rng(VARIANTS.index(variant))
    prm = dict(KTAB_DEFAULTS, **variant)
    for _ in range(3):
        n, m = int(rng.integers(3, 8)), int(rng.integers(1, 4))
        pos, sal, cap = _random_arrays(rng, n, m)
        hist, probs = Oracle(pos.tolist(), sal.tolist(), cap.tolist(), prm).run(max_iter=25)
        r = run_smp(pos[None], sal[None], cap[None], Params(**prm, max_iter=25))
        T = int(r.states[0])
        assert T == len(hist)
        # bit-for-bit in practice; S2PMax bargains are not rounded, so allow float noise
        np.testing.assert_allclose(r.positions[0, :T], np.array(hist), rtol=0, atol=1e-9)
        np.testing.assert_allclose(r.probabilities[0, :T], np.array(probs), rtol=0, atol=1e-9)


def test_ideal_adjustment_equals_oracle():
    rng = np.random.default_rng(11)
    pos, sal, cap = _random_arrays(rng, 5, 2)
    A = np.eye(5)
    A[0, 0], A[1, 1], A[1, 0], A[2, 2], A[2, 3] = 0.87, 0.75, 0.07, 0.65, 0.13
    hist, probs = Oracle(pos.tolist(), sal.tolist(), cap.tolist(), dict(KTAB_DEFAULTS), A.tolist()).run()
    r = run_smp(pos[None], sal[None], cap[None], Params(), A)
    T = int(r.states[0])
    assert T == len(hist)
    np.testing.assert_allclose(r.positions[0, :T], np.array(hist), rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.probabilities[0, :T], np.array(probs), rtol=0, atol=1e-12)


def test_batch_axis_equals_single_runs():
    rng = np.random.default_rng(3)
    draws = [_random_arrays(rng, 6, 2) for _ in range(4)]
    pos = np.stack([d[0] for d in draws])
    sal = np.stack([d[1] for d in draws])
    cap = np.stack([d[2] for d in draws])
    batch = run_smp(pos, sal, cap, Params())
    for b in range(4):
        one = run_smp(pos[b : b + 1], sal[b : b + 1], cap[b : b + 1], Params())
        T = int(one.states[0])
        assert batch.states[b] == T
        np.testing.assert_array_equal(batch.positions[b, :T], one.positions[0, :T])
        np.testing.assert_array_equal(batch.probabilities[b, :T], one.probabilities[0, :T])
        # after a run stops, its history repeats the final state
        assert np.all(batch.positions[b, T - 1 :] == one.positions[0, T - 1])


@pytest.mark.parametrize("transitions", ["Deterministic", "Stochastic"])
def test_final_report_mode_equals_every_state(transitions):
    """report="final" (what forecast_batch asks: stopped runs cost nothing more) gives every
    position and the final state's probabilities and risk of report=True, bit for bit."""
    rng = np.random.default_rng(31)
    draws = [_random_arrays(rng, 7, 3) for _ in range(6)]
    P, S, C = (np.stack([d[k] for d in draws]) for k in range(3))
    prm = Params(state_transitions=transitions, max_iter=40)
    events = {3: [("position", 1, 0, np.full(6, 0.2), np.array([1, 0, 1, 0, 1, 1], bool)),
                  ("capability", 2, -1, np.full(6, 90.0), np.ones(6, bool))]}
    U = np.random.default_rng(4).random((6, prm.max_iter, 7))
    every = run_smp(P, S, C, prm, rng=U, events=events)
    final = run_smp(P, S, C, prm, rng=U, events=events, report="final")
    assert len(set(every.states.tolist())) > 1  # runs stop at different turns
    np.testing.assert_array_equal(final.states, every.states)
    np.testing.assert_array_equal(final.positions, every.positions)
    for b, T in enumerate(every.states):
        np.testing.assert_array_equal(final.probabilities[b, T - 1:], every.probabilities[b, T - 1:])
        np.testing.assert_array_equal(final.risk[b, -1], every.risk[b, -1])
        assert np.isnan(final.probabilities[b, : T - 1]).all()


def test_forecast_batch_matches_run():
    scen = _random_scenario(np.random.default_rng(8), 6, 3)
    m = get_model("smp")
    fc = m.forecast_batch(ScenarioBatch.repeat(scen, 3))
    res = m.run(scen)
    for d in range(3):
        np.testing.assert_allclose(fc[d], [res.forecast[i] for i in scen.issue_ids], atol=1e-9)


def test_unique_positions_use_representatives_not_chains():
    # 0 and 1 are 0.0009 apart, 1 and 2 too, 0 and 2 0.0018: 0 and 2 are representatives,
    # and 1 reports the *last* representative within posTol (2)
    pos = np.array([[[0.5000], [0.5009], [0.5018], [0.9]]])
    rep, report = unique_representatives(pos)
    assert rep[0].tolist() == [True, False, True, True]
    assert report[0].tolist() == [0, 2, 2, 3]


# --------------------------------------------------------------------- options, errors
def test_unknown_and_bad_options_raise_option_error():
    with pytest.raises(OptionError) as exc:
        get_model("smp", voting_rule="Majority")
    assert "voting_rule" in str(exc.value)
    with pytest.raises(OptionError):
        get_model("smp", turns=3)


def test_result_carries_ktab_outputs():
    scen = _random_scenario(np.random.default_rng(4), 5, 2)
    m = get_model("smp")
    res = m.run(scen)
    d = res.details
    assert d["states"] == len(res.history["positions"]) == len(d["winning_probabilities"])
    assert set(d["effective_power"]) == set(scen.actor_ids)
    assert len(d["bargains"]) == d["turns"]
    assert 0 < d["most_probable"]["probability"] <= 1
    assert res.options["voting_rule"] == "Prop"
    tables = m.describe(res, scen)
    assert "final positions" in tables[0].title and len(tables[0].rows) == 5
    json.dumps(res.to_dict())


def test_saliences_above_100_are_normalised():
    text = b"""title: t
issues:
  - {id: a, min: 0, max: 100}
  - {id: b, min: 0, max: 100}
actors:
  - {id: x, capability: 10, positions: {a: 10, b: 20}, saliences: {a: 90, b: 80}}
  - {id: y, capability: 20, positions: {a: 60, b: 70}, saliences: {a: 50, b: 30}}
  - {id: z, capability: 30, positions: {a: 90, b: 10}, saliences: {a: 20, b: 20}}
"""
    scen = load_bytes(text, "t.yaml")
    res = get_model("smp").run(scen)
    assert res.details["salience_normalisation"] == "mean"
    assert res.details["effective_power"]["x"] == pytest.approx(10 * 1.7 / 2)  # S = mean salience
    assert res.details["effective_power"]["z"] == pytest.approx(30 * 0.4 / 2)
    res = get_model("smp", salience_normalisation="per-actor").run(scen)
    assert res.details["effective_power"]["x"] == pytest.approx(10.0)  # x scaled to S = 1
    assert res.details["effective_power"]["z"] == pytest.approx(30 * 0.4)  # z untouched
    # KTAB data (sums <= 100) is never rescaled
    ktab = _random_scenario(np.random.default_rng(2), 4, 2)
    assert get_model("smp").run(ktab).details["salience_normalisation"].startswith("none")


def test_cli_forecast_smp_json(tmp_path, capsys):
    from realpolitik.cli import main

    f = tmp_path / "k.csv"
    f.write_bytes(b"T,d,3,1,\nActor,Description,Power,X Position,X Salience,\nA,a,10,10,50,\nB,b,20,60,50,\nC,c,30,90,40,\n")
    assert main(["forecast", str(f), "--model", "smp", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["results"][0]  # the forecast document: {scenario, seed, results}
    assert data["model"] == "smp" and data["details"]["turns"] >= 2
    assert main(["forecast", str(f), "--model", "smp", "--option", "voting_rule=Nope"]) == 2
    assert "voting_rule" in capsys.readouterr().err


@pytest.mark.parametrize("pce_model", ["Conditional", "MarkovIncentive"])
def test_stochastic_transitions_equal_oracle_draw_for_draw(pce_model):
    # one uniform draw per actor per turn, in actor order: the same seed, the same history
    prm = dict(KTAB_DEFAULTS, state_transitions="Stochastic", pce_model=pce_model)
    for seed in range(3):
        pos, sal, cap = _random_arrays(np.random.default_rng(50 + seed), 6, 2)
        hist, _ = Oracle(pos.tolist(), sal.tolist(), cap.tolist(), prm).run(max_iter=20, rng=np.random.default_rng(seed))
        r = run_smp(pos[None], sal[None], cap[None], Params(**prm, max_iter=20), rng=np.random.default_rng(seed))
        T = int(r.states[0])
        assert T == len(hist)
        np.testing.assert_allclose(r.positions[0, :T], np.array(hist), rtol=0, atol=1e-12)


def test_memory_blocks_do_not_change_results(monkeypatch):
    import realpolitik.models.smp.params as smp_mod  # where the block size lives

    rng = np.random.default_rng(21)
    pos, sal, cap = _random_arrays(rng, 9, 2)
    pos2, sal2, cap2 = _random_arrays(rng, 9, 2)
    P, S, C = np.stack([pos, pos2]), np.stack([sal, sal2]), np.stack([cap, cap2])
    big = run_smp(P, S, C, Params())
    monkeypatch.setattr(smp_mod, "BLOCK_ELEMENTS", 8)  # every block a single row
    small = run_smp(P, S, C, Params())
    np.testing.assert_array_equal(big.states, small.states)
    np.testing.assert_array_equal(big.positions, small.positions)
    np.testing.assert_array_equal(big.probabilities, small.probabilities)


def test_default_scenario_runs_with_its_issues_as_dimensions():
    from realpolitik.scenario.io import builtin_names

    if "russia-ukraine-2024" not in builtin_names():
        pytest.skip("default scenario not shipped yet")
    scen = load_scenario(None)
    m = get_model("smp")
    res = m.run(scen)
    assert list(res.forecast) == list(scen.issue_ids)
    assert 3 <= res.details["states"] <= 101
    for iss in scen.issues:
        assert iss.min <= res.forecast[iss.id] <= iss.max
    titles = [t.title for t in m.describe(res, scen)]
    assert any("final positions" in t for t in titles) and any("most probable" in t for t in titles)


# --------------------------------------------------------------------- properties
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st_  # noqa: E402


@settings(max_examples=20, deadline=None)
@given(seed=st_.integers(0, 2**32 - 1), n=st_.integers(2, 7), m=st_.integers(1, 3))
def test_run_invariants(seed, n, m):
    rng = np.random.default_rng(seed)
    pos, sal, cap = _random_arrays(rng, n, m)
    r = run_smp(pos[None], sal[None], cap[None], Params(max_iter=30))
    T = int(r.states[0])
    assert 3 <= T <= 31  # at least two turns (minIter), at most max_iter
    P = r.positions[0, :T]
    assert np.all((P >= 0) & (P <= 1))
    pr = r.probabilities[0, :T]
    assert np.all((pr >= 0) & (pr <= 1 + 1e-12))
    for t in range(T):  # the representatives' probabilities form a distribution
        rep, _ = unique_representatives(P[t][None])
        assert pr[t][rep[0]].sum() == pytest.approx(1.0, abs=1e-9)
    assert np.all(np.isfinite(r.risk[0, :T])) and np.all(r.risk[0, :T] <= 1 + 1e-12)
    # a rerun is identical (deterministic transitions)
    again = run_smp(pos[None], sal[None], cap[None], Params(max_iter=30))
    np.testing.assert_array_equal(again.positions[0, :T], P)


# --------------------------------------------------------------------- events
EVENT_SCENARIO = """title: events
issues:
  - {id: a, min: 0, max: 10}
  - {id: b, min: 0, max: 100}
actors:
  - {id: w, capability: 50, positions: {a: 1, b: 20}, saliences: {a: 40, b: 30}}
  - {id: x, capability: 80, positions: {a: 4, b: 70}, saliences: {a: 30, b: 50}}
  - {id: y, capability: 30, positions: {a: 9, b: 40}, saliences: {a: 60, b: 20}}
  - {id: z, capability: 60, positions: {a: 6, b: 90}, saliences: {a: 20, b: 60}}
events:
  - round: 2
    changes:
      - {actor: y, field: position, issue: a, value: 2}
      - {actor: z, field: salience, issue: b, value: 30}
      - {actor: w, field: capability, value: 120}
  - round: 3
    changes:
      - {actor: x, field: leave}
"""


def test_events_change_the_state_a_turn_starts_from():
    scen = load_bytes(EVENT_SCENARIO.encode(), "e.yaml")
    m = get_model("smp")
    res = m.run(scen)
    plain = m.run(scen.replace(events=()))
    P, Q = res.positions(), plain.positions()
    np.testing.assert_array_equal(P[:2], Q[:2])  # states before the event agree
    assert res.details["events_applied"] == [{"before_turn": 2, "changes": 3}]
    assert any("leave of x" in s for s in res.details["events_skipped"])
    # the turn after the event equals a fresh run from the changed state
    data = scen.replace(events=()).model_dump()
    for k, actor in enumerate(data["actors"]):
        actor["positions"] = {iid: float(P[1, k, c]) for c, iid in enumerate(scen.issue_ids)}
    data["actors"][2]["positions"]["a"] = 2.0
    data["actors"][3]["saliences"]["b"] = 30.0
    data["actors"][0]["capability"] = 120.0
    from realpolitik.scenario.model import Scenario

    fresh = m.run(Scenario.model_validate(data)).positions()
    np.testing.assert_allclose(P[2], fresh[1], rtol=0, atol=1e-9)


def test_default_scenario_event_is_applied():
    from realpolitik.scenario.io import builtin_names

    if "russia-ukraine-2024" not in builtin_names():
        pytest.skip("default scenario not shipped yet")
    scen = load_scenario(None)
    res = get_model("smp").run(scen)
    if any(e.round for e in scen.events):
        assert res.details["events_applied"]


@pytest.mark.parametrize("m", [1, 2, 4, 7, 8, 9, 10, 17, 130])
def test_distances_issue_by_issue_equal_the_stacked_sum(m):
    """bv_diff sums issue by issue (lane_sum) and gives NumPy's last-axis sum bit for bit."""
    from realpolitik.models.smp.primitives import bv_diff, lane_sum

    rng = np.random.default_rng(m)
    ideal, pos = rng.uniform(0, 1, (3, 6, m)), rng.uniform(0, 1, (3, 5, m))
    sal = rng.uniform(0.01, 1, (3, 6, m)) * 10.0 ** rng.uniform(-3, 0, (3, 6, m))
    ds = (ideal[..., :, None, :] - pos[..., None, :, :]) * sal[..., :, None, :]
    want = np.sqrt(np.sum(ds * ds, axis=-1) / np.sum(sal * sal, axis=-1)[..., :, None])
    np.testing.assert_array_equal(bv_diff(ideal, pos, sal), want)
    terms = [rng.standard_normal((4, 3)) * 10.0 ** rng.uniform(-6, 6, (4, 3)) for _ in range(min(m, 128))]
    np.testing.assert_array_equal(lane_sum(terms), np.sum(np.stack(terms, -1), axis=-1))
