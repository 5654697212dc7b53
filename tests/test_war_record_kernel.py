"""The war layer's record conditioning compiled (models/war/record_kernel.py, issue 17).

The batch core walks every proposed simulated war through the war's record in a compiled
loop; the expected values of fighting on stay NumPy's (read from tables of each draw's
start state, step and battles won).  These tests pin that the compiled path keeps the same
draws, rejects the others for the same reasons and leaves the same state at the origin as
the NumPy path, bit for bit, on scenarios with and without a ceasefire line, talks, per-draw
domestic bounds and battle weights that differ from draw to draw; and that a belief
state's expected value does not depend on the states evaluated with it (which the tables
rely on).
"""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.models import get_model
from realpolitik.models.war import record_kernel
from realpolitik.models.war.inputs import DomesticTimeline
from realpolitik.models.war.simulator import CounterLuck, Record, condition_on_record
from realpolitik.scenario import load_scenario
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.uncertainty import sample_batch
from test_war_history import SMALL_H, UNCERTAIN_BATTLE, hist

DISCRETE_BATTLE = SMALL_H.replace(
    "{id: early, date: 2023-12-01, winner: A, weight: 2}",
    "{id: early, date: 2023-12-01, winner: A, weight: 2, probability: 0.5}",
)

NARROW_FRONT = SMALL_H.replace("  months_per_battle: 2\n", "  months_per_battle: 2\n  front: {positions: 5, start: 2}\n")


def _no_ceasefire_line():
    data = load_scenario().model_dump()
    data["war"]["ceasefire"] = None
    return Scenario.model_validate(data)


SCENARIOS = {
    "default": load_scenario,
    "default, no ceasefire line": _no_ceasefire_line,
    "small with talks": lambda tmp: hist(tmp),
    "battle counted by chance": lambda tmp: hist(tmp, DISCRETE_BATTLE),
    "battle weight drawn per draw": lambda tmp: hist(tmp, UNCERTAIN_BATTLE),
    "narrow front": lambda tmp: hist(tmp, NARROW_FRONT),
}


def _credibility_binds():
    """The default scenario where Russia's credibility premium can reach 45 % of the stake
    (breach_loss 0.05) and no domestic bound hides it: many draws' results depend on it."""
    data = load_scenario().model_dump()
    data["war"]["sides"][0]["credibility"]["breach_loss"] = 0.05
    data["war"]["sides"][0]["autonomy"] = 1.0
    data["war"]["sides"][0]["audience_cost_rate"] = 0.0
    return Scenario.model_validate(data)


SCENARIOS["credibility binds"] = _credibility_binds


def _scenario(which, tmp_path):
    f = SCENARIOS[which]
    return f() if which.startswith("default") or which == "credibility binds" else f(tmp_path)


def _record(setup, key, n, per_draw_bounds):
    prop = setup.proposals(key, n)
    if per_draw_bounds:  # each draw its own constituencies' values (a batch's scenario draws)
        batch = sample_batch(setup.scenario, 7, np.random.default_rng(5), 0.2)
        owner = np.arange(n) % 7
        tl = setup.pressures(record_only=True, position=batch.position, salience=batch.salience,
                             capability=batch.capability, schedule=batch.events).timeline(prop.autonomy, rows=owner)  # fmt: skip
        if per_draw_bounds == "own row":  # every draw its own copy of its row
            tl = DomesticTimeline(tl.lower[tl.rows], tl.upper[tl.rows], tl.ratifiers, tl.start, tl.past)
    else:
        tl = setup.timeline(autonomy=prop.autonomy, record_only=True)
    params = setup._params(tl, setup.R, slice(0, setup.R + 1))
    pA, pB = setup.premiums(prop.u_rho)
    record = Record(setup.record.forced, setup.record.talks,
                    tuple((b.step, b.a_won, prop.weights[b.index]) for b in setup.battles if b.phase == "record"))
    return params, record, prop, pA, pB


@pytest.mark.parametrize(
    "which,per_draw_bounds",
    [(w, False) for w in SCENARIOS]
    + [("default", "row"), ("default", "own row"), ("default, no ceasefire line", "row")],
)
def test_compiled_record_equals_numpy_bit_for_bit(which, per_draw_bounds, tmp_path, monkeypatch):
    scen = _scenario(which, tmp_path)
    setup = get_model("war").setup(scen)
    ran = []
    real = record_kernel.compiled_record
    monkeypatch.setattr(record_kernel, "compiled_record", lambda *a: ran.append(real(*a)) or ran[-1])
    n, key = 30_000, (11, 2)
    params, record, prop, pA, pB = _record(setup, key, n, per_draw_bounds)
    out = {}
    for compiled in (False, True):
        out[compiled] = condition_on_record(
            params, record, prop.p_true, prop.belief_A, prop.belief_B, pA, pB, None, chunk=12_000,
            integrator=setup.integrator, luck=CounterLuck((*key, 10)), compiled=compiled,
        )  # fmt: skip
    a, b = out[False], out[True]
    for f in ("consistent", "failed", "k", "wins", "aA", "bA", "aB", "bB"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert 100 < a.consistent.sum() < n - 100  # kept and rejected draws
    # every reason: a deal existed (1), military end (2 on the narrow front), an offer refused (3)
    assert {1, 2, 3} & set(a.failed.tolist()) >= {"default": {1, 3}, "narrow front": {1, 2}}.get(which, {1})
    assert len(ran) == 1  # all draws at once
    # draws with their own continuous battle weights have no few start states: NumPy runs
    assert all(ran) == (which != "battle weight drawn per draw")


@pytest.mark.parametrize("which", [w for w in SCENARIOS if w != "battle weight drawn per draw"])
def test_premiums_computed_only_where_the_largest_ones_leave_a_draw_open(which, tmp_path):
    """The batch core computes a proposed war's credibility premium (betaincinv) only if no deal
    exists at the war's start even with each side's largest premium (a deal there with the
    largest premiums is one with any: the test is monotone in both); the result is the NumPy
    path's with every premium computed, bit for bit."""
    scen = _scenario(which, tmp_path)
    setup = get_model("war").setup(scen)
    n, key = 30_000, (12, 1)
    params, record, prop, pA, pB = _record(setup, key, n, False)
    asked = []

    def lazy(idx):
        asked.append(idx.size)
        return setup.premiums((prop.u_rho[0][idx], prop.u_rho[1][idx]))

    hiA, hiB = setup.premium_bounds()
    assert np.all(pA <= hiA) and np.all(pB <= hiB)
    common = dict(rng=None, chunk=12_000, integrator=setup.integrator, luck=CounterLuck((*key, 10)))
    a = condition_on_record(params, record, prop.p_true, prop.belief_A, prop.belief_B, pA, pB, **common)
    b = condition_on_record(params, record, prop.p_true, prop.belief_A, prop.belief_B, hiA, hiB, compiled=True,
                            lazy_premiums=lazy, **common)  # fmt: skip
    for f in ("consistent", "failed", "k", "wins", "aA", "bA", "aB", "bB"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert len(asked) == 1 and asked[0] < n  # draws with a deal at the start whatever their premiums: none asked
    if which == "credibility binds":
        # the premium decides at the start for some of the draws asked (the bound is not trivial)
        tl_only = setup._params(setup.timeline(autonomy=prop.autonomy, record_only=True), 0, slice(0, 1))
        start = condition_on_record(tl_only, Record(record.forced[:0]), prop.p_true, prop.belief_A, prop.belief_B,
                                    pA, pB, **common)  # fmt: skip
        assert np.sum(~start.consistent) > n - asked[0] + 100


def test_the_batch_core_conditions_compiled_with_the_same_draws():
    """WarSetup.condition with the compiled record (the batch core's) keeps the same draws."""
    setup = get_model("war", draws=3000).setup(load_scenario())
    plain = setup.condition(9)
    setup.compiled = True
    fast = setup.condition(9)
    for f in ("p_true", "k", "aA", "bA", "aB", "bB", "wins", "luck", "source"):
        assert np.array_equal(getattr(plain, f), getattr(fast, f)), f
    assert plain.rejected == fast.rejected and plain.proposals == fast.proposals


def test_a_belief_states_value_does_not_depend_on_the_states_evaluated_with_it():
    """The expected values are a function of the belief state alone (BLAS takes another path
    for a single row; one row is evaluated as two): in chunks of any size as all at once."""
    integ = get_model("war").setup(load_scenario()).integrator
    rng = np.random.default_rng(0)
    n = 600
    a, b, k = rng.uniform(0.5, 40, n), rng.uniform(0.5, 40, n), rng.integers(1, 10, n)
    whole = np.stack(integ._expect(a, b, k), axis=1)
    for size in (1, 2, 3, 7, 64, 65):
        parts = np.concatenate([np.stack(integ._expect(a[s:s + size], b[s:s + size], k[s:s + size]), axis=1)
                                for s in range(0, n, size)])  # fmt: skip
        assert np.array_equal(parts, whole), size


def test_a_war_run_does_not_import_numba():
    """The compiled record is the batch core's; a single run stays NumPy (start-up time)."""
    import subprocess
    import sys

    code = ("import sys\nfrom realpolitik.scenario import load_scenario\nfrom realpolitik.models import get_model\n"
            "get_model('war').run(load_scenario(None), rng=1)\nprint('numba' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_forecasts_of_one_war_share_the_belief_cache_and_no_number_changes():
    """The integrator (with its cache of belief states) is kept from one forecast to the next:
    a run on a warm cache gives the numbers of a run on a cold one."""
    from realpolitik.models.war import setup as war_setup

    scen = load_scenario()
    model = get_model("war", draws=500)
    assert model.setup(scen).integrator is model.setup(scen).integrator
    war_setup._LOCAL.integrators = {}
    cold = model.run(scen, rng=3).details
    warm = model.run(scen, rng=3).details
    assert warm == cold
    assert len(war_setup._LOCAL.integrators) <= war_setup.SHARED_INTEGRATORS


def test_a_run_uses_the_kernels_only_once_loaded_and_keeps_its_numbers(monkeypatch):
    """A run with the batch core's kernels already loaded (the point forecast of a Monte Carlo
    run) uses them, and gives the numbers of a NumPy run; a run without them loaded does not
    load them (tested in a fresh process above)."""
    import sys

    scen = load_scenario()
    model = get_model("war", draws=1500)
    ran = []
    real = record_kernel.compiled_future
    monkeypatch.setattr(record_kernel, "compiled_future", lambda *a: ran.append(real(*a)) or ran[-1])
    fast = model.run(scen, rng=4)
    assert ran and all(ran)  # the base forecast and the what-ifs, compiled
    monkeypatch.delitem(sys.modules, "realpolitik.models.war.record_kernel")
    ran.clear()
    plain = model.run(scen, rng=4)
    assert not ran
    assert plain.forecast == fast.forecast and plain.details == fast.details


def test_factorize_bits_codes_equal_rows_alike():
    """Start states by their bits: equal codes if and only if equal rows, first appearance
    order, across table growth (many codes) and few codes alike."""
    rng = np.random.default_rng(1)
    for distinct in (3, 700, 5000):
        vals = rng.random((2, distinct))
        pick = rng.integers(0, distinct, 20_000)
        X = np.ascontiguousarray(vals[:, pick]).view(np.uint64)
        codes, first = record_kernel.factorize_bits(tuple(record_kernel._bits(x) for x in X.view(np.float64)))
        _, ref_first, ref_inv = np.unique(pick, return_index=True, return_inverse=True)
        assert first.size == np.unique(pick).size
        assert np.array_equal(np.sort(first), np.sort(ref_first))
        assert np.array_equal(codes[first], np.arange(first.size)) and np.all(np.diff(first) > 0)
        assert np.array_equal(pick[first][codes], pick)  # same row -> same code, and back


@pytest.mark.parametrize(
    "which,per_draw_bounds",
    [(w, False) for w in SCENARIOS if w != "battle weight drawn per draw"]
    + [("default", "row"), ("default", "own row"), ("default, no ceasefire line", "row")],
)
def test_compiled_forecast_equals_numpy_bit_for_bit(which, per_draw_bounds, tmp_path, monkeypatch):
    """The forecast phase compiled (the wars kept, from their state at the origin with their
    own luck): the same outcomes, steps, terms, corner flags, first war values, fronts and
    beliefs at the end as NumPy's."""
    from realpolitik.models.war.simulator import simulate_war

    scen = _scenario(which, tmp_path)
    setup = get_model("war", draws=6000).setup(scen)
    cond = setup.condition(21)
    tl = setup.timeline(autonomy=cond.autonomy)
    if per_draw_bounds:
        batch = sample_batch(scen, 7, np.random.default_rng(5), 0.2)
        tl = setup.pressures(position=batch.position, salience=batch.salience, capability=batch.capability,
                             schedule=batch.events).timeline(cond.autonomy, rows=np.arange(cond.size) % 7)  # fmt: skip
        if per_draw_bounds == "own row":
            tl = DomesticTimeline(tl.lower[tl.rows], tl.upper[tl.rows], tl.ratifiers, tl.start, tl.past)
    ran = []
    real = record_kernel.compiled_future
    monkeypatch.setattr(record_kernel, "compiled_future", lambda *a: ran.append(real(*a)) or ran[-1])
    paths = {}
    for compiled in (False, True):
        setup.compiled = compiled
        paths[compiled] = setup.future(cond, tl)
    a, b = paths[False], paths[True]
    for f in ("outcome", "end_step", "terms", "first_ev", "belief_end", "k_end", "clipped"):
        assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f
    assert ran == [True]
    assert len(set(a.outcome.tolist())) >= 2 and np.isfinite(a.terms).sum() >= 50
    if which == "narrow front":
        assert {2, 3} <= set(a.outcome.tolist())  # military ends both ways
    # with battle evidence still to come, or without own luck, NumPy runs
    simulate_war(setup._params(tl, setup.max_battles, slice(setup.R, setup.R + setup.max_battles + 1),
                               [(1, True, 1.0)]), cond.p_true[:50], (cond.aA[:50], cond.bA[:50]),
                 (cond.aB[:50], cond.bB[:50]), k_start=cond.k[:50], uniforms=cond.luck[:50], compiled=True,
                 integrator=setup.integrator)  # fmt: skip
    assert ran == [True]
