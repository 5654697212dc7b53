"""The expected-utility model: golden data, options and presets, edge cases, CLI, batch core."""

from __future__ import annotations

import csv
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from realpolitik.cli import app
from realpolitik.errors import OptionError
from realpolitik.models import ScenarioBatch, get_model
from realpolitik.models.expected_utility import (
    PRESETS,
    ExpectedUtility,
    ExpectedUtilityOptions,
    eu_round,
    run_rounds,
    win_probability,
)
from realpolitik.models.stability import settle
from realpolitik.scenario import load_scenario
from realpolitik.scenario.model import Scenario

ANCHORS = Path(__file__).resolve().parent / "data" / "anchors" / "bdm"  # tests/data/SOURCES.md
needs_anchors = pytest.mark.skipif(not ANCHORS.is_dir(), reason="shared anchors not available")

EMISSION = dict(
    actors=["Netherlands", "Belgium", "Luxembourg", "Germany", "France", "Italy", "UK", "Ireland", "Denmark", "Greece"],
    c=[0.08, 0.08, 0.03, 0.16, 0.16, 0.16, 0.16, 0.05, 0.05, 0.08],
    x=[4, 7, 4, 4, 10, 10, 10, 7, 4, 7],
    s=[80, 40, 20, 80, 60, 60, 90, 10, 100, 70],
)


def _oracle():
    """The plain-loop oracle module (loaded by path: independent of pytest's import mode)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "eu_oracle", Path(__file__).with_name("test_expected_utility_oracle.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def make_scenario(x, c, s, lo=None, hi=None, ids=None, events=(), issues=None) -> Scenario:
    """A one-issue scenario (saliences on 0-100); ``issues`` for several."""
    ids = ids or [f"a{k}" for k in range(len(x))]
    lo = min(x) if lo is None else lo
    hi = max(x) if hi is None else hi
    if hi <= lo:
        hi = lo + 1
    data = {
        "title": "test",
        "issues": issues or [{"id": "q", "min": lo, "max": hi}],
        "actors": [
            {"id": i, "capability": ci, "positions": {"q": xi}, "saliences": {"q": si}}
            for i, xi, ci, si in zip(ids, x, c, s)
        ],
        "events": list(events),
    }
    return Scenario.model_validate(data)


def emission() -> Scenario:
    return make_scenario(EMISSION["x"], EMISSION["c"], EMISSION["s"], 4, 10, EMISSION["actors"])


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


# ----------------------------------------------------------------- golden: emission


def test_initial_facts_of_table1():
    r = get_model("expected-utility", rounds=0).run(emission())
    assert r.history["median"]["q"] == [7.0]
    assert r.history["mean"]["q"][0] == pytest.approx(7.390, abs=5e-4)


@needs_anchors
def test_scholz2011_reproduces_reference_trajectory():
    """Median, mean and all ten positions after rounds 0-10 within 1e-9 (issue asks 1e-6)."""
    scen = load_scenario(ANCHORS / "emission_inputs.csv")
    res = get_model("expected-utility", preset="scholz2011", rounds=10).run(scen)
    iid = scen.issue_ids[0]
    ref = read_csv(ANCHORS / "emission_reference_trajectory.csv")
    assert len(ref) == 11
    pos = res.positions()[:, :, 0]
    for t, row in enumerate(ref):
        assert res.history["median"][iid][t] == pytest.approx(float(row["median"]), abs=1e-9)
        assert res.history["mean"][iid][t] == pytest.approx(float(row["mean"]), abs=1e-9)
        want = np.array([float(row[a]) for a in EMISSION["actors"]])
        np.testing.assert_allclose(pos[t], want, atol=1e-9, rtol=0)
    # the reference stops at round 10's median (7.0), one end of an oscillation; the forecast
    # is the median of the last 4 rounds (issue 12, docs/DECISIONS.md "Stable point forecasts")
    st = res.details["stability"]["issues"][iid]
    assert st["last_round"] == pytest.approx(7.0) and not st["settled"]
    assert res.forecast[iid] == pytest.approx(float(np.median([float(r["median"]) for r in ref[-4:]])), abs=1e-9)


def parse_moves(path: Path) -> list[list[dict]]:
    rounds: list[list[dict]] = []
    lines = path.read_text().splitlines()
    k = 0
    while k < len(lines):
        line = lines[k].strip()
        if line.startswith("# round"):
            rounds.append([])
        elif line:
            m = re.match(r"(.+?) (compromises with|loses confrontation to) (.+)$", line)
            assert m, line
            a, b = (float(v) for v in lines[k + 1].split(" vs "))
            new = float(lines[k + 2].split("=")[1])
            kind = "compromise" if m.group(2).startswith("compromises") else "confrontation"
            rounds[-1].append(dict(actor=m.group(1), toward=m.group(3), kind=kind, a=a, b=b, to=new))
            k += 2
        k += 1
    return rounds


@needs_anchors
def test_scholz2011_reproduces_reference_moves():
    ref = parse_moves(ANCHORS / "emission_reference_moves.txt")
    assert len(ref) == 10
    res = get_model("expected-utility").run(emission())
    for t, (want, got) in enumerate(zip(ref, res.details["moves"]), start=1):
        assert [(m["actor"], m["toward"], m["kind"]) for m in got] == [
            (m["actor"], m["toward"], m["kind"]) for m in want
        ], f"round {t}"
        for g, w in zip(got, want):
            assert g["eu_challenge"] == pytest.approx(w["a"], abs=1e-9)
            assert g["eu_challenged"] == pytest.approx(w["b"], abs=1e-9)
            assert g["to"] == pytest.approx(w["to"], abs=1e-9)
            assert g["round"] == t


@needs_anchors
def test_printed_table2_within_tolerance_round2_known_discrepancy():
    """Table 2 as printed: +-0.1, except the round-2 median (9.61 vs 9.9, docs/expected-utility.md)."""
    res = get_model("expected-utility", rounds=8).run(emission())
    for row in read_csv(ANCHORS / "scholz2011_table2.csv"):
        t = int(row["round"])
        med, mean = res.history["median"]["q"][t], res.history["mean"]["q"][t]
        assert mean == pytest.approx(float(row["mean"]), abs=0.1)
        if t == 2:
            assert med == pytest.approx(9.6109, abs=1e-4)
            assert abs(med - float(row["median"])) == pytest.approx(0.29, abs=0.01)
        else:
            assert med == pytest.approx(float(row["median"]), abs=0.1)
            assert np.floor(med * 10) / 10 == pytest.approx(float(row["median"]))  # truncation matches


def test_no_option_combination_prints_9_9_in_round_2():
    """Pins the explanation of the round-2 discrepancy: no combination of the eight binary
    options yields a round-2 median in [9.9, 10) while round 1 stays at 8.4."""
    keys = dict(
        probability_mode=["paper", "all-pairs"], vote_risk=["one", "voter-r"], security=["adversary", "own-row"],
        perspective_r=["evaluator", "own"], resist_salience=["target", "printed-25b"],
        offer_rule=["least-move", "weighted-position"], capitulation=[False, True], range=["fixed", "per-round"],
    )
    scen = emission()
    for combo in itertools.product(*keys.values()):
        res = get_model("expected-utility", rounds=2, **dict(zip(keys, combo))).run(scen)
        m1, m2 = res.history["median"]["q"][1:3]
        assert not (8.4 <= m1 < 8.5 and 9.9 <= m2 < 10.0), combo


def test_builtin_emission_scenario_gives_same_forecast():
    scen = load_scenario("ec-emissions")
    res = get_model("expected-utility").run(scen)
    ref = get_model("expected-utility").run(emission())
    assert res.history["median"]["emission"] == pytest.approx(ref.history["median"]["q"], abs=1e-12)


# ----------------------------------------------------------------- golden: cases

CASES = ["argentina", "greece_debt_2015", "honduras_crisis", "iran_election_2013", "sultan_succession"]


@needs_anchors
@pytest.mark.parametrize("case", CASES)
def test_cases_reproduce_reference(case):
    scen = load_scenario(ANCHORS / "cases" / f"{case}.csv")
    ref = read_csv(ANCHORS / "cases" / f"{case}_reference.csv")
    res = get_model("expected-utility", rounds=len(ref) - 1).run(scen)
    iid = scen.issue_ids[0]
    for t, row in enumerate(ref):
        assert res.history["median"][iid][t] == pytest.approx(float(row["median"]), abs=5e-4 + 1e-9)
        assert res.history["mean"][iid][t] == pytest.approx(float(row["mean"]), abs=5e-4 + 1e-9)
    names = [k for k in ref[0] if k not in ("round", "median", "mean")]
    if names:  # full-precision per-actor positions, in input order
        assert len(names) == len(scen.actors)
        pos = res.positions()[:, :, 0]
        want = np.array([[float(row[a]) for a in names] for row in ref])
        np.testing.assert_allclose(pos, want, atol=1e-9, rtol=0)


# ----------------------------------------------------------------- variants from the specification


def test_variant_paper_probability_collapses_to_7():
    """EQUATIONS.md section 5: means 7.320, 6.982, then 7.0; needs the equal-security guard.

    These figures need ties broken by lowest position (EQUATIONS.md 5b point 1; the
    reference's input-order rule gives 7.604, 7.027, 7.0: see the tie tests)."""
    res = get_model("expected-utility", probability_mode="paper", tie_break="lowest-position").run(emission())
    means = res.history["mean"]["q"]
    assert means[1:4] == pytest.approx([7.320, 6.982, 7.0], abs=5e-4)
    pos = res.positions()[:, :, 0]
    assert np.all(pos[3:] == 7.0)
    assert all(v == 1.0 for v in res.details["risk_exponents"]["q"][-1])  # all security levels equal


#: EQUATIONS.md section 5 (corrected): the exact values of the least-move variant, which
#: 200-, 400- and 800-digit arithmetic all give (the old 8.179, 9.300, 9.876 of rounds 8-10
#: were float64 rounding artefacts)
LEAST_MOVE_MEDIANS = [8.416, 9.611, 9.962, 9.9996, 10, 10, 10, 10, 10, 10]
LEAST_MOVE_MEANS = [7.4613, 7.5525, 7.5901, 7.6039, 7.6068, 7.6071, 7.6071, 7.6071, 7.6071, 7.6071]


def test_variant_least_move():
    """float64 gives the exact values in every round and says where it cannot decide.

    From round 7 Belgium sits 1.5e-15 (exactly; 1.8e-15 in float64) from France, and its
    choice hangs on b + a, a relative difference below float64's resolution: it is held
    still and rounds 7-10 are marked numerically undetermined.
    """
    res = get_model("expected-utility", offer_rule="least-move").run(emission())
    assert res.history["median"]["q"][1:] == pytest.approx(LEAST_MOVE_MEDIANS, abs=5e-4)
    assert res.history["mean"]["q"][1:] == pytest.approx(LEAST_MOVE_MEANS, abs=5e-5)
    und = res.details["numerically_undetermined"]
    assert und["q"]["from_round"] == 7 and und["q"]["rounds"] == [7, 8, 9, 10]
    assert und["q"]["actors_held"] == {"7": ["Belgium"]}
    assert not get_model("expected-utility").run(emission()).details["numerically_undetermined"]


def test_variant_range_per_round_identical_on_emission():
    a = get_model("expected-utility").run(emission())
    b = get_model("expected-utility", range="per-round").run(emission())
    assert a.history == b.history


def test_capability_rescaling_changes_nothing():
    x, c, s = EMISSION["x"], EMISSION["c"], EMISSION["s"]
    a = get_model("expected-utility").run(make_scenario(x, c, s))
    b = get_model("expected-utility").run(make_scenario(x, [10 * v for v in c], s))
    np.testing.assert_allclose(a.positions(), b.positions(), atol=1e-12)


# ----------------------------------------------------------------- options and presets


def test_presets_fill_defaults_and_explicit_options_win():
    m = ExpectedUtility()
    assert m.options.preset == "scholz2011"
    assert m.get_options()["probability_mode"] == "all-pairs"
    p = ExpectedUtility(preset="paper")
    for k, v in PRESETS["paper"].items():
        assert getattr(p.options, k) == v
    q = ExpectedUtility(preset="paper", offer_rule="weighted_position", Q=0.5, rounds=3)
    assert q.options.offer_rule == "weighted-position" and q.options.Q == 0.5 and q.options.rounds == 3
    assert q.options.probability_mode == "paper"


@pytest.mark.parametrize(
    "bad",
    [dict(preset="nope"), dict(Q=1.5), dict(rounds=-1), dict(probability_mode="half"), dict(T=2),
     dict(colour="red"), dict(k=0)],
)
def test_bad_options_raise_option_error(bad):
    with pytest.raises(OptionError) as exc:
        get_model("expected-utility", **bad)
    assert any(str(list(bad)[0]) in p.location or "unknown option" in p.message for p in exc.value.problems)


def test_T_fixed_values_and_Q_half_run():
    for T in (0, 1, "closer-to-median"):
        res = get_model("expected-utility", Q=0.5, T=T).run(emission())
        assert np.all(np.isfinite(res.positions()))


def test_T_term_properties():
    """Q < 1 adds -(1-Q)(T U_b + (1-T) U_w); with T = 1 (better) the EUs are lower than with T = 0."""
    x = np.array([[1.0, 4.0, 6.0, 9.0]])
    c = np.array([[0.3, 0.2, 0.4, 0.1]])
    s = np.array([[0.5, 0.9, 0.6, 0.7]])
    R = np.array([8.0])
    from realpolitik.models.expected_utility import expected_utilities

    dist = np.abs(x[:, :, None] - x[:, None, :]) / R[:, None, None]
    P = win_probability(x, dist, c * s, None, "paper")
    ones = np.ones_like(x)
    mu = np.array([6.0])
    better = ExpectedUtilityOptions(Q=0.5, T=1)
    worse = ExpectedUtilityOptions(Q=0.5, T=0)
    a1, _ = expected_utilities(x, s, dist, P, ones, mu, R, better)
    a0, _ = expected_utilities(x, s, dist, P, ones, mu, R, worse)
    off = ~np.eye(4, dtype=bool)
    assert np.all(a1[0][off] < a0[0][off])
    # with r = 1, U_b + U_w = 0, so the T-term is antisymmetric around Q U_sq = 0
    q1, _ = expected_utilities(x, s, dist, P, ones, mu, R, ExpectedUtilityOptions(Q=1.0))
    np.testing.assert_allclose((a1 + a0) / 2, q1, atol=1e-12)


def test_paper_probability_pairs_sum_to_one():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, (3, 8))
    w = rng.uniform(0.1, 1, (3, 8))
    dist = np.abs(x[:, :, None] - x[:, None, :]) / 10
    P = win_probability(x, dist, w, None, "paper")
    off = ~np.eye(8, dtype=bool)
    np.testing.assert_allclose((P + P.transpose(0, 2, 1))[:, off], 1.0, atol=1e-12)
    Pa = win_probability(x, dist, w, None, "all-pairs")
    assert np.all(Pa >= 0) and np.all(Pa < 0.5)  # the all-pairs denominator makes P small


def test_stopping_rule():
    res = get_model("expected-utility", tolerance=0.01, k=2).run(emission())
    assert res.details["stopped_after_round"] == {"q": 5}
    med = res.history["median"]["q"]
    assert len(med) == 11 and all(v == med[5] for v in med[5:])
    assert res.forecast["q"] == pytest.approx(9.961979590401311)
    assert not any(res.details["moves"][5:])


def test_security_own_row_runs_and_differs():
    a = get_model("expected-utility", security="own-row").run(emission())
    b = get_model("expected-utility").run(emission())
    assert a.history["median"] != b.history["median"]


# ----------------------------------------------------------------- edge cases (issue part 7)


def test_all_actors_at_one_position():
    scen = make_scenario([5, 5, 5, 5], [1, 2, 3, 4], [50, 60, 70, 80], 0, 10)
    res = get_model("expected-utility").run(scen)
    assert np.all(res.positions() == 5.0)
    assert res.forecast["q"] == 5.0
    assert all(r == 1.0 for rnd in res.details["risk_exponents"]["q"] for r in rnd)  # guard: R_i = 0
    assert not any(res.details["moves"])


@pytest.mark.parametrize("preset", ["scholz2011", "paper"])
@pytest.mark.parametrize("s", [(90, 40), (50, 50), (100, 0)])
def test_two_actors(preset, s):
    oracle_run = _oracle().oracle_run

    scen = make_scenario([0, 10], [1, 3], list(s))
    res = get_model("expected-utility", preset=preset, rounds=5).run(scen)
    pos = res.positions()[:, :, 0]
    assert np.all(np.isfinite(pos)) and np.all((pos >= 0) & (pos <= 10))
    xs, meds, means, _ = oracle_run([0.0, 10.0], [1.0, 3.0], [s[0] / 100, s[1] / 100],
                                    ExpectedUtilityOptions(preset=preset, rounds=5))
    np.testing.assert_allclose(pos, np.array(xs), atol=1e-12)
    assert res.history["median"]["q"] == pytest.approx(meds, abs=1e-12)
    # two actors: the weighted median is the heavier actor's position at the start
    w = np.array([1 * s[0], 3 * s[1]])
    assert meds[0] == (0.0 if w[0] > w[1] else 10.0 if w[1] > w[0] else 0.0)


def test_zero_salience_everywhere_and_for_one_actor():
    scen = make_scenario([1, 4, 9], [1, 1, 1], [0, 0, 0])
    res = get_model("expected-utility").run(scen)
    assert np.all(np.isfinite(res.positions()))
    assert np.isfinite(res.history["mean"]["q"]).all()
    scen = make_scenario([1, 4, 9], [1, 1, 1], [0, 80, 60])
    for preset in ("scholz2011", "paper"):
        res = get_model("expected-utility", preset=preset).run(scen)
        assert np.all(np.isfinite(res.positions()))


def test_equal_security_levels_no_division_by_zero():
    """Two mirror-image actors have equal security: R_i = 0 and r_i = 1, no NaN."""
    with np.errstate(all="raise"):
        x = np.array([[2.0, 8.0]])
        c = np.array([[1.0, 1.0]])
        s = np.array([[0.5, 0.5]])
        res = eu_round(x, c, s, np.array([6.0]), ExpectedUtilityOptions(preset="paper"))
    assert np.all(res.r == 1.0) and np.all(np.isfinite(res.x))


def test_positions_at_the_edges_of_the_scale():
    scen = make_scenario([0, 0, 100, 100, 50], [1, 2, 1, 2, 1], [100, 50, 100, 50, 100], 0, 100)
    for preset in ("scholz2011", "paper"):
        for rng in ("fixed", "per-round", "scale"):
            res = get_model("expected-utility", preset=preset, range=rng).run(scen)
            pos = res.positions()
            assert np.all(np.isfinite(pos)) and pos.min() >= 0 and pos.max() <= 100


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(2, 12), preset=st.sampled_from(["scholz2011", "paper"]))
def test_positions_stay_in_the_hull_of_the_start(seed, n, preset):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 11, (4, n)).astype(float)
    c = rng.uniform(0.01, 1, (4, n))
    s = rng.uniform(0, 1, (4, n))
    tr = run_rounds(x, c, s, np.ones(n, bool), ExpectedUtilityOptions(preset=preset, rounds=6))
    lo, hi = x.min(axis=1), x.max(axis=1)
    assert np.all(tr.positions >= lo[None, :, None] - 1e-9) and np.all(tr.positions <= hi[None, :, None] + 1e-9)
    assert np.all(np.isfinite(tr.median)) and np.all(np.isfinite(tr.mean))


# ----------------------------------------------------------------- multi-issue and events


def two_issue_scenario(events=()):
    data = {
        "title": "two issues",
        "issues": [{"id": "p", "min": 4, "max": 10}, {"id": "r", "min": 0, "max": 100}],
        "actors": [],
        "events": list(events),
    }
    for k, (aid, c, x, s) in enumerate(zip(EMISSION["actors"], EMISSION["c"], EMISSION["x"], EMISSION["s"])):
        pos = {"p": x}
        sal = {"p": s}
        if k != 2:  # Luxembourg takes no part in issue r
            pos["r"] = (k * 37) % 101
            sal["r"] = 30 + (k * 13) % 70
        data["actors"].append({"id": aid, "capability": c, "positions": pos, "saliences": sal})
    return Scenario.model_validate(data)


def test_multi_issue_runs_issue_by_issue():
    scen = two_issue_scenario()
    res = get_model("expected-utility").run(scen)
    single = get_model("expected-utility").run(emission())
    assert res.history["median"]["p"] == pytest.approx(single.history["median"]["q"], abs=1e-12)
    pos = res.positions()
    assert np.all(np.isnan(pos[:, 2, 1]))  # inactive actor excluded on issue r
    a = scen.arrays()
    keep = [k for k in range(10) if k != 2]
    alone = make_scenario(list(a.position[keep, 1]), list(a.capability[keep, 1]),
                          list(a.salience[keep, 1] * 100), 0, 100)
    ref = get_model("expected-utility").run(alone)
    assert res.history["median"]["r"] == pytest.approx(ref.history["median"]["q"], abs=1e-12)
    assert set(res.forecast) == {"p", "r"}


def test_events_apply_at_their_round():
    ev = [{"id": "uk-shift", "round": 3, "changes": [{"actor": "UK", "field": "position", "issue": "q", "value": 4}]}]
    base = get_model("expected-utility").run(emission())
    scen = make_scenario(EMISSION["x"], EMISSION["c"], EMISSION["s"], 4, 10, EMISSION["actors"], events=ev)
    res = get_model("expected-utility").run(scen)
    pb, pe = base.positions(), res.positions()
    np.testing.assert_array_equal(pb[:3], pe[:3])  # rounds 0-2 untouched
    uk_moves = [m for m in res.details["moves"][2] if m["actor"] == "UK"]
    if uk_moves:  # round 3's moves start from the changed position
        assert uk_moves[0]["from"] == 4.0
    else:
        assert pe[3, 6, 0] == 4.0
    assert not np.allclose(pb[3:], pe[3:])


def test_events_enter_and_leave():
    newcomer = {"id": "Spain", "capability": 0.1, "positions": {"q": 9}, "saliences": {"q": 80}}
    ev = [
        {"round": 2, "changes": [{"actor": "Spain", "field": "enter", "actor_data": newcomer}]},
        {"round": 4, "changes": [{"actor": "Greece", "field": "leave"}]},
    ]
    scen = make_scenario(EMISSION["x"], EMISSION["c"], EMISSION["s"], 4, 10, EMISSION["actors"], events=ev)
    res = get_model("expected-utility").run(scen)
    assert res.actors[-1] == "Spain"
    pos = res.positions()[:, :, 0]
    assert np.all(np.isnan(pos[:2, -1])) and np.all(np.isfinite(pos[2:, -1]))
    greece = res.actors.index("Greece")
    assert np.all(np.isfinite(pos[:4, greece])) and np.all(np.isnan(pos[4:, greece]))
    json.dumps(res.to_dict(), allow_nan=False)


# ----------------------------------------------------------------- batch core


def test_forecast_batch_equals_runs():
    scen = emission()
    rng = np.random.default_rng(5)
    base = ScenarioBatch.repeat(scen, 12)
    pos = np.clip(base.position + rng.normal(0, 1.0, base.position.shape), 4, 10)
    sal = np.clip(base.salience + rng.normal(0, 0.1, base.salience.shape), 0, 1)
    batch = ScenarioBatch(scen, base.capability, pos, sal)
    model = get_model("expected-utility")
    fc = model.forecast_batch(batch)
    assert fc.shape == (12, 1)
    for d in range(12):
        one = model.run(batch.scenario(d))
        assert fc[d, 0] == pytest.approx(one.forecast["q"], abs=1e-9)
    # the emission case oscillates: every draw reports the median of its last 4 rounds, as run does
    assert model.forecast_batch(ScenarioBatch.repeat(scen, 3))[:, 0] == pytest.approx([model.run(scen).forecast["q"]] * 3)


def test_forecast_batch_chunks_draws(monkeypatch):
    import realpolitik.models.expected_utility as eu

    scen = emission()
    batch = ScenarioBatch.repeat(scen, 7)
    batch.position[:, 1, 0] = np.linspace(4, 10, 7)
    whole = get_model("expected-utility").trajectory_batch(batch)
    monkeypatch.setattr(eu, "CHUNK_ELEMENTS", 50)  # forces chunks of one draw and of pairs
    monkeypatch.setattr(eu, "BATCH_ELEMENTS", 150)  # chunks of one draw
    parts = get_model("expected-utility").trajectory_batch(batch)
    np.testing.assert_allclose(whole["median"], parts["median"], atol=1e-12)
    np.testing.assert_allclose(whole["mean"], parts["mean"], atol=1e-12)


def test_model_is_registered_and_vectorised():
    from realpolitik.models import available_models

    assert available_models()["expected-utility"] is ExpectedUtility
    assert ExpectedUtility.vectorised
    assert "References" in ExpectedUtility.__doc__ and "(25a/b)" in ExpectedUtility.__doc__


# ----------------------------------------------------------------- output and CLI


def test_result_json_shape():
    res = get_model("expected-utility", rounds=3).run(emission())
    d = json.loads(res.to_json(allow_nan=False))
    assert d["model"] == "expected-utility"
    assert len(d["history"]["positions"]) == 4 and len(d["history"]["positions"][0]) == 10
    assert len(d["history"]["median"]["q"]) == 4
    assert d["details"]["moves"][0][0]["kind"] == "compromise"
    assert d["options"]["preset"] == "scholz2011"


def test_describe_tables():
    scen = emission()
    model = get_model("expected-utility")
    tables = model.describe(model.run(scen), scen)
    titles = [t.title for t in tables]
    # the emission median oscillates between 7 and 9.96 to the end, so it is flagged as unsettled
    assert titles == [
        "Expected utility: rounds",
        "Expected utility: forecast",
        "Expected utility: moves",
        "Expected utility: unsettled forecasts",
    ]
    assert len(tables[2].rows) == 30
    traj = tables[0]
    assert traj.columns == ["round", "median", "mean"] and len(traj.rows) == 11


runner = CliRunner()


def test_cli_forecast_prints_trajectory_and_forecast():
    r = runner.invoke(app, ["forecast", "ec-emissions", "--model", "expected-utility"])
    assert r.exit_code == 0, r.output
    assert "Expected utility: rounds" in r.output and "Expected utility: forecast" in r.output
    assert "Expected utility: moves" in r.output
    assert "9.96" in r.output


def test_cli_options_reach_the_model():
    r = runner.invoke(app, ["forecast", "ec-emissions", "-m", "expected-utility", "--json", "--preset", "paper",
                            "--rounds", "3", "--option", "offer_rule=weighted_position", "-o", "Q=0.5"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)["results"][0]  # the forecast document: {scenario, seed, results}
    assert d["options"]["preset"] == "paper" and d["options"]["offer_rule"] == "weighted-position"
    assert d["options"]["Q"] == 0.5 and len(d["history"]["median"]["emission"]) == 4


def test_cli_bad_option_exits_2():
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "realpolitik", "forecast", "ec-emissions", "-m", "expected-utility",
         "-o", "probability_mode=half"],
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 2, r.stderr
    assert "probability_mode" in r.stderr and "Traceback" not in r.stderr and r.stdout == ""


def test_long_move_logs_are_summarised():
    scen = emission()
    model = get_model("expected-utility", rounds=20)
    tables = model.describe(model.run(scen), scen)
    assert tables[2].title == "Expected utility: moves (summary)" and len(tables[2].rows) == 20
    assert "60 moves in all" in tables[2].note


def test_default_scenario_runs():
    try:
        scen = load_scenario()
    except Exception as exc:  # the default scenario is being written by another engineer
        pytest.skip(f"default scenario not available yet: {exc}")
    res = get_model("expected-utility").run(scen)
    for iid in scen.issue_ids:
        assert np.isfinite(res.forecast[iid])
    json.dumps(res.to_dict(), allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(2, 40), grid=st.booleans(),
       mode=st.sampled_from(["paper", "all-pairs"]), risk=st.booleans())
def test_sorted_probability_equals_direct_sum(seed, n, grid, mode, risk):
    """The O(n^2 log n) prefix-sum numerator equals the O(n^3) sum over voters."""
    rng = np.random.default_rng(seed)
    B = 3
    x = rng.integers(0, 6, (B, n)).astype(float) if grid else rng.uniform(0, 50, (B, n))
    w = rng.uniform(0, 1, (B, n))
    R = np.maximum(x.max(axis=1) - x.min(axis=1), 1.0)
    dist = np.abs(x[:, :, None] - x[:, None, :]) / R[:, None, None]
    r = rng.uniform(0.5, 2.0, (B, n)) if risk else None
    a = win_probability(x, dist, w, r, mode)
    b = win_probability(x, dist, w, r, mode, method="direct")
    np.testing.assert_allclose(a, b, atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("opts", [{}, {"tolerance": 0.05, "k": 2}, {"preset": "paper", "Q": 0.5}])
def test_forecast_batch_with_events_and_inactive_actors_equals_runs(opts):
    newcomer = {"id": "Spain", "capability": 0.1, "positions": {"p": 9, "r": 20}, "saliences": {"p": 80, "r": 50}}
    ev = [
        {"round": 2, "changes": [{"actor": "UK", "field": "position", "issue": "p", "value": 5}]},
        {"round": 3, "changes": [{"actor": "Spain", "field": "enter", "actor_data": newcomer}]},
        {"round": 4, "changes": [{"actor": "Greece", "field": "leave"},
                                 {"actor": "France", "field": "salience", "issue": "r", "value": 5}]},
    ]
    scen = two_issue_scenario(ev)
    rng = np.random.default_rng(9)
    base = ScenarioBatch.repeat(scen, 6)
    pos = base.position + rng.normal(0, 0.5, base.position.shape) * np.array([1.0, 10.0])
    a = scen.arrays()
    pos = np.clip(pos, a.scale_min, a.scale_max)
    batch = ScenarioBatch(scen, base.capability, pos, base.salience)
    model = get_model("expected-utility", **opts)
    traj = model.trajectory_batch(batch)
    spans = np.array([i.span for i in scen.issues])
    np.testing.assert_allclose(model.forecast_batch(batch), settle(np.moveaxis(traj["median"], 1, -1), spans)[0])
    for d in range(6):
        one = model.run(batch.scenario(d))
        np.testing.assert_allclose(model.forecast_batch(batch)[d], [one.forecast[i] for i in scen.issue_ids], atol=1e-9)
        for col, iid in enumerate(scen.issue_ids):
            np.testing.assert_allclose(traj["median"][d, :, col], one.history["median"][iid], atol=1e-9)
            np.testing.assert_allclose(traj["mean"][d, :, col], one.history["mean"][iid], atol=1e-9)


@needs_anchors
def test_capitulation_on_changes_exactly_the_cases_the_spec_names():
    """EQUATIONS.md 5b note 2: with the capitulation branch on, the emission case is unchanged,
    while Greece (from round 3), Honduras and Sultan (from round 1) change."""
    expect = {"greece_debt_2015": 3, "honduras_crisis": 1, "sultan_succession": 1,
              "argentina": None, "iran_election_2013": None}
    paths = {k: ANCHORS / "cases" / f"{k}.csv" for k in expect}
    paths["emission"] = ANCHORS / "emission_inputs.csv"
    expect["emission"] = None
    for name, path in paths.items():
        scen = load_scenario(path)
        off = get_model("expected-utility").run(scen).positions()
        on = get_model("expected-utility", capitulation=True).run(scen).positions()
        differ = np.flatnonzero(np.any(np.abs(off - on) > 1e-12, axis=(1, 2)))
        assert (int(differ[0]) if differ.size else None) == expect[name], name
