"""War layer mechanisms: the numeric test vectors (design doc section 4) and the
qualitative properties (section 5) of ../shared/design/war-bargaining.md."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realpolitik.models.war import mechanisms as m

TOL = 1e-9
TOL4 = 1e-4


# ------------------------------------------------------------------ section 4
def test_T1_fearon_range():
    r = m.bargaining_range(0.6, 0.1, 0.15)
    assert r.low == pytest.approx(0.50, abs=TOL) and r.high == pytest.approx(0.75, abs=TOL)
    assert not r.clipped


def test_T1_range_clipping_is_reported():
    r = m.bargaining_range(0.95, 0.1, 0.2)
    assert r.high == 1.0 and r.clipped


def test_T2a_uniform_offer():
    o = m.optimal_offer_uniform(0.5, 0.1, 0.3)
    assert o.x == pytest.approx(0.6, abs=TOL)
    assert o.p_war == pytest.approx(1 / 3, abs=TOL)
    assert o.eu == pytest.approx(0.5333, abs=TOL4)


def test_T2b_uniform_offer_no_war_corner():
    o = m.optimal_offer_uniform(0.5, 0.4, 0.3)
    assert (o.x, o.p_war) == (pytest.approx(0.5, abs=TOL), pytest.approx(0.0, abs=TOL))
    assert o.eu == pytest.approx(0.5, abs=TOL)


def test_T3_two_type_screening():
    a = m.screening_two_type(0.5, 0.1, 0.05, 0.25, 0.2)
    assert a.choice == "risky"
    assert a.eu_safe == pytest.approx(0.55, abs=TOL) and a.eu_risky == pytest.approx(0.68, abs=TOL)
    assert a.q_star == pytest.approx(4 / 7, abs=TOL)
    b = m.screening_two_type(0.5, 0.1, 0.05, 0.25, 0.7)
    assert b.choice == "safe" and b.eu_risky == pytest.approx(0.505, abs=TOL)


@pytest.mark.parametrize(
    "mu,pS,pW,won,expected,tol",
    [(0.5, 0.6, 0.4, False, 0.4, TOL), (0.5, 0.6, 0.4, True, 0.6, TOL), (0.3, 0.7, 0.4, False, 0.17647, TOL4)],
)
def test_T4_bayes(mu, pS, pW, won, expected, tol):
    assert m.bayes_battle_update(mu, pS, pW, won) == pytest.approx(expected, abs=tol)


def test_T4d_sequence_is_order_invariant():
    mu = 0.5
    for won in (False, False, True):
        mu = m.bayes_battle_update(mu, 0.6, 0.4, won)
    assert mu == pytest.approx(0.4, abs=TOL)
    assert m.bayes_battle_posterior(0.5, 0.6, 0.4, wins=1, losses=2) == pytest.approx(0.4, abs=TOL)
    mu2 = 0.5
    for won in (True, False, False):
        mu2 = m.bayes_battle_update(mu2, 0.6, 0.4, won)
    assert mu2 == pytest.approx(mu, abs=1e-12)


def test_beta_update():
    assert m.beta_update(2.0, 3.0, True) == (3.0, 3.0)
    assert m.beta_update(2.0, 3.0, False, weight=2.5) == (2.0, 5.5)


@pytest.mark.parametrize(
    "p,k,N,pw,et,tol",
    [
        (0.5, 5, 10, 0.5, 25.0, TOL),
        (0.6, 5, 10, 0.883636, 19.1818, TOL4),
        (0.4, 5, 10, 0.116364, 19.1818, TOL4),
        (0.55, 3, 10, 0.522536, 22.2536, TOL4),
    ],
)
def test_T5_gamblers_ruin(p, k, N, pw, et, tol):
    got_pw, got_et = m.gamblers_ruin(p, k, N)
    assert got_pw == pytest.approx(pw, abs=tol) and got_et == pytest.approx(et, abs=tol)


def test_T5_half_branch_is_continuous():
    a = m.gamblers_ruin(0.5 + 1e-10, 3, 10)
    b = m.gamblers_ruin(0.5 + 1e-6, 3, 10)
    assert a == (pytest.approx(0.3), pytest.approx(21.0))
    assert b[0] == pytest.approx(0.3, abs=1e-5) and b[1] == pytest.approx(21.0, abs=1e-3)


def test_T6_commitment_inequality():
    a = m.commitment_war(0.6, 0.3, 1.0, 1.0, 0.9)
    assert a.war and a.lhs == pytest.approx(10.4, abs=TOL) and a.rhs == pytest.approx(10.0, abs=TOL)
    b = m.commitment_war(0.6, 0.3, 1.5, 1.5, 0.9)
    assert not b.war and b.lhs == pytest.approx(9.45, abs=TOL)
    c = m.commitment_war(0.6, 0.6, 0.1, 0.1, 0.9)
    assert not c.war and c.lhs == pytest.approx(9.41, abs=TOL)


def test_T6d_ceasefire_peace_set():
    ps = m.ceasefire_peace_set(0.6, 1.0, 1.0, 0.9, 0.3, 0.5, 0.5)
    assert ps.g_A_star == pytest.approx(0.344444, abs=TOL4)
    assert ps.g_B_star == pytest.approx(0.877778, abs=TOL4)
    assert ps.interval[0] == pytest.approx(0.588889, abs=TOL4) and ps.interval[1] == pytest.approx(1.0, abs=TOL)


def test_T7_nbs_with_winsets():
    assert m.nbs_with_winsets(0.5, 0.1, 0.1) == pytest.approx(0.5, abs=TOL)
    assert m.nbs_with_winsets(0.5, 0.1, 0.1, x_A_min=0.55) == pytest.approx(0.55, abs=TOL)
    assert m.nbs_with_winsets(0.5, 0.1, 0.1, x_A_min=0.65) is None
    assert m.nbs_with_winsets(0.6, 0.05, 0.15) == pytest.approx(0.65, abs=TOL)


def test_T8_credibility_premium():
    x = m.credible_min_share(0.4, 0.3, 0.8, 0.9)
    assert x == pytest.approx(0.58, abs=TOL)
    assert m.credibility_value(0.58, 0.3, 0.8, 0.9) == pytest.approx(0.4 / (1 - 0.9), abs=TOL)
    assert m.credible_min_share(0.4, 0.3, 1.0, 0.9) == pytest.approx(0.40, abs=TOL)
    assert m.credible_min_share(0.4, 0.4, 0.5, 0.9) == pytest.approx(0.40, abs=TOL)


def test_T9_reputation():
    assert m.reputation_update(0.3, 0.5, True) == pytest.approx(0.461538, abs=TOL4)
    assert m.reputation_update(0.3, 1.0, True) == pytest.approx(1.0, abs=TOL)
    assert m.reputation_update(0.3, 1.0, False) == 0.0
    assert m.challenges(0.3, 2.0, 3.0) is True


def test_T10_audience_cost_lock_in():
    assert m.lock_in_share_uniform(-1.0, 0.5, 0.3, 1.0) == pytest.approx(0.5333, abs=TOL4)
    assert m.lock_in_time(-0.3, 0.1) == pytest.approx(3.0)
    assert m.lock_in_time(0.2, 0.1) == 0.0 and m.lock_in_time(-0.2, 0.0) == math.inf


# ------------------------------------------------------------------ section 5
probs = st.floats(0.0, 1.0)
costs = st.floats(0.0, 0.5)


@given(probs, costs, costs)
@settings(max_examples=200, deadline=None)
def test_P1_range_nonempty_with_positive_costs(p, cA, cB):
    if cA + cB > 0:
        r = m.bargaining_range(p, cA, cB)
        assert r is not None and r.low <= r.high


def test_P1_concave_utility_widens_the_range():
    # u(x) = sqrt(x): U_A(war) = p - c_A in utility, certainty equivalent (p - c_A)^2 <= p - c_A
    p, cA, cB = 0.6, 0.1, 0.1
    lo_concave = (p * 1.0 - cA) ** 2  # A's certainty equivalent of war with u = sqrt
    hi_concave = 1 - (1 - p - cB) ** 2
    r = m.bargaining_range(p, cA, cB)
    assert lo_concave <= r.low and hi_concave >= r.high


def test_P1_uniform_model_neutrality_and_monotonicity():
    pw = [m.optimal_offer_uniform(p, 0.1, 0.3).p_war for p in (0.1, 0.3, 0.5, 0.7)]
    assert np.allclose(pw, pw[0])  # independent of p while interior
    assert m.optimal_offer_uniform(0.3, 0.1, 0.4).p_war > m.optimal_offer_uniform(0.3, 0.1, 0.3).p_war
    assert m.optimal_offer_uniform(0.3, 0.15, 0.3).p_war < m.optimal_offer_uniform(0.3, 0.1, 0.3).p_war


def test_P2_audience_costs_lock_in_the_stronger_side_first():
    t = np.linspace(0, 10, 41)
    LA = m.lock_in_share_uniform(-1.0, 0.5, 0.3, t)
    LB = m.lock_in_share_uniform(-1.0, 0.5, 0.1, t)
    assert np.all(LA >= LB)
    # capabilities enter w, not the accrual: the ordering holds for any common type distribution
    LA2 = m.lock_in_share_normal(-0.4, 0.3, 0.3, t)
    LB2 = m.lock_in_share_normal(-0.4, 0.3, 0.1, t)
    assert np.all(LA2 >= LB2)


def test_P5_commitment_war_risk_rises_with_the_shift_and_falls_with_costs():
    shifts = [0.0, 0.1, 0.2, 0.3, 0.4]
    lhs = [m.commitment_war(0.6, 0.6 - s, 1.0, 1.0, 0.9).lhs for s in shifts]
    assert np.all(np.diff(lhs) > 0)
    assert m.commitment_war(0.6, 0.3, 1.0, 1.0, 0.9).war and not m.commitment_war(0.6, 0.3, 1.5, 1.5, 0.9).war
    assert m.path_war([0.6, 0.6, 0.3], 1.0, 1.0, 0.9) == 1
    assert m.path_war([0.6, 0.6, 0.6], 1.0, 1.0, 0.9) is None


def test_P5_ceasefire_peace_set_shrinks_as_p_shift_falls():
    widths = []
    for ps in (0.5, 0.4, 0.3, 0.2, 0.1):
        iv = m.ceasefire_peace_set(0.6, 1.0, 1.0, 0.9, ps, 0.5, 0.5).interval
        widths.append(0.0 if iv is None else iv[1] - iv[0])
    assert all(a >= b for a, b in zip(widths, widths[1:]))
    assert widths[-1] < widths[0]


def test_P7_unilateral_tightening_helps_until_the_winsets_stop_overlapping():
    xs = [m.nbs_with_winsets(0.5, 0.1, 0.1, x_A_min=b) for b in (None, 0.45, 0.55, 0.6, 0.65)]
    assert xs[0] == xs[1] == pytest.approx(0.5)
    assert xs[2] == pytest.approx(0.55) and xs[3] == pytest.approx(0.6)
    assert xs[4] is None


@given(st.floats(-0.5, 1.0), st.floats(0.0, 0.5), st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.5, 0.99))
@settings(max_examples=200, deadline=None)
def test_P8_credibility_monotone(W, gap, rho1, rho2, delta):
    Wb = W - gap
    lo, hi = sorted((rho1, rho2))
    assert m.credible_min_share(W, Wb, hi, delta) <= m.credible_min_share(W, Wb, lo, delta) + 1e-12
    assert m.credible_min_share(W, Wb + gap / 2, lo, delta) <= m.credible_min_share(W, Wb, lo, delta) + 1e-12
    assert m.credibility_premium(W, Wb, 1.0, delta) == pytest.approx(0.0, abs=1e-12)
    assert m.credibility_premium(W, W, lo, delta) == pytest.approx(0.0, abs=1e-12)


@given(st.floats(0.01, 0.99), st.floats(0.0, 1.0))
@settings(max_examples=200, deadline=None)
def test_P9_reputation_properties(pi, sigma):
    post = m.reputation_update(pi, sigma, True)
    assert post >= pi - 1e-12
    if sigma == 0:
        assert post == pytest.approx(pi)
    elif sigma > 1e-9:
        assert post > pi
    # the challenge rule is monotone in resolve
    assert m.challenges(0.2, 2.0, 3.0) >= m.challenges(0.5, 2.0, 3.0)
    assert m.reputation_used(post, pi, 0.0) == pytest.approx(pi)


@given(st.floats(0.02, 0.98), st.integers(1, 19))
@settings(max_examples=200, deadline=None)
def test_P10_gamblers_ruin_symmetry(p, k):
    N = 20
    pw, et = m.gamblers_ruin(p, k, N)
    pw2, et2 = m.gamblers_ruin(1 - p, N - k, N)
    assert pw == pytest.approx(1 - pw2, abs=1e-9)
    assert et == pytest.approx(et2, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("p,k,N", [(0.6, 5, 10), (0.45, 3, 8), (0.5, 4, 10)])
def test_P10_gamblers_ruin_matches_monte_carlo(p, k, N):
    rng = np.random.default_rng(20241017)
    n = 100_000
    pos = np.full(n, k)
    steps = np.zeros(n)
    alive = np.ones(n, bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        pos[idx] += np.where(rng.random(idx.size) < p, 1, -1)
        steps[idx] += 1
        alive[idx] = (pos[idx] > 0) & (pos[idx] < N)
    won = pos == N
    pw, et = m.gamblers_ruin(p, k, N)
    assert abs(won.mean() - pw) < 3 * math.sqrt(pw * (1 - pw) / n)
    assert abs(steps.mean() - et) < 3 * steps.std() / math.sqrt(n)


# ------------------------------------------------------------ war value solve
def test_war_value_tridiagonal_equals_closed_form_without_discounting():
    p = np.array([0.3, 0.5, 0.5 + 1e-12, 0.62])
    v = m.war_value(p, 10, 0.02)
    for k in range(11):
        assert np.allclose(v[:, k], m.war_value_undiscounted(p, k, 10, 0.02), atol=1e-10)


def test_war_value_discounted_solves_the_recursion_exactly():
    from scipy.linalg import solve_banded

    p, N, kappa, delta = 0.57, 12, 0.01, 0.93
    v = m.war_value(np.array(p), N, kappa, delta)
    n = N - 1
    ab = np.zeros((3, n))
    ab[0, 1:] = -delta * p
    ab[1, :] = 1.0
    ab[2, :-1] = -delta * (1 - p)
    rhs = np.full(n, -kappa)
    rhs[-1] += delta * p
    ref = solve_banded((1, 1), ab, rhs)
    assert np.allclose(v[1:N], ref, atol=1e-13)
    k = np.arange(1, N)
    assert np.allclose(v[1:N], -kappa + delta * (p * v[2:] + (1 - p) * v[:-2]), atol=1e-13)


def test_subjective_settlement():
    s = m.subjective_settlement(0.5, 0.4)
    assert s.possible and s.x == pytest.approx(0.55)
    assert m.subjective_settlement(0.6, 0.5) == (False, None)


def test_winset_bound_weighted_quota():
    d = np.array([0.2, 0.5, 0.9])
    w = np.array([1.0, 1.0, 1.0])
    assert m.winset_bound(d, w, 0.5) == 0.5
    assert m.winset_bound(d, w, 1.0) == 0.9  # unanimity: the hawk's veto
    assert m.winset_bound(d, w, 0.5, side="B") == 0.5
    assert m.winset_bound(d, w, 1.0, side="B") == 0.2
    assert m.winset_bound(d, np.array([5.0, 1.0, 1.0]), 0.5) == 0.2
    assert math.isnan(m.winset_bound(d, np.zeros(3), 0.5))


@given(
    st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.01, 10.0)), min_size=1, max_size=8),
    st.floats(0.05, 1.0),
)
@settings(max_examples=200, deadline=None)
def test_winset_bound_is_the_least_ratified_deal(pairs, thr):
    d = np.array([p[0] for p in pairs])
    w = np.array([p[1] for p in pairs])
    total = w.sum()
    ratified = lambda x: w[d <= x].sum() >= thr * total - 1e-12  # noqa: E731
    brute = min(x for x in d if ratified(x))
    assert m.winset_bound(d, w, thr) == pytest.approx(brute)
    ratified_b = lambda x: w[d >= x].sum() >= thr * total - 1e-12  # noqa: E731
    assert m.winset_bound(d, w, thr, side="B") == pytest.approx(max(x for x in d if ratified_b(x)))
