"""The expected-utility round in one compiled call (realpolitik.models.expected_utility_fused)
against the staged compiled path and the NumPy path, bit for bit (issue 17)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_expected_utility_batch import OPTIONS, _family, _inputs, _same

import realpolitik.models.expected_utility as eu
from realpolitik.models import _numpy_loops as nl
from realpolitik.models import get_model
from realpolitik.scenario import load_scenario
from realpolitik.scenario.uncertainty import sample_batch

pytestmark = pytest.mark.skipif(not nl.AVAILABLE, reason=f"NumPy's loops unavailable: {nl.REASON}")

#: (KERNEL_ELEMENTS, FUSED, FUSED_ROUNDS): the NumPy path, the staged compiled round, the
#: fused round called once per round, the fused rounds between events
PATHS = {"numpy": (10**9, False, False), "staged": (1, False, False), "round": (1, True, False),
         "fused": (1, True, True)}
FIELDS = ("x", "target", "kind", "a", "b", "r", "undetermined", "unrepresentable")


def _patched(path):
    limit, fused, rounds = PATHS[path]
    return (mock.patch.object(eu, "KERNEL_ELEMENTS", limit), mock.patch.object(eu, "FUSED", fused),
            mock.patch.object(eu, "FUSED_ROUNDS", rounds))


def _round(path, x, c, s, R, opt, R_lo=None):
    a, b, d = _patched(path)
    with a, b, d:
        return eu.eu_round(x, c, s, R, opt, R_lo=R_lo)


def _rounds(path, *args, **kw):
    a, b, d = _patched(path)
    with a, b, d:
        return eu.run_rounds(*args, **kw)


def _same_traj(got, ref):
    for f in ("positions", "median", "mean", "stopped", "undetermined_from"):
        _same(getattr(got, f), getattr(ref, f))


@pytest.mark.parametrize("options", [
    {"preset": "scholz2011"},
    {"preset": "paper"},
    {"perspective_r": "own", "resist_salience": "printed-25b", "security": "own-row"},
    {"vote_risk": "voter-r", "probability_mode": "all-pairs", "offer_rule": "weighted-position"},
])  # fmt: skip
@pytest.mark.parametrize("n,grid", [(2, 0), (10, 0), (10, 10), (13, 5), (40, 5)])
def test_fused_round_equals_staged_and_numpy(options, n, grid):
    x, c, s = _inputs(48, n, 7 * n + grid, grid)
    opt = eu.ExpectedUtilityOptions(**options)
    R = x.max(axis=1) - x.min(axis=1)
    R_lo = np.where(np.arange(48) % 3 == 0, 1e-14, 0.0)
    ref = _round("numpy", x, c, s, R, opt, R_lo)
    for path in ("staged", "fused"):
        got = _round(path, x, c, s, R, opt, R_lo)
        for f in FIELDS:
            _same(getattr(got, f), getattr(ref, f))


def test_fused_round_takes_strided_inputs():
    """``x[:, idx]`` (F order) and C order give the same numbers."""
    x, c, s = _inputs(64, 9, 3, 0)
    idx = np.array([0, 1, 2, 3, 5, 6, 7, 8])
    opt = eu.ExpectedUtilityOptions(vote_risk="voter-r")
    R = np.full(64, 100.0)
    got = _round("fused", x[:, idx], c[:, idx], s[:, idx], R, opt)
    ref = _round("staged", x[:, idx].copy(), c[:, idx].copy(), s[:, idx].copy(), R, opt)
    for f in FIELDS:
        _same(getattr(got, f), getattr(ref, f))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 12), kind=st.sampled_from(["cont", "grid", "twins", "ulps"]),
       opts=OPTIONS)
@example(seed=1, n=8, kind="grid", opts={"preset": "paper"})
@example(seed=1, n=8, kind="ulps", opts={"preset": "paper", "vote_risk": "voter-r"})
@example(seed=1, n=8, kind="twins", opts={"preset": "scholz2011"})
def test_fused_rounds_equal_numpy_path(seed, n, kind, opts):
    """Every option family, exact ties, identical proposers, ulp-close actors and close pairs
    over 6 rounds: positions, medians, means and the undetermined rounds bit for bit."""
    opt = eu.ExpectedUtilityOptions(rounds=6, **opts)
    x, c, s = _family(kind, 40, n, seed)
    ref = _rounds("numpy", x, c, s, np.ones(n, bool), opt, scale=100.0)
    for path in ("round", "fused"):
        _same_traj(_rounds(path, x, c, s, np.ones(n, bool), opt, scale=100.0), ref)


def test_fused_batch_core_equals_staged_over_chunks(monkeypatch):
    """The default scenario (events at round 1) in several chunks of draws."""
    scen = load_scenario(None)
    batch = sample_batch(scen, 300, np.random.default_rng(5), 0.1)
    model = get_model("expected-utility")
    monkeypatch.setattr(eu, "BATCH_ELEMENTS", 6400)  # chunks of 64 draws (and a last one of 44)
    out = {}
    for path in ("staged", "round", "fused"):
        for name, value in zip(("KERNEL_ELEMENTS", "FUSED", "FUSED_ROUNDS"), PATHS[path], strict=True):
            monkeypatch.setattr(eu, name, value)
        out[path] = model.trajectory_batch(batch)
    for k in ("median", "mean", "undetermined_from"):
        _same(out["round"][k], out["staged"][k])
        _same(out["fused"][k], out["staged"][k])


def _events(B, n, rng, rounds):
    """Position, salience and capability changes at the given rounds (some draws only), an
    actor leaving at the second and entering again at the third."""
    from realpolitik.scenario.events import CAPABILITY, ENTER, LEAVE, POSITION, SALIENCE

    ev = {}
    for t in rounds:
        h = rng.random(B) < 0.6
        ev.setdefault(t, []).extend([(POSITION, int(rng.integers(n)), rng.uniform(0, 100, B), h),
                                     (SALIENCE, int(rng.integers(n)), rng.uniform(0.1, 1, B), ~h),
                                     (CAPABILITY, int(rng.integers(n)), rng.uniform(0.1, 1, B), h)])
    if len(rounds) >= 3:
        ev[rounds[1]].append((LEAVE, n - 1, np.zeros(B), np.ones(B, bool)))
        ev[rounds[2]].append((ENTER, n - 1, np.zeros(B), np.ones(B, bool)))
    return ev


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 11), kind=st.sampled_from(["cont", "grid", "twins", "ulps"]),
       opts=OPTIONS, rounds=st.sampled_from([(), (1,), (1, 4, 6), (2, 3, 7), (5,)]),
       tolerance=st.sampled_from([None, 0.0, 1e-9, 0.5, 5.0]), k=st.integers(1, 3), block=st.sampled_from([1, 7, 32]),
       scale=st.sampled_from([None, 100.0]))
@example(seed=3, n=8, kind="grid", opts={"preset": "paper"}, rounds=(1, 4, 6), tolerance=0.5, k=1, block=7, scale=None)
@example(seed=4, n=6, kind="ulps", opts={"range": "per-round"}, rounds=(1,), tolerance=5.0, k=2, block=1, scale=100.0)
def test_compiled_rounds_equal_numpy_path(seed, n, kind, opts, rounds, tolerance, k, block, scale):
    """The rounds between events in one compiled call, in blocks of draws: range modes, events
    at round 1 and later (actors leaving and entering), the stopping rule (every draw stopping,
    some), undetermined and unrepresentable rounds, bit for bit with the NumPy path."""
    B = 40
    opt = eu.ExpectedUtilityOptions(rounds=8, tolerance=tolerance, k=k, **opts)
    x, c, s = _family(kind, B, n, seed)
    ev = _events(B, n, np.random.default_rng(seed % 1000), rounds)
    ref = _rounds("numpy", x, c, s, np.ones(n, bool), opt, ev, scale=scale)
    with mock.patch.object(eu, "FUSED_BLOCK", block):
        got = _rounds("fused", x, c, s, np.ones(n, bool), opt, ev, scale=scale)
    _same_traj(got, ref)


def test_compiled_rounds_are_reached_and_stop(monkeypatch):
    """The compiled rounds run (one call per segment between events) and a batch whose draws all
    stop leaves the loop as the Python rounds do."""
    from realpolitik.models import expected_utility_fused as fu

    calls = []
    real = fu.run_segment
    monkeypatch.setattr(fu, "run_segment", lambda *a: calls.append(a[4:6]) or real(*a))
    x, c, s = _family("cont", 64, 6, 2)
    opt = eu.ExpectedUtilityOptions(rounds=12, tolerance=5.0, k=1)
    ev = _events(64, 6, np.random.default_rng(2), (1, 4, 6))
    got = _rounds("fused", x, c, s, np.ones(6, bool), opt, ev, scale=100.0)
    assert calls[:3] == [(1, 4), (4, 6), (6, 13)][:len(calls)] and calls
    assert (got.stopped >= 0).all()
    _same_traj(got, _rounds("numpy", x, c, s, np.ones(6, bool), opt, ev, scale=100.0))


@pytest.mark.parametrize("block", [1, 5, 32, 100, 128, 256])
def test_blocks_of_draws_give_the_same_numbers(monkeypatch, block):
    x, c, s = _family("ulps", 100, 10, 9)
    opt = eu.ExpectedUtilityOptions(rounds=5, vote_risk="voter-r", tolerance=1e-3)
    ref = _rounds("staged", x, c, s, np.ones(10, bool), opt, scale=100.0)
    monkeypatch.setattr(eu, "FUSED_BLOCK", block)
    _same_traj(_rounds("fused", x, c, s, np.ones(10, bool), opt, scale=100.0), ref)
