"""SMP's compiled steps (large batches, proportional voting) against the NumPy path, bit for
bit (issue 17): a batch gives the same numbers whichever path it takes."""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.models import get_model
from realpolitik.models.smp import params
from realpolitik.models.smp import kernels
from realpolitik.models.smp.primitives import coalitions, orient, pce
from realpolitik.scenario import load_scenario
from realpolitik.scenario.uncertainty import sample_batch


def _same(a, b):
    assert a.shape == b.shape
    assert np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("options", [
    {},
    {"victory_prob_model": "Square"},
    {"victory_prob_model": "Octic", "big_r_range": "Max"},
    {"victory_prob_model": "Binary"},  # the queue kernel steps aside
    {"pce_model": "MarkovUniform"},  # likewise
    {"voting_rule": "Cubic"},  # every kernel steps aside
    {"bargn_model": "InitRcvrInterp"},
    {"third_party_commit": "FullCommit", "big_r_adjust": "Half"},
    {"state_transitions": "Stochastic"},
    {"state_transitions": "Stochastic", "victory_prob_model": "Quartic", "inter_vec_brgn": "S1P1"},
    {"inter_vec_brgn": "S2PMax", "big_r_range": "Min", "big_r_adjust": "Full"},
    {"big_r_adjust": "TwoThirds", "third_party_commit": "NoCommit"},
    {"big_r_adjust": "None", "salience_normalisation": "per-actor"},
    {"bargn_model": "PWCompInterp"},  # the compiled turn steps aside
])  # fmt: skip
def test_forecast_batch_same_with_and_without_kernels(monkeypatch, options):
    scen = load_scenario(None)
    batch = sample_batch(scen, 40, np.random.default_rng(5), 0.15)
    model = get_model("smp", max_iter=12, **options)
    monkeypatch.setattr(params, "KERNEL_ELEMENTS", 10**9)
    ref = model.forecast_batch(batch, np.random.default_rng(1))
    monkeypatch.setattr(params, "KERNEL_ELEMENTS", 1)
    got = model.forecast_batch(batch, np.random.default_rng(1))
    _same(got, ref)


def test_coalitions_kernel(monkeypatch):
    rng = np.random.default_rng(2)
    u = rng.uniform(0, 1, (6, 3, 9, 11))
    u[..., 4] = u[..., 5]  # equal utilities: zero votes
    w = rng.uniform(0, 2, (6, 3, 9))
    monkeypatch.setattr(params, "KERNEL_ELEMENTS", 10**9)
    ref, _ = coalitions(u, w, "Prop")
    monkeypatch.setattr(params, "KERNEL_ELEMENTS", 1)
    got, _ = coalitions(u, w, "Prop")
    _same(got, ref)


@pytest.mark.parametrize("vpm", ["Linear", "Square", "Quartic", "Octic"])
@pytest.mark.parametrize("L", [3, 9])
def test_queue_kernel(vpm, L):
    rng = np.random.default_rng(L)
    B, K, O = 5, 4, 12
    M = rng.uniform(1e-8, 3.0, (B, O, O))
    idx = np.argsort(rng.random((B, K, O)), axis=-1)[..., :L]
    valid = rng.random((B, K, L)) < 0.8
    valid[..., 0] = True
    rank = rng.integers(0, 50, (B, K, L))
    b3 = np.arange(B)[:, None, None, None]
    Mg = M[b3, idx[..., :, None], idx[..., None, :]]
    ref = pce(orient(Mg, Mg, rank), vpm, "Conditional", valid)
    got, ok = kernels.queue_pce(M, idx, valid, kernels.VPM_POWER[vpm])
    assert ok
    _same(got, ref)


def test_many_issues_same_with_and_without_kernels(monkeypatch):
    """Nine issues: the issue sums take NumPy's eight-lane path."""
    from realpolitik.scenario.model import Scenario

    rng = np.random.default_rng(11)
    issues = [{"id": f"i{u}", "label": f"issue {u}"} for u in range(9)]
    actors = [{"id": f"a{a}", "capability": float(rng.uniform(0.05, 1.0)),
               "positions": {f"i{u}": float(np.round(rng.uniform(0, 100), 1)) for u in range(9)},
               "saliences": {f"i{u}": float(np.round(rng.uniform(5, 100))) for u in range(9)}} for a in range(8)]
    scen = Scenario.model_validate({"title": "nine issues", "issues": issues, "actors": actors})
    batch = sample_batch(scen, 36, np.random.default_rng(6), 0.1)
    model = get_model("smp", max_iter=10)
    monkeypatch.setattr(params, "KERNEL_ELEMENTS", 10**9)
    ref = model.forecast_batch(batch)
    monkeypatch.setattr(params, "KERNEL_ELEMENTS", 1)
    _same(model.forecast_batch(batch), ref)


def test_bv_diff_kernel_with_zero_saliences():
    """An actor with no salience: 0/0 gives NaN as in NumPy (no exception from the kernel)."""
    from realpolitik.models.smp.primitives import bv_diff

    rng = np.random.default_rng(4)
    ideal, pos, sal = rng.random((3, 7, 9)), rng.random((3, 5, 9)), rng.random((3, 7, 9))
    sal[1, 2] = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = bv_diff(ideal, pos, sal)
    _same(kernels.bv_diff(ideal, pos, sal), ref)


@pytest.mark.parametrize("transitions", ["Deterministic", "Stochastic"])
@pytest.mark.parametrize("kernel_elements", [1, 10**9])
def test_final_state_equals_every_state_run(monkeypatch, transitions, kernel_elements):
    """final_state (forecast_batch's driver: compact arrays of the runs still going, compiled
    steps to the last run) gives run_smp's final positions and probabilities bit for bit, with
    events, an accommodation matrix and salience normalisation."""
    from realpolitik.models.smp import Params, run_smp
    from realpolitik.models.smp.driver import final_state

    rng = np.random.default_rng(31)
    B, n, m = 40, 7, 3
    P = np.round(rng.uniform(0, 100, (B, n, m)), 2) / 100
    S = np.round(rng.uniform(0.05, 0.5, (B, n, m)), 2)  # some actors' sums above 1
    C = np.round(rng.uniform(10, 200, (B, n)), 3)
    A = np.eye(n)
    A[1, 1], A[1, 0], A[2, 2], A[2, 3] = 0.75, 0.07, 0.65, 0.13
    h = rng.random(B) < 0.6
    events = {0: [("salience", 0, 1, np.full(B, 0.5), ~h)],
              3: [("position", 1, 0, np.full(B, 0.2), h), ("capability", 2, -1, np.full(B, 90.0), np.ones(B, bool))],
              5: [("salience", 3, 0, np.full(B, 0.7), h)]}  # fmt: skip
    prm = Params(state_transitions=transitions, max_iter=40)
    U = np.random.default_rng(4).random((B, prm.max_iter, n))
    monkeypatch.setattr(params, "KERNEL_ELEMENTS", kernel_elements)
    for accom in (None, A):
        ref = run_smp(P, S, C, prm, accom, U, events=events, salience_normalisation="mean")
        pos, prob, states = final_state(P, S, C, prm, accom, U, events=events, salience_normalisation="mean")
        assert len(set(ref.states.tolist())) > 1  # runs stop at different turns
        _same(states, ref.states)
        rows = np.arange(B)
        _same(pos, ref.positions[rows, ref.states - 1])
        _same(prob, ref.probabilities[rows, ref.states - 1])


@pytest.mark.parametrize("failing", ["setup_prop", "bargains_prop"])
def test_compiled_turn_falls_back_to_numpy_when_a_total_underflows(monkeypatch, failing):
    """A compiled turn whose PCE total underflows (ok False) is redone on NumPy's path: the
    same numbers (here the kernels are made to report an underflow on every turn)."""
    from realpolitik.models.smp import state

    scen = load_scenario(None)
    batch = sample_batch(scen, 40, np.random.default_rng(8), 0.15)
    model = get_model("smp", max_iter=15, state_transitions="Stochastic")
    monkeypatch.setattr(params, "KERNEL_ELEMENTS", 10**9)
    ref = model.forecast_batch(batch, np.random.default_rng(2))
    monkeypatch.setattr(params, "KERNEL_ELEMENTS", 1)
    kernel = getattr(kernels, failing)
    redone = []
    monkeypatch.setattr(kernels, failing, lambda *a: (*kernel(*a)[:-1], False))
    real_turn = state.turn
    monkeypatch.setattr(state, "turn", lambda *a, **k: redone.append(1) or real_turn(*a, **k))
    _same(model.forecast_batch(batch, np.random.default_rng(2)), ref)
    assert bool(redone) == (failing == "bargains_prop")


def test_final_state_with_an_actor_without_salience():
    """An actor with no salience in some draws (its distances 0/0: NaN, as in NumPy): the
    compiled turn gives run_smp's final state, NaN for NaN."""
    from realpolitik.models.smp import Params, run_smp
    from realpolitik.models.smp.driver import final_state

    rng = np.random.default_rng(3)
    B, n, m = 40, 6, 3
    P = np.round(rng.uniform(0, 100, (B, n, m)), 2) / 100
    S = np.round(rng.uniform(0.05, 0.3, (B, n, m)), 2)
    S[::3, 2] = 0.0
    C = np.round(rng.uniform(10, 200, (B, n)), 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = run_smp(P, S, C, Params(max_iter=20))
        pos, prob, states = final_state(P, S, C, Params(max_iter=20))
    rows = np.arange(B)
    assert np.isnan(prob).any()
    _same(states, ref.states)
    _same(pos, ref.positions[rows, ref.states - 1])
    _same(prob, ref.probabilities[rows, ref.states - 1])
