"""The vectorised war simulator and Powell (2004) screening: design doc 3.3/3.4 and
the qualitative properties 3, 4, 6 and 10 of section 5."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realpolitik.models.war import mechanisms as m
from realpolitik.models.war.screening import skimming_dp
from realpolitik.models.war.simulator import (
    A_VICTORY,
    B_VICTORY,
    SETTLED,
    BeliefIntegrator,
    CeasefireParams,
    WarParams,
    simulate_war,
    value_tables,
)


def _run(params, p, beliefA, beliefB, n=4000, seed=11, **kw):
    full = lambda v: np.full(n, float(v))  # noqa: E731
    return simulate_war(
        params, full(p), (full(beliefA[0]), full(beliefA[1])), (full(beliefB[0]), full(beliefB[1])),
        rng=np.random.default_rng(seed), **kw,
    )  # fmt: skip


def test_quadrature_matches_scipy_integration():
    from scipy import integrate, stats

    integ = BeliefIntegrator(value_tables(10, 0.01, 0.02, 0.97, False))
    for a, b in [(1.5, 2.0), (12.0, 8.0), (60.0, 40.0), (700.0, 500.0)]:
        got = integ.expect(np.array([a]), np.array([b]), np.array([4]))[0][0]
        f = lambda p: stats.beta.pdf(p, a, b) * m.war_value(np.array([p]), 10, 0.01, 0.97)[0, 4]  # noqa: E731
        ref = integrate.quad(f, 0, 1, points=[a / (a + b)], limit=200)[0]
        # a < 2 has an integrable edge singularity: Gauss-Legendre converges more slowly there
        assert got == pytest.approx(ref, abs=1e-6 if min(a, b) < 2 else 1e-9)


def test_P10_front_line_without_settlement_is_a_gamblers_ruin():
    # A is sure it wins every battle, B sure it wins every battle: no deal ever exists.
    N, k0, p, n = 10, 4, 0.55, 100_000
    params = WarParams(N=N, k0=k0, kappa_A=0.0, kappa_B=0.0, max_battles=2000, belief_eval="plug_in")
    r = _run(params, p, (1e9, 1.0), (1.0, 1e9), n=n)
    assert np.all(r.outcome != SETTLED)
    pw, et = m.gamblers_ruin(p, k0, N)
    won = r.outcome == A_VICTORY
    assert abs(won.mean() - pw) < 3 * math.sqrt(pw * (1 - pw) / n)
    assert abs(r.end_step.mean() - et) < 3 * r.end_step.std() / math.sqrt(n)


def test_P6_common_degenerate_priors_settle_at_once():
    params = WarParams(N=10, k0=5, kappa_A=0.01, kappa_B=0.01, max_battles=30)
    for mode in ("quadrature", "plug_in"):
        r = _run(replace_mode(params, mode), 0.55, (0.55e9, 0.45e9), (0.55e9, 0.45e9), n=500)
        assert np.all(r.outcome == SETTLED) and np.all(r.end_step == 0)
        # split the difference of the common (true) values
        vA = m.war_value_undiscounted(0.55, 5, 10, 0.01)
        vB = 1 - m.gamblers_ruin(0.55, 5, 10)[0] - 0.01 * m.gamblers_ruin(0.55, 5, 10)[1]
        assert r.terms[0] == pytest.approx(m.subjective_settlement(vA, vB).x, abs=1e-6)


def replace_mode(params, mode):
    from dataclasses import replace

    return replace(params, belief_eval=mode)


def test_P6_larger_prior_gap_means_longer_wars():
    params = WarParams(N=10, k0=5, kappa_A=0.01, kappa_B=0.01, max_battles=200)
    durations = []
    for gap in (0.0, 0.2, 0.3, 0.4):
        conc = 20.0
        pa, pb = 0.5 + gap / 2, 0.5 - gap / 2
        r = _run(params, 0.5, (pa * conc, (1 - pa) * conc), (pb * conc, (1 - pb) * conc), n=3000)
        durations.append(r.end_step.mean())
    # gaps inside the cost margin still settle at t = 0; beyond it, wars lengthen with the gap
    assert durations[0] == 0.0
    assert all(a < b for a, b in zip(durations[1:], durations[2:])) and durations[1] > 0, durations


def test_P3_settlement_before_military_victory_without_anyone_expecting_defeat():
    params = WarParams(N=10, k0=5, kappa_A=0.02, kappa_B=0.02, max_battles=200)
    r = _run(params, 0.5, (8.0, 2.0), (2.0, 8.0), n=4000)
    settled = r.outcome == SETTLED
    assert settled.mean() > 0 and np.all(r.end_step[settled] >= 1)  # fought first, then settled
    assert np.all((r.k_end[settled] > 0) & (r.k_end[settled] < 10))
    pwin_A = m.gamblers_ruin(r.belief_end[:, 0], r.k_end, 10)[0]  # A's own posterior view
    pwin_B = 1 - m.gamblers_ruin(r.belief_end[:, 1], r.k_end, 10)[0]  # B's own posterior view
    neither_expects_defeat = settled & (pwin_A >= 0.5) & (pwin_B >= 0.5)
    assert neither_expects_defeat.any()


def test_simulator_is_seeded_and_respects_bounds():
    T = 31
    lower = np.full(T, 0.62)
    params = WarParams(N=10, k0=5, kappa_A=0.01, kappa_B=0.01, max_battles=T - 1, lower=lower)
    a = _run(params, 0.55, (8.0, 4.0), (4.0, 6.0), seed=3)
    b = _run(params, 0.55, (8.0, 4.0), (4.0, 6.0), seed=3)
    assert np.array_equal(a.outcome, b.outcome) and np.array_equal(a.end_step, b.end_step)
    assert np.array_equal(a.terms, b.terms, equal_nan=True)
    settled = a.outcome == SETTLED
    assert settled.any() and np.all(a.terms[settled] >= 0.62 - 1e-12)
    assert np.all(np.isnan(a.terms[~settled]))
    # per-draw bounds give the same answer as the shared bounds
    params2 = WarParams(N=10, k0=5, kappa_A=0.01, kappa_B=0.01, max_battles=T - 1, lower=np.tile(lower, (4000, 1)))
    c = _run(params2, 0.55, (8.0, 4.0), (4.0, 6.0), seed=3)
    assert np.array_equal(a.terms, c.terms, equal_nan=True)


def test_P7_tightening_a_winset_moves_terms_and_then_blocks_deals():
    means, shares = [], []
    for bound in (-np.inf, 0.55, 0.7, 0.99):
        params = WarParams(N=10, k0=5, kappa_A=0.01, kappa_B=0.01, max_battles=0, lower=np.full(1, bound))
        r = _run(params, 0.5, (0.5e9, 0.5e9), (0.5e9, 0.5e9), n=200)
        shares.append((r.outcome == SETTLED).mean())
        means.append(np.nanmean(r.terms) if shares[-1] else np.nan)
        if shares[-1]:  # the corner solution is reported
            assert np.all(r.clipped[r.outcome == SETTLED] == (0 if bound == -np.inf else 1))
    assert means[0] == pytest.approx(0.5) and means[1] == pytest.approx(0.55) and means[2] == pytest.approx(0.7)
    assert shares[:3] == [1.0, 1.0, 1.0] and shares[3] == 0.0


def test_ceasefire_constraint_keeps_terms_in_the_peace_set():
    cf = CeasefireParams(p_shift=0.3, kappa=0.5, x_sq=0.5, d_A=1.0, d_B=1.0, delta=0.9)
    params = WarParams(N=10, k0=5, kappa_A=0.01, kappa_B=0.01, max_battles=40, ceasefire=cf)
    r = _run(params, 0.5, (6.0, 4.0), (4.0, 6.0), n=3000)
    settled = r.outcome == SETTLED
    assert settled.any()
    # A's commitment condition: g(x) >= g_A*(p0_A) with p0_A >= 0 implies g(x) >= 1 - (1 + 0.19)/0.9
    g = np.clip(0.3 + 0.5 * (r.terms[settled] - 0.5), 0, 1)
    assert np.all(g >= 1 - (1 + 0.1 * 1.9) / 0.9 - 1e-12)


# ------------------------------------------------------------ Powell (2004)
@given(
    st.lists(st.floats(0.01, 1.0), min_size=1, max_size=6, unique=True),
    st.floats(0.0, 0.3),
    st.floats(0.0, 0.2),
    st.floats(0.0, 0.2),
    st.floats(0.5, 0.97),
    st.integers(0, 10_000),
)
@settings(max_examples=150, deadline=None)
def test_P4_powell_skimming_properties(types, c_U, r_U, r_I, delta, seed):
    prior = np.random.default_rng(seed).dirichlet(np.ones(len(types)))
    sol = skimming_dp(types, prior, c_U, r_U, r_I, delta)
    offers = np.array(sol.offers)
    assert np.all(np.diff(offers) >= -1e-12)  # on-path offers are non-decreasing
    assert np.all(np.diff(sol.posterior_tough) >= -1e-12)  # mass on the toughest type rises
    if not sol.fight_forever:
        assert len(sol.offers) <= len(types)  # at most K rounds: every rejection removes a type
        assert np.all(np.isfinite(sol.settle_round)) and sol.settle_round.max() <= len(types) - 1
    # U never does worse than fighting to the end
    assert sol.value_U >= sol.war_value_U - 1e-12
    # every type accepting in a round weakly prefers the offer to its fight-to-the-end value
    F = (-sol.types + delta * r_U / (1 - delta)) / (1 - delta * (1 - r_U - r_I))
    for x, acc in zip(sol.offers, sol.accepting):
        assert np.all(x / (1 - delta) >= F[list(acc)] - 1e-9) or sol.clipped


def test_powell_skimming_example():
    sol = skimming_dp([0.02, 0.3, 0.6, 1.0], [0.1, 0.2, 0.3, 0.4], c_U=0.0, r_U=0.05, r_I=0.05, delta=0.95)
    # the three high-cost types settle at once, the toughest after one round of fighting
    assert sol.accepting == ((0, 1, 2), (3,))
    assert sol.offers[0] < sol.offers[1]
    assert sol.expected_duration == pytest.approx(0.1)
    # type 3 (c = 0.3) is indifferent between x_0 now and x_1 after one round
    d, rho = 0.95, 0.9
    assert sol.offers[0] == pytest.approx((1 - d) * (-0.3) + d * 0.05 + d * rho * sol.offers[1])
    # the last offer makes the toughest type indifferent to fighting to the end
    F_K = (-0.02 + d * 0.05 / (1 - d)) / (1 - d * rho)
    assert sol.offers[1] == pytest.approx((1 - d) * F_K)


def test_powell_single_type_settles_immediately_or_never():
    sol = skimming_dp([0.2], [1.0], c_U=0.1, r_U=0.1, r_I=0.1, delta=0.9)
    assert sol.offers and sol.expected_duration == 0.0
    F = (-0.2 + 0.9 * 0.1 / 0.1) / (1 - 0.9 * 0.8)
    assert sol.offers[0] == pytest.approx(0.1 * F)


# ------------------------------------------------- nashpy cross-check (issue part 6)
def _screening_bimatrix(p, cA, cL, cH, q, eps=1e-3, tremble=1e-2):
    """The two-type screening game in agent-normal form, built from primitives.

    Rows: A offers the safe x_s = p + c_L or the risky x_r = p + c_H.  Columns: B's
    plans (for each type and each offer, accept or reject; 16 plans).  B's payoffs
    carry an eps bonus for accepting (ties go to acceptance, as in the model) and a
    tremble (each column is scored against both offers) so that sequentially rational
    plans are strictly best; A's payoffs are exact.
    """
    import itertools

    offers = (p + cL, p + cH)
    plans = list(itertools.product((0, 1), repeat=4))  # (tough@safe, tough@risky, soft@safe, soft@risky)
    A = np.zeros((2, len(plans)))
    B = np.zeros((2, len(plans)))
    for j, plan in enumerate(plans):
        uB = np.zeros(2)
        for r, x in enumerate(offers):
            t_acc, s_acc = plan[r], plan[2 + r]
            a_pay = q * (x if t_acc else p - cA) + (1 - q) * (x if s_acc else p - cA)
            b_t = (1 - x + eps) if t_acc else (1 - p - cL)
            b_s = (1 - x + eps) if s_acc else (1 - p - cH)
            A[r, j] = a_pay
            uB[r] = q * b_t + (1 - q) * b_s
        B[:, j] = (1 - tremble) * uB + tremble * uB[::-1]
    return A, B


@pytest.mark.parametrize("q", [0.1, 0.2, 0.5, 0.7, 0.9])
def test_two_type_screening_agrees_with_nashpy(q):
    import warnings

    import nashpy as nash

    p, cA, cL, cH = 0.5, 0.1, 0.05, 0.25
    A, B = _screening_bimatrix(p, cA, cL, cH, q)
    ours = m.screening_two_type(p, cA, cL, cH, q)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eqs = list(nash.Game(A, B).vertex_enumeration())
    assert eqs, "nashpy found no equilibrium"
    for sa, sb in eqs:
        row = int(np.argmax(sa))
        assert sa[row] == pytest.approx(1.0)
        assert ("safe", "risky")[row] == ours.choice
        value = float(sa @ A @ sb)
        assert value == pytest.approx(ours.eu_safe if ours.choice == "safe" else ours.eu_risky, abs=1e-9)


def test_psychsim_fixture_matches_the_exact_absorbing_chain():
    """Design doc 3.3 fixture (PsychSim wartime negotiation, numbers only): positions 0-10,
    start 5, P(A wins a battle) = 0.3, cap of 15 rounds.  Without settlement the simulator's
    outcome shares must match the exact 15-step distribution of the absorbing Markov chain."""
    N, k0, p, rounds, n = 10, 5, 0.3, 15, 40_000
    P = np.zeros((N + 1, N + 1))
    P[0, 0] = P[N, N] = 1.0
    for k in range(1, N):
        P[k, k + 1], P[k, k - 1] = p, 1 - p
    dist = np.linalg.matrix_power(P, rounds)[k0]
    exact = {A_VICTORY: dist[N], B_VICTORY: dist[0]}
    params = WarParams(N=N, k0=k0, kappa_A=0.0, kappa_B=0.0, max_battles=rounds, belief_eval="plug_in")
    r = _run(params, p, (1e9, 1.0), (1.0, 1e9), n=n)
    for code, q in exact.items():
        got = np.mean(r.outcome == code)
        assert abs(got - q) < 3 * math.sqrt(q * (1 - q) / n) + 1e-12, (code, got, q)


@given(
    st.integers(2, 14),
    st.floats(0.05, 0.95),
    st.floats(0.05, 0.95),
    st.floats(0.05, 0.95),
    st.floats(1.0, 200.0),
    st.floats(0.0, 0.05),
    st.floats(0.0, 0.05),
    st.floats(0.8, 1.0),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.integers(0, 25),
    st.integers(0, 2**31),
)
@settings(max_examples=60, deadline=None)
def test_simulator_invariants(N, p, mA, mB, conc, kA, kB, delta, lo, hi, T, seed):
    k0 = max(1, N // 2)
    lower = np.full(T + 1, min(lo, hi))
    upper = np.full(T + 1, max(lo, hi))
    params = WarParams(N=N, k0=k0, kappa_A=kA, kappa_B=kB, delta=delta, max_battles=T, lower=lower, upper=upper)
    r = _run(params, p, (mA * conc, (1 - mA) * conc), (mB * conc, (1 - mB) * conc), n=200, seed=seed)
    settled = r.outcome == SETTLED
    assert np.all((r.end_step >= 0) & (r.end_step <= T))
    assert np.all(r.terms[settled] >= lower[0] - 1e-12) and np.all(r.terms[settled] <= upper[0] + 1e-12)
    assert np.all(np.isnan(r.terms[~settled]))
    assert np.all(r.k_end[r.outcome == A_VICTORY] == N) and np.all(r.k_end[r.outcome == B_VICTORY] == 0)
    inside = (r.outcome == SETTLED) | (r.outcome == 0)
    assert np.all((r.k_end[inside] > 0) & (r.k_end[inside] < N))
    assert np.all(r.end_step[r.outcome == 0] == T)
