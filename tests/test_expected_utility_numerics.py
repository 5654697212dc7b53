"""The expected-utility model against exact arithmetic (issue 23).

The plain-loop oracle of ``test_expected_utility_oracle.py`` runs in mpmath at 200
digits (and 400 to check that 200 suffice).  The float64 core must either give the
exact decisions or mark the round numerically undetermined
(``details.numerically_undetermined``, ``Trajectory.undetermined_from``); it must not
depend on the order in which the actors are listed where the model does not.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from realpolitik.cli import app
from realpolitik.models import get_model
from realpolitik.models.expected_utility import ExpectedUtilityOptions, run_rounds

HERE = Path(__file__).resolve().parent
ANCHORS = HERE / "data" / "anchors" / "bdm"  # tests/data/SOURCES.md
EMISSION_X = [4, 7, 4, 4, 10, 10, 10, 7, 4, 7]
EMISSION_C = [0.08, 0.08, 0.03, 0.16, 0.16, 0.16, 0.16, 0.05, 0.05, 0.08]
EMISSION_S = [0.8, 0.4, 0.2, 0.8, 0.6, 0.6, 0.9, 0.1, 1.0, 0.7]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"eu_{name}", HERE / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


oracle = _load("test_expected_utility_oracle")
golden = _load("test_expected_utility")


def _floats(rows):
    return np.array([[float(v) for v in row] for row in rows])


# ----------------------------------------------------------------- exact values of the variants


@pytest.fixture(scope="module")
def least_move_exact():
    opt = ExpectedUtilityOptions(offer_rule="least-move", rounds=10)
    return oracle.oracle_run(EMISSION_X, EMISSION_C, EMISSION_S, opt, dps=200)


def test_least_move_exact_values_at_200_digits(least_move_exact):
    """EQUATIONS.md section 5 (corrected): medians and means, and Belgium's distance to
    France after rounds 4-10 (3.9e-4, 4.7e-8, 1.5e-15, 1.7e-28, 1.8e-50, 1.2e-87, 1.3e-150)."""
    xs, meds, means, logs = least_move_exact
    assert [float(v) for v in meds[1:]] == pytest.approx(golden.LEAST_MOVE_MEDIANS, abs=5e-4)
    assert [float(v) for v in means[1:]] == pytest.approx(golden.LEAST_MOVE_MEANS, abs=5e-5)
    gaps = [10 - xs[t][1] for t in range(4, 11)]
    for got, want in zip(gaps, [3.9e-4, 4.7e-8, 1.5e-15, 1.7e-28, 1.8e-50, 1.2e-87, 1.3e-150]):
        assert float(got / mpmath.mpf(want)) == pytest.approx(1.0, abs=0.05)
    # every round: Belgium compromises with France, Luxembourg and Ireland confront
    assert all([(i, j, k) for i, j, k, *_ in log] == [(1, 4, "compromise"), (2, 1, "confrontation"),
                                                     (7, 2, "confrontation")] for log in logs)


def test_least_move_200_digits_suffice(least_move_exact):
    """400 digits give the same trajectory: the 200-digit run is exact to far below 1e-9."""
    opt = ExpectedUtilityOptions(offer_rule="least-move", rounds=10)
    xs400, meds400, means400, _ = oracle.oracle_run(EMISSION_X, EMISSION_C, EMISSION_S, opt, dps=400)
    xs, meds, means, _ = least_move_exact
    with mpmath.workdps(400):
        assert max(abs(a - b) for r, q in zip(xs, xs400) for a, b in zip(r, q)) < mpmath.mpf(10) ** -150
        assert max(abs(a - b) for a, b in zip(means, means400)) < mpmath.mpf(10) ** -150


def test_float64_least_move_equals_exact_positions(least_move_exact):
    """Every actor's float64 position is the exact one within 1e-9 in all ten rounds: the
    undetermined rounds hold Belgium one ulp from France, where it is 1e-28..1e-150 exactly."""
    xs = least_move_exact[0]
    res = get_model("expected-utility", offer_rule="least-move").run(golden.emission())
    np.testing.assert_allclose(res.positions()[:, :, 0], _floats(xs), atol=1e-9, rtol=0)


@pytest.mark.skipif(not ANCHORS.is_dir(), reason="shared anchors not available")
def test_reference_trajectory_is_exact_at_200_digits():
    """The reference trajectory (scholz2011) is stable in high precision: 200 digits give it
    within 1e-9 for all actors and rounds, so its golden values stay as they are."""
    rows = golden.read_csv(ANCHORS / "emission_reference_trajectory.csv")
    xs, meds, means, _ = oracle.oracle_run(EMISSION_X, EMISSION_C, EMISSION_S, ExpectedUtilityOptions(), dps=200)
    want = np.array([[float(r[a]) for a in golden.EMISSION["actors"]] for r in rows])
    np.testing.assert_allclose(_floats(xs), want, atol=1e-9, rtol=0)
    assert [float(v) for v in meds] == pytest.approx([float(r["median"]) for r in rows], abs=1e-9)


def test_paper_probability_figures_are_exact_at_200_digits():
    """Means 7.320, 6.982, 7.0 (probability=paper with ties by lowest position)."""
    opt = ExpectedUtilityOptions(probability_mode="paper", tie_break="lowest-position", rounds=4)
    _, _, means, _ = oracle.oracle_run(EMISSION_X, EMISSION_C, EMISSION_S, opt, dps=200)
    assert [float(v) for v in means[1:4]] == pytest.approx([7.320, 6.982, 7.0], abs=5e-4)
    opt = ExpectedUtilityOptions(probability_mode="paper", tie_break="input-order", rounds=4)
    _, _, means, _ = oracle.oracle_run(EMISSION_X, EMISSION_C, EMISSION_S, opt, dps=200)
    assert [float(v) for v in means[1:4]] == pytest.approx([7.604, 7.027, 7.0], abs=5e-4)  # EQUATIONS 5b.1


# ----------------------------------------------------------------- knife edges: exact or flagged

OPTIONS = st.fixed_dictionaries({
    "preset": st.sampled_from(["scholz2011", "paper"]),
    "offer_rule": st.sampled_from(["least-move", "weighted-position"]),
    "probability_mode": st.sampled_from(["paper", "all-pairs"]),
    "tie_break": st.sampled_from(["input-order", "lowest-position"]),
})


def _knife_edge(seed: int, n: int, ulps: list[int]):
    """Random actors, then some of them placed a few units in the last place from another."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    for k, u in enumerate(ulps):
        i, j = (k + 1) % n, int(rng.integers(0, n))
        if i != j:
            x[i] = x[j] + u * np.spacing(x[j]) * (1 if rng.random() < 0.5 else -1)
    c = rng.uniform(0.05, 1.0, n)
    s = rng.uniform(0.05, 1.0, n)
    return x, c, s


#: seed 34: actors 0 and 1 one ulp apart at the bottom of the range, actor 2 at the top; the
#: pairs spanning the range but for that ulp need 1 - d exactly (see the regression test below)
NEAR_FULL_RANGE = {"preset": "paper", "offer_rule": "least-move", "probability_mode": "paper",
                   "tie_break": "input-order"}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 6),
       ulps=st.lists(st.integers(1, 4), min_size=1, max_size=3), opts=OPTIONS)
@example(seed=34, n=3, ulps=[1], opts=NEAR_FULL_RANGE)
@example(seed=34, n=3, ulps=[1], opts={**NEAR_FULL_RANGE, "probability_mode": "all-pairs"})
# compromises that move less than an ulp from their start (exactly beside it; another actor stands
# exactly at the start): the following rounds are marked
@example(seed=664319598, n=6, ulps=[3, 4], opts={"preset": "paper", "offer_rule": "weighted-position",
                                                "probability_mode": "all-pairs", "tie_break": "input-order"})
@example(seed=2817744394, n=5, ulps=[4, 3, 2], opts={"preset": "paper", "offer_rule": "least-move",
                                                    "probability_mode": "all-pairs", "tie_break": "input-order"})
def test_knife_edge_inputs_match_exact_arithmetic_or_are_flagged(seed, n, ulps, opts):
    """Actors a few ulps apart: every round that float64 does not mark undetermined equals
    the 60-digit run on the same (binary) inputs: positions, medians and means."""
    opt = ExpectedUtilityOptions(rounds=3, **opts)
    x, c, s = _knife_edge(seed, n, ulps)
    tr = run_rounds(x[None], c[None], s[None], np.ones(n, bool), opt)
    xs, meds, means, _ = oracle.oracle_run(list(x), list(c), list(s), opt, dps=60, binary=True)
    k = oracle._determined(tr, 0, 3) + 1
    scale = max(1.0, x.max() - x.min())
    np.testing.assert_allclose(tr.positions[:k, 0, :], _floats(xs[:k]), atol=1e-9 * scale, rtol=0)
    np.testing.assert_allclose(tr.median[:k, 0], [float(v) for v in meds[:k]], atol=1e-9 * scale, rtol=0)
    np.testing.assert_allclose(tr.mean[:k, 0], [float(v) for v in means[:k]], atol=1e-9 * scale, rtol=0)


@pytest.mark.parametrize("mode", ["paper", "all-pairs"])
def test_pair_one_ulp_short_of_the_full_range_matches_exact_arithmetic(mode):
    """Regression (seed 34 of the knife-edge test): after round 1 actor 0 sits at the top of
    the range and actors 1 and 2 one ulp above its bottom, so their distance is
    ``d = 1 - 2.9e-18``, which rounds to 1.  With actor 0's risk exponent 1/2, ``(1 - d)^r``
    is 1.7e-9 exactly but 0 from the rounded ``d``: actor 0's compromise landed 1.1e-8 off
    (2.34475715311052 against 2.3447571644513948), in a round not marked undetermined.
    ``1 - d`` is now taken from the exact gap and range: every round equals the 60-digit run."""
    opt = ExpectedUtilityOptions(rounds=3, **{**NEAR_FULL_RANGE, "probability_mode": mode})
    x, c, s = _knife_edge(34, 3, [1])
    assert x[1] == np.nextafter(x[0], 1.0) and x[2] > 2.4  # the inputs this test is about
    tr = run_rounds(x[None], c[None], s[None], np.ones(3, bool), opt)
    xs, meds, means, _ = oracle.oracle_run(list(x), list(c), list(s), opt, dps=60, binary=True)
    assert tr.undetermined_from[0] == -1  # determined: computed exactly enough, not flagged
    np.testing.assert_allclose(tr.positions[:, 0, :], _floats(xs), atol=1e-12, rtol=0)
    np.testing.assert_allclose(tr.median[:, 0], [float(v) for v in meds], atol=1e-12, rtol=0)
    np.testing.assert_allclose(tr.mean[:, 0], [float(v) for v in means], atol=1e-12, rtol=0)
    if mode == "paper":
        assert tr.positions[1, 0, 1] == tr.positions[1, 0, 2] == x[1] and tr.positions[1, 0, 0] == x[2]
        assert tr.positions[2, 0, 0] == pytest.approx(2.3447571644513948, abs=1e-12)


@pytest.mark.parametrize("Q", [1.0, 0.5])
def test_expected_utilities_of_pairs_spanning_the_range_are_exact(Q):
    """Pairs an ulp or two short of the whole range (and, with Q < 1, ``x_u`` an ulp from the
    far end as seen from the median): ``(1 - d)^r`` and ``(1/2 - (d_mu + d)/4)^r`` with
    ``r < 1`` amplify a rounded ``1 - d`` to ``EPS^r``; every ``E^i(U_ij)`` of the first
    round equals the 60-digit value to 1e-13 (it was off by 4e-9)."""
    from realpolitik.models.expected_utility import eu_round

    rng = np.random.default_rng(1)
    worst = 0.0
    for trial in range(24):
        n = 3 + trial % 3
        x = rng.uniform(0, 10, n)
        x[0], x[1] = 10.0, 0.0
        x[2] = np.nextafter(x[int(rng.integers(0, 2))], 5.0)  # an ulp inside either end
        c, s = rng.uniform(0.05, 1, n), rng.uniform(0.05, 1, n)
        opt = ExpectedUtilityOptions(rounds=1, Q=Q, preset="paper")
        res = eu_round(x[None], c[None], s[None], np.array([10.0]), opt, full=True)
        with mpmath.workdps(60):
            o = oracle.Oracle(opt)
            mp = [[mpmath.mpf(float(v)) for v in arr] for arr in (x, c, s)]
            _, _, r, _ = o.round(*mp, mpmath.mpf(10))
            for i in range(n):
                for j in range(n):
                    if x[i] != x[j]:
                        exact = o.eu(i, i, j, r, None, {}, focal=i)
                        worst = max(worst, float(abs(res.eu_challenge[0, i, j] - exact)))
    assert worst < 1e-13


def test_knife_edge_of_the_least_move_variant_is_flagged_not_printed():
    """The CLI marks the rounds and the JSON says which actor was held and from when."""
    r = CliRunner().invoke(app, ["forecast", "ec-emissions", "-m", "expected-utility", "-o",
                                 "offer_rule=least-move", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)["results"][0]  # the document: {scenario, seed, results}
    und = d["details"]["numerically_undetermined"]["emission"]
    assert und["from_round"] == 7 and und["rounds"] == [7, 8, 9, 10]
    assert d["history"]["median"]["emission"][8:] == pytest.approx([10.0] * 3, abs=1e-12)
    r = CliRunner().invoke(app, ["forecast", "ec-emissions", "-m", "expected-utility", "-o",
                                 "offer_rule=least-move"])
    assert r.exit_code == 0, r.output
    assert "Expected utility: numerically undetermined" in r.output
    assert "round 7: Belgium" in r.output


def test_compromise_landing_on_its_target_stays_one_ulp_short():
    """A compromise offer that rounds onto its target cannot be represented (exactly it lies
    strictly between): the mover stays one ulp short and the next rounds are marked."""
    from realpolitik.models.expected_utility import eu_round

    opt = ExpectedUtilityOptions(offer_rule="least-move", rounds=1)
    x = np.array([EMISSION_X], float)
    x[0, 1] = 10 - 1.7763568394002505e-15  # Belgium one ulp below France
    res = eu_round(x, np.array([EMISSION_C]), np.array([EMISSION_S]), np.array([6.0]), opt)
    assert res.undetermined[0, 1]  # b + a below resolution: Belgium is held ...
    assert res.x[0, 1] == x[0, 1]  # ... where it is, not moved onto France or to the Netherlands


# ----------------------------------------------------------------- order of the actors


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 12), perm_seed=st.integers(0, 2**16),
       opts=OPTIONS, reverse=st.booleans())
def test_permuting_actors_changes_no_trajectory(seed, n, perm_seed, opts, reverse):
    """Continuous random positions (no exact ties): listing the actors in another order
    (reversed, or a random permutation) leaves every trajectory unchanged within 1e-9."""
    rng = np.random.default_rng(seed)
    x, c, s = rng.uniform(0, 100, (3, n)), rng.uniform(0.05, 1, (3, n)), rng.uniform(0.05, 1, (3, n))
    p = np.arange(n)[::-1] if reverse else np.random.default_rng(perm_seed).permutation(n)
    opt = ExpectedUtilityOptions(rounds=4, **opts)
    a = run_rounds(x, c, s, np.ones(n, bool), opt)
    b = run_rounds(x[:, p], c[:, p], s[:, p], np.ones(n, bool), opt)
    for d in range(3):
        k = min(oracle._determined(a, d, 4), oracle._determined(b, d, 4)) + 1
        np.testing.assert_allclose(b.positions[:k, d, :], a.positions[:k, d, p], atol=1e-9 * 100, rtol=0)
        np.testing.assert_allclose(b.median[:k, d], a.median[:k, d], atol=1e-9 * 100, rtol=0)
        np.testing.assert_allclose(b.mean[:k, d], a.mean[:k, d], atol=1e-9 * 100, rtol=0)


@pytest.mark.parametrize("opts", [{"tie_break": "lowest-position"},
                                  {"tie_break": "lowest-position", "offer_rule": "least-move"},
                                  {"preset": "paper"}])
def test_reversing_the_emission_case_changes_nothing_under_lowest_position(opts):
    """With ties by lowest position the model is order-free even with exact ties (tied
    offers from identical positions are the same offer): reversing the ten actors gives
    the same positions, medians and means in every round."""
    a = get_model("expected-utility", **opts).run(golden.emission())
    rev = golden.make_scenario(EMISSION_X[::-1], EMISSION_C[::-1], [100 * v for v in EMISSION_S[::-1]], 4, 10,
                               golden.EMISSION["actors"][::-1])
    b = get_model("expected-utility", **opts).run(rev)
    np.testing.assert_allclose(b.positions()[:, ::-1, :], a.positions(), atol=1e-12, rtol=0)
    np.testing.assert_allclose(b.history["median"]["q"], a.history["median"]["q"], atol=1e-12)
    np.testing.assert_allclose(b.history["mean"]["q"], a.history["mean"]["q"], atol=1e-12)
    assert b.details["numerically_undetermined"].keys() == a.details["numerically_undetermined"].keys()


@pytest.mark.parametrize("mode", ["paper", "all-pairs"])
@pytest.mark.parametrize("risk", [False, True])
@pytest.mark.parametrize("gap_ulps", [1, 3, 2**20])
def test_probability_of_nearly_coinciding_actors_is_accurate(mode, risk, gap_ulps):
    """Two actors a few ulps apart: P between them is tiny, and prefix sums would give it
    as a difference of nearly equal sums (relative error ~1); the stable form gives it to
    1e-12 relative, as the 60-digit oracle does."""
    from realpolitik.models.expected_utility import win_probability

    rng = np.random.default_rng(gap_ulps + 7 * risk)
    n = 7
    x = rng.uniform(0, 10, n)
    x[1] = x[0] + gap_ulps * np.spacing(x[0])
    w = rng.uniform(0.1, 1.0, n)
    r = rng.uniform(0.5, 2.0, n) if risk else None
    R = x.max() - x.min()
    dist = np.abs(x[:, None] - x[None, :]) / R
    P, eP = win_probability(x[None], dist[None], w[None], None if r is None else r[None], mode, error=True)
    with mpmath.workdps(60):
        o = oracle.Oracle(ExpectedUtilityOptions(probability_mode=mode))
        o.x, o.R = [mpmath.mpf(float(v)) for v in x], mpmath.mpf(float(R))
        o.w = [mpmath.mpf(float(v)) for v in w]
        rr = None if r is None else [mpmath.mpf(float(v)) for v in r]
        for u, v in ((0, 1), (1, 0), (0, 2)):
            exact = o.prob(u, v, rr, {})
            assert abs(P[0, u, v] - float(exact)) <= 1e-12 * float(abs(exact)) + 1e-300
            assert abs(P[0, u, v] - float(exact)) <= eP[0, u, v]  # and within its own bound


def test_compromise_shorter_than_an_ulp_marks_the_next_rounds():
    """A compromise whose exact move is under an ulp stays at its start in float64, where another
    actor may stand exactly; exactly the two are apart, so the next rounds are marked, not printed."""
    opt = ExpectedUtilityOptions(rounds=3, preset="paper", offer_rule="least-move", probability_mode="all-pairs",
                                 tie_break="input-order")
    x, c, s = _knife_edge(2817744394, 5, [4, 3, 2])
    tr = run_rounds(x[None], c[None], s[None], np.ones(5, bool), opt)
    xs, meds, _, _ = oracle.oracle_run(list(x), list(c), list(s), opt, dps=60, binary=True)
    k = oracle._determined(tr, 0, 3) + 1
    assert k < 4  # some round after the sub-ulp compromise is marked
    np.testing.assert_allclose(tr.positions[:k, 0, :], _floats(xs[:k]), atol=1e-9 * max(1.0, np.ptp(x)), rtol=0)
