"""A plain-loop oracle of the expected-utility model, and the vectorised core checked against it.

The oracle is written from ``shared/anchors/bdm/EQUATIONS.md`` (sections 1, 3 and 4)
with one Python loop per sum and no NumPy, so that it shares no code and no
array tricks with ``realpolitik.models.expected_utility``.  With
``cache_denominator=False`` it recomputes the all-pairs denominator inside every
probability, as the reference implementation does (O(n^6) per round).

The benchmark ``benchmarks/bench_expected_utility.py`` imports this module to time
the oracle.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realpolitik.models.expected_utility import ExpectedUtilityOptions, eu_round, run_rounds

KINDS = {"confrontation": 1, "compromise": 2, "capitulation": 3}

#: relative tie tolerance in float64: this loop's own rounding makes values that are equal
#: in exact arithmetic differ in the last bits (the model marks offers that are equal to
#: this tolerance but not exactly as numerically undetermined; those rounds are not compared)
FLOAT_TIE = 1e-12


def _tol(v):
    """The relative tie tolerance for the number type of ``v``: :data:`FLOAT_TIE` in
    float64; in multiple precision (mpmath at ``dps`` digits) 10^-(dps - 20), which
    separates exact ties (equal up to the last digits) from real differences, even the
    least-move variant's 1.3e-150 at round 10, at 200 digits."""
    import mpmath

    if isinstance(v, mpmath.mpf):
        return mpmath.mpf(10) ** (20 - mpmath.mp.dps)
    return FLOAT_TIE


def _tie(a, b) -> bool:
    return abs(a - b) <= _tol(a) * max(abs(a), abs(b), 1)


def _even(a, b) -> bool:
    """The median's even split: a definition of the model (1e-12), in any precision."""
    return abs(a - b) <= FLOAT_TIE * max(abs(a), abs(b), 1)


def oracle_median(x, w):
    """Condorcet winner among actors' positions: max of sum_k v^{jk} (eq. 29), ties -> lowest."""
    n = len(x)
    if sum(w) <= 0:
        w = [1] * n
    best, best_x = None, None
    for j in range(n):
        total = 0 * x[0]
        for k in range(n):
            for i in range(n):
                total += w[i] * (abs(x[i] - x[k]) - abs(x[i] - x[j]))
        if best is None or (total > best and not _even(total, best)):
            best, best_x = total, x[j]
        elif _even(total, best) and x[j] < best_x:
            best_x = x[j]
    return best_x


def oracle_mean(x, w):
    tot = sum(w)
    if tot <= 0:
        return sum(x) / len(x)
    return sum(wi * xi for wi, xi in zip(w, x)) / tot


class Oracle:
    """One round of the model with plain loops (EQUATIONS.md section 4, and section 3's options)."""

    def __init__(self, opt: ExpectedUtilityOptions, cache_denominator: bool = True):
        self.o = opt
        self.cache = cache_denominator
        self.tie_break = opt.tie_break

    # votes and probability (eqs. 28, 31; section 3 'probability', 'vote_risk')
    def vote(self, k, a, b, r):
        rk = 1 if r is None else r[k]
        return self.w[k] * ((abs(self.x[k] - b) / self.R) ** rk - (abs(self.x[k] - a) / self.R) ** rk)

    def all_pairs_denominator(self, r):
        n = len(self.x)
        total = 0 * self.R
        for k in range(n):
            for a in range(n):
                for b in range(n):
                    total += abs(self.vote(k, self.x[a], self.x[b], r))
        return total

    def prob(self, u, v, r, den_cache):
        xu, xv = self.x[u], self.x[v]
        if xu == xv:
            return 0 * self.R
        n = len(self.x)
        num = 0 * self.R
        for k in range(n):
            num += max(0, self.vote(k, xu, xv, r))
        if self.o.probability_mode == "all-pairs":
            if self.cache:
                if "d" not in den_cache:
                    den_cache["d"] = self.all_pairs_denominator(r)
                den = den_cache["d"]
            else:
                den = self.all_pairs_denominator(r)
            return num / den if den > 0 else 0 * den
        den = 0 * self.R
        for k in range(n):
            den += abs(self.vote(k, xu, xv, r))
        return num / den if den > 0 else 0 * den + 0.5

    # expected utility of u challenging v, from evaluator p's view (eqs. 15, 16, 22-25)
    def eu(self, p, u, v, r_eval, r_vote, den_cache, focal=None):
        o = self.o
        rp = r_eval[p] if o.perspective_r == "evaluator" else r_eval[u]
        d = abs(self.x[u] - self.x[v]) / self.R
        half = 0 * d + 0.5
        Us = 2 - 4 * max(0, half - half * d) ** rp
        Uf = 2 - 4 * max(0, half + half * d) ** rp
        Usq = 2 - 4 * half**rp
        if o.resist_salience == "target":
            sv = self.s[v]
        else:  # (25b) as printed: s of the actor other than the focal actor
            sv = self.s[v] if focal == u else self.s[u]
        P = self.prob(u, v, r_vote, den_cache)
        val = sv * (P * Us + (1 - P) * Uf) + (1 - sv) * Us - o.Q * Usq
        if o.Q < 1:
            dm = abs(self.x[u] - self.mu) / self.R
            Ub = 2 - 4 * max(0, half - (dm + d) / 4) ** rp
            Uw = 2 - 4 * max(0, half + (dm + d) / 4) ** rp
            if o.T == "closer-to-median":
                T = 1 if dm < d else 0
            else:
                T = int(o.T)
            val -= (1 - o.Q) * (T * Ub + (1 - T) * Uw)
        return val

    def round(self, x, c, s, R):
        o = self.o
        n = len(x)
        self.x, self.c, self.s, self.R = list(x), list(c), list(s), R
        self.w = [c[i] * s[i] for i in range(n)]
        self.mu = oracle_median(self.x, self.w)
        ones = [1] * n
        cache1: dict = {}
        sec = []
        for i in range(n):
            tot = 0 * R
            for j in range(n):
                if j == i:
                    continue
                if o.security == "adversary":
                    tot += self.eu(i, j, i, ones, None, cache1, focal=i)
                else:
                    tot += self.eu(i, i, j, ones, None, cache1, focal=i)
            sec.append(tot)
        hi, lo = max(sec), min(sec)
        r = []
        for i in range(n):
            if hi - lo > FLOAT_TIE * max(1, abs(hi), abs(lo)):  # the equal-security guard (a definition)
                Ri = (2 * sec[i] - hi - lo) / (hi - lo)
            else:
                Ri = 0 * hi
            r.append((1 - Ri / 3) / (1 + Ri / 3))
        r_vote = r if o.vote_risk == "voter-r" else None
        cache2: dict = {} if o.vote_risk == "voter-r" else cache1
        new_x, log = list(x), []
        for i in range(n):
            conf, comp, cap = [], [], []
            for j in range(n):
                if x[j] == x[i]:
                    continue
                a = self.eu(i, i, j, r, r_vote, cache2, focal=i)
                b = self.eu(i, j, i, r, r_vote, cache2, focal=i)
                if o.conflict_moves and b > a > 0:
                    conf.append((abs(x[j] - x[i]), x[j], j, x[j], a, b))
                elif b > 0 > a and b > -a:
                    offer = x[i] + (x[j] - x[i]) * abs(a / b)
                    if o.offer_rule == "weighted-position":
                        key = (abs(a) * x[i] + abs(b) * x[j]) / (abs(a) + abs(b))
                    else:
                        key = abs(offer - x[i])
                    comp.append((key, offer, j, offer, a, b))
                elif o.capitulation and b > 0 > a and -a >= b:
                    cap.append((abs(x[j] - x[i]), x[j], j, x[j], a, b))
            for kind, offers in (("confrontation", conf), ("compromise", comp), ("capitulation", cap)):
                if not offers:
                    continue
                # offers come in input order of the proposer j; among tied keys the
                # tie rule decides: the first in input order, or the lowest offer position
                best = offers[0]
                for cand in offers[1:]:
                    if _tie(cand[0], best[0]):
                        if (self.tie_break == "lowest-position" and cand[1] < best[1]
                                and not _tie(cand[1], best[1])):
                            best = cand
                    elif cand[0] < best[0]:
                        best = cand
                new_x[i] = best[3]
                log.append((i, best[2], kind, best[4], best[5], best[3]))
                break
        return new_x, log, r, self.mu


def oracle_run(x, c, s, opt: ExpectedUtilityOptions, rounds=None, cache_denominator=True, dps=None,
               binary=False):
    """Positions, medians and means after each round (range fixed at the start).

    ``dps``: run in multiple precision (mpmath with ``dps`` significant digits)
    instead of float64, and return ``mpf``.  Inputs are taken as the decimals they
    print as (``0.08`` is 8/100, not the nearest double), or with ``binary=True`` as
    the exact values of the doubles (for inputs a few ulps apart).
    """
    if dps is not None:
        import mpmath

        with mpmath.workdps(dps):
            conv = (lambda v: mpmath.mpf(float(v))) if binary else (lambda v: mpmath.mpf(repr(float(v))))
            mp = lambda vs: [conv(v) for v in vs]  # noqa: E731
            return oracle_run(mp(x), mp(c), mp(s), opt, rounds, cache_denominator)
    rounds = opt.rounds if rounds is None else rounds
    orc = Oracle(opt, cache_denominator)
    R = max(x) - min(x)
    R = R if R > 0 else 1 + 0 * R
    w = [ci * si for ci, si in zip(c, s)]
    xs, meds, means, logs = [list(x)], [oracle_median(list(x), w)], [oracle_mean(list(x), w)], []
    cur = list(x)
    for _ in range(rounds):
        cur, log, _, _ = orc.round(cur, c, s, R)
        xs.append(list(cur))
        meds.append(oracle_median(cur, w))
        means.append(oracle_mean(cur, w))
        logs.append(log)
    return xs, meds, means, logs


# ----------------------------------------------------------------- tests

OPTION_SPACE = dict(
    preset=st.sampled_from(["scholz2011", "paper"]),
    probability_mode=st.sampled_from(["paper", "all-pairs"]),
    vote_risk=st.sampled_from(["one", "voter-r"]),
    security=st.sampled_from(["adversary", "own-row"]),
    perspective_r=st.sampled_from(["evaluator", "own"]),
    resist_salience=st.sampled_from(["target", "printed-25b"]),
    offer_rule=st.sampled_from(["least-move", "weighted-position"]),
    capitulation=st.booleans(),
    Q=st.sampled_from([1.0, 0.5, 0.0, 0.73]),
    T=st.sampled_from(["closer-to-median", 0, 1]),
)


def _random_inputs(seed: int, n: int, grid: bool, batch: int = 1):
    rng = np.random.default_rng(seed)
    if grid:  # few distinct whole-number positions: ties in positions and offers
        x = rng.integers(0, 5, size=(batch, n)).astype(float) * 2.5
    else:
        x = rng.uniform(0, 100, size=(batch, n))
    c = rng.uniform(0.05, 1.0, size=(batch, n))
    s = rng.uniform(0.05, 1.0, size=(batch, n))
    return x, c, s


def _determined(tr, d, rounds):
    """Rounds 0..k of draw ``d`` before the first numerically undetermined round."""
    first = int(tr.undetermined_from[d])
    return rounds if first < 0 else first - 1


def _compare(x, c, s, opt, rounds=3):
    """The core equals the float64 oracle in every round it does not mark undetermined
    (there a float64 loop is no oracle: the knife-edge tests compare with mpmath)."""
    xs, meds, means, logs = oracle_run(list(x), list(c), list(s), opt, rounds=rounds)
    tr = run_rounds(np.array([x]), np.array([c]), np.array([s]), np.ones(len(x), bool), opt, log=True)
    scale = max(1.0, max(x) - min(x))
    rounds = _determined(tr, 0, rounds)
    assert np.allclose(tr.positions[: rounds + 1, 0, :], np.array(xs[: rounds + 1]), atol=1e-9 * scale, rtol=0)
    assert np.allclose(tr.median[: rounds + 1, 0], meds[: rounds + 1], atol=1e-9 * scale, rtol=0)
    assert np.allclose(tr.mean[: rounds + 1, 0], means[: rounds + 1], atol=1e-9 * scale, rtol=0)
    for t in range(rounds):
        got = [(i, j, k) for (i, j, k, *_rest) in tr.moves[t]]
        exp = [(i, j, KINDS[k]) for (i, j, k, *_rest) in logs[t]]
        assert got == exp, f"round {t + 1}"
        for (_, _, _, a, b, _, to), (_, _, _, ea, eb, eto) in zip(tr.moves[t], logs[t]):
            assert abs(a - ea) < 1e-9 and abs(b - eb) < 1e-9 and abs(to - eto) < 1e-9 * scale
    return xs


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 9),
    grid=st.booleans(),
    preset=OPTION_SPACE["preset"],
    extra=st.fixed_dictionaries({}, optional={k: v for k, v in OPTION_SPACE.items() if k != "preset"}),
)
def test_vectorised_round_matches_oracle(seed, n, grid, preset, extra):
    opt = ExpectedUtilityOptions(preset=preset, rounds=3, **extra)
    x, c, s = _random_inputs(seed, n, grid)
    _compare(x[0].tolist(), c[0].tolist(), s[0].tolist(), opt)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 6), grid=st.booleans(),
       preset=OPTION_SPACE["preset"], mode=OPTION_SPACE["probability_mode"])
def test_batched_core_matches_oracle_per_draw(seed, n, grid, preset, mode):
    """A batch of independent draws in one call equals the oracle draw by draw."""
    opt = ExpectedUtilityOptions(preset=preset, probability_mode=mode, rounds=3)
    B = 5
    x, c, s = _random_inputs(seed, n, grid, batch=B)
    tr = run_rounds(x, c, s, np.ones(n, bool), opt)
    for d in range(B):
        xs, meds, means, _ = oracle_run(x[d].tolist(), c[d].tolist(), s[d].tolist(), opt, rounds=3)
        scale = max(1.0, x[d].max() - x[d].min())
        k = _determined(tr, d, 3) + 1
        assert np.allclose(tr.positions[:k, d, :], np.array(xs[:k]), atol=1e-9 * scale, rtol=0)
        assert np.allclose(tr.median[:k, d], meds[:k], atol=1e-9 * scale, rtol=0)
        assert np.allclose(tr.mean[:k, d], means[:k], atol=1e-9 * scale, rtol=0)


def test_uncached_oracle_equals_cached_oracle():
    """The reference's per-probability denominator and the cached one give the same round."""
    opt = ExpectedUtilityOptions(rounds=2)
    x, c, s = _random_inputs(7, 6, True)
    a = oracle_run(x[0].tolist(), c[0].tolist(), s[0].tolist(), opt, cache_denominator=True)
    b = oracle_run(x[0].tolist(), c[0].tolist(), s[0].tolist(), opt, cache_denominator=False)
    assert a[0] == b[0]


def test_oracle_reproduces_emission_round_one():
    """The oracle itself meets the golden data (so it is a trustworthy oracle)."""
    x = [4, 7, 4, 4, 10, 10, 10, 7, 4, 7]
    c = [0.08, 0.08, 0.03, 0.16, 0.16, 0.16, 0.16, 0.05, 0.05, 0.08]
    s = [0.8, 0.4, 0.2, 0.8, 0.6, 0.6, 0.9, 0.1, 1.0, 0.7]
    xs, meds, _, logs = oracle_run(x, c, s, ExpectedUtilityOptions(), rounds=1)
    assert math.isclose(meds[1], 8.415932315426764, abs_tol=1e-12)
    assert [(i, j, k) for i, j, k, *_ in logs[0]] == [
        (1, 4, "compromise"), (2, 1, "confrontation"), (7, 2, "confrontation")
    ]


def test_eu_round_single_equals_batched_rows():
    x, c, s = _random_inputs(11, 9, False, batch=4)
    opt = ExpectedUtilityOptions()
    R = x.max(axis=1) - x.min(axis=1)
    whole = eu_round(x, c, s, R, opt)
    for d in range(4):
        one = eu_round(x[d : d + 1], c[d : d + 1], s[d : d + 1], R[d : d + 1], opt)
        assert np.array_equal(one.target[0], whole.target[d])
        assert np.allclose(one.x[0], whole.x[d], rtol=0, atol=1e-12)


@pytest.mark.parametrize("n", [2, 3])
def test_oracle_small_n_all_presets(n):
    for preset in ("scholz2011", "paper"):
        x, c, s = _random_inputs(3 + n, n, True)
        _compare(x[0].tolist(), c[0].tolist(), s[0].tolist(), ExpectedUtilityOptions(preset=preset, rounds=3))
