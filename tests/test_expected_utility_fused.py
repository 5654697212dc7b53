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

#: (KERNEL_ELEMENTS, FUSED): the NumPy path, the staged compiled round, the fused round
PATHS = {"numpy": (10**9, False), "staged": (1, False), "fused": (1, True)}
FIELDS = ("x", "target", "kind", "a", "b", "r", "undetermined", "unrepresentable")


def _round(path, x, c, s, R, opt, R_lo=None):
    limit, fused = PATHS[path]
    with mock.patch.object(eu, "KERNEL_ELEMENTS", limit), mock.patch.object(eu, "FUSED", fused):
        return eu.eu_round(x, c, s, R, opt, R_lo=R_lo)


def _rounds(path, *args, **kw):
    limit, fused = PATHS[path]
    with mock.patch.object(eu, "KERNEL_ELEMENTS", limit), mock.patch.object(eu, "FUSED", fused):
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
    _same_traj(_rounds("fused", x, c, s, np.ones(n, bool), opt, scale=100.0), ref)


def test_fused_batch_core_equals_staged_over_chunks(monkeypatch):
    """The default scenario (events at round 1) in several chunks of draws."""
    scen = load_scenario(None)
    batch = sample_batch(scen, 300, np.random.default_rng(5), 0.1)
    model = get_model("expected-utility")
    monkeypatch.setattr(eu, "BATCH_ELEMENTS", 6400)  # chunks of 64 draws (and a last one of 44)
    out = {}
    for path in ("staged", "fused"):
        monkeypatch.setattr(eu, "KERNEL_ELEMENTS", PATHS[path][0])
        monkeypatch.setattr(eu, "FUSED", PATHS[path][1])
        out[path] = model.trajectory_batch(batch)
    for k in ("median", "mean", "undetermined_from"):
        _same(out["fused"][k], out["staged"][k])
