"""The expected-utility round, and the rounds of a chunk of draws, in one compiled call.

:func:`realpolitik.models.expected_utility._eu_round_compiled` runs the round (``Q = 1``) as
a dozen compiled kernels (:mod:`realpolitik.models.expected_utility_batch`) with NumPy's
transcendental functions and a BLAS product between them: Python and NumPy's per-call costs
were about a sixth of the round.  Here the same kernels run in one compiled function
(:func:`eu_round`), which calls NumPy's own inner loops and OpenBLAS's ``dgemv`` through
:mod:`realpolitik.models._numpy_loops` with the pointers, counts and strides NumPy passes for
each expression it replaces, so every number is the staged path's bit for bit
(tests/test_expected_utility_fused.py).  Used only where :data:`_numpy_loops.AVAILABLE`.

:func:`run_segment` runs the rounds of :func:`~realpolitik.models.expected_utility.run_rounds`
between two scenario events (the default scenario's are all at round 1) in one call for the
common case (``Q = 1``, no per-round log, no perceptions): the range modes, draws that met the
stopping rule, the first undetermined round, positions, median and mean; events stay in
Python between segments.  It works through the chunk in blocks of draws (a draw's rounds do
not depend on the others'), each block through all the segment's rounds.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
from numba import njit
from numba.core import caching

from realpolitik.models import _numpy_loops as nl
from realpolitik.models import exchange_batch, expected_utility
from realpolitik.models import expected_utility_batch as kb
from realpolitik.models.exchange_batch import _np_sum
from realpolitik.models.expected_utility import EPS, KAPPA, SNAP

AVAILABLE = nl.AVAILABLE
ADDRESSES = nl.ADDRESSES

#: the sources compiled into this module's functions (numba's cache checks only the file a
#: function is defined in: a kernel changed in expected_utility_batch.py would be served stale)
_SOURCES = tuple(os.path.abspath(m.__file__) for m in (kb, exchange_batch, expected_utility, nl))
_HERE = os.path.abspath(__file__)


def _stamp() -> bytes:
    h = hashlib.sha256()
    for path in (_HERE, *_SOURCES):
        with open(path, "rb") as f:
            h.update(f.read())
    return h.digest()


def _locator(base):
    class Locator(base):
        """numba's cache locator for this file, stamped with the sources it compiles in."""

        @classmethod
        def from_function(cls, py_func, py_file):
            if os.path.abspath(py_file) != _HERE:
                return None
            return super().from_function(py_func, py_file)

        def get_source_stamp(self):
            return _stamp()

    return Locator


for _base in (caching.InTreeCacheLocator, caching.UserProvidedCacheLocator):  # user-provided first
    caching.CacheImpl._locator_classes.insert(0, _locator(_base))


@njit(cache=True, error_model="numpy", nogil=True)
def _stable(addrs, x, dist, w, r_vote, voter, pb, pu, pv, N, eN, n):
    """The close pairs' numerators as ``_stable_numerators``' compiled branch computes them
    (``du**rk * expm1(rk * log1p(t / where(du > 0, du, 1)))`` where ``du > 0``, else
    ``dv**rk``; NumPy's loops over the ``[pairs, n]`` arrays), written into ``N``, ``eN``."""
    t, du, dv = kb.close_terms(x, dist, pb, pu, pv)
    P = pb.size
    if voter:
        K = P * n
        rk = np.empty((P, n))
        for q in range(P):
            for k in range(n):
                rk[q, k] = r_vote[pb[q], k]
        a1 = np.empty((P, n))
        nl.binary(addrs, nl.POWER, du, rk, a1, K, 8, 8, 8)
        a3 = np.empty((P, n))
        for q in range(P):
            for k in range(n):
                d = du[q, k]
                a3[q, k] = t[q, k] / (d if d > 0 else 1.0)
        a4 = np.empty((P, n))
        nl.unary(addrs, nl.LOG1P, a3, a4, K, 8, 8)
        for q in range(P):
            for k in range(n):
                a3[q, k] = rk[q, k] * a4[q, k]
        nl.unary(addrs, nl.EXPM1, a3, a4, K, 8, 8)
        a7 = np.empty((P, n))
        nl.binary(addrs, nl.POWER, dv, rk, a7, K, 8, 8, 8)
        for q in range(P):
            for k in range(n):
                t[q, k] = a1[q, k] * a4[q, k] if du[q, k] > 0 else a7[q, k]
    Ns = kb.close_sums(t, w, pb)
    ke = KAPPA * (n + 2) * EPS
    for q in range(P):
        N[pb[q], pu[q], pv[q]] = Ns[q]
        eN[pb[q], pu[q], pv[q]] = ke * Ns[q]


@njit(cache=True, error_model="numpy", nogil=True)
def _denominators(addrs, Gs, B, n):
    """``D = 2 (Gs @ coef).sum(-1)`` and ``eD = (2 (n + 2) EPS) 2 (Gs @ |coef|).sum(-1)`` with
    NumPy's ``dgemv`` per matrix and its pairwise row sums."""
    coef = np.empty(n)
    acoef = np.empty(n)
    for k in range(n):
        coef[k] = 2.0 * k - n + 1.0
        acoef[k] = abs(coef[k])
    g = np.empty((B, n))
    ga = np.empty((B, n))
    nl.matvec(addrs, Gs, coef, g)
    nl.matvec(addrs, Gs, acoef, ga)
    D = np.empty(B)
    eD = np.empty(B)
    ke = 2.0 * (n + 2) * EPS * 2.0
    for b in range(B):
        D[b] = 2.0 * _np_sum(g[b], n)
        eD[b] = ke * _np_sum(ga[b], n)
    return D, eD


@njit(cache=True, error_model="numpy", nogil=True)
def _numerators(addrs, x, dist, d, w, counts, r_vote, voter, paper, pb, pu, pv, perm, B, n):
    """``numerators`` of ``_eu_round_compiled``: ``(N, eN, D, eD, perm)``."""
    N, eN, Gs, perm = kb.votes(d, w, counts, 2.0 * (n + 2) * EPS, not paper, perm)
    if pb.size:
        _stable(addrs, x, dist, w, r_vote, voter, pb, pu, pv, N, eN, n)
    if paper:
        return N, eN, np.empty(0), np.empty(0), perm
    D, eD = _denominators(addrs, Gs, B, n)
    return N, eN, D, eD, perm


@njit(cache=True, error_model="numpy", nogil=True)
def _expm1_terms(addrs, arg, dp, pos, r, col, K):
    t1, t2 = kb.log_expand(arg, dp, pos, r, col)
    nl.unary(addrs, nl.EXPM1, t1, t1, K, 8, 8)
    nl.unary(addrs, nl.EXPM1, t2, t2, K, 8, 8)
    return t1, t2


@njit(cache=True, error_model="numpy", nogil=True)
def eu_round(x0, c0, s0, R, R_lo, paper, voter_r, own_salience, adversary, own_perspective, capitulation, conflict,
             weighted, lowest, addrs):
    """:func:`~realpolitik.models.expected_utility._eu_round_compiled` in one call: returns
    ``(X, TG, KD, SA, SB, r, UD, SH)`` (input order; ``r`` the risk exponents)."""
    B, n = x0.shape
    x, s, w, order, inv, dist, comp, counts, pb, pu, pv = kb.prepare(x0, c0, s0, R, R_lo)
    perm = np.empty((0, 0, 0), np.intp)
    N1, eN1, D1, eD1, perm = _numerators(addrs, x, dist, dist, w, counts, s, False, paper, pb, pu, pv, perm, B, n)
    r, er, rr, base, ex = kb.security(N1, eN1, D1, eD1, paper, dist, s, own_salience, adversary, inv, n * EPS,
                                      KAPPA * EPS, EPS, voter_r)
    escale = None
    if voter_r:  # dist ** r[:, :, None] off the diagonal, in place as np.power(base, ex, out=base)
        if base.size:
            nl.binary(addrs, nl.POWER, base, ex, base, base.size, 8, 8, 8)
        d2 = kb.unpack_pow(base, r, B, n)
        N2, eN2, D2, eD2, perm = _numerators(addrs, x, dist, d2, w, counts, r, True, paper, pb, pu, pv, perm, B, n)
        esc = np.empty(B)
        for b in range(B):
            esc[b] = 50.0 * kb._nanmax(er[b], n)
        escale = esc
    else:
        N2, eN2, D2, eD2 = N1, eN1, D1, eD1
    arg, ka, dp, pos = kb.log_args(dist, comp)
    K = arg.size
    if ka:
        nl.unary(addrs, nl.LOG1P, arg, arg, ka, 8, 8)
    if K - ka:
        tail = arg[ka:]
        nl.unary(addrs, nl.LOG, tail, tail, K - ka, 8, 8)
    if dp.size:
        nl.unary(addrs, nl.LOG1P, dp, dp, dp.size, 8, 8)
    # h = 4 (1/2)^r (np.power with a broadcast scalar base: stride 0) and the bounds' factor
    half = np.full(1, 0.5)
    h = np.empty((B, n))
    nl.binary(addrs, nl.POWER, half, r, h, B * n, 0, 8, 8)
    fac = np.empty((B, n))
    ke = KAPPA * EPS
    for b in range(B):
        for i in range(n):
            h[b, i] = 4.0 * h[b, i]
            fac[b, i] = ke + 4.0 * er[b, i]
    M = B * n * n
    emA, epA = _expm1_terms(addrs, arg, dp, pos, r, False, M)
    if own_perspective:
        emB, epB = _expm1_terms(addrs, arg, dp, pos, r, True, M)
    else:
        emB, epB = emA, epA
    X, TG, KD, SA, SB, UD, SH = kb.decide(x, dist, N2, eN2, D2, eD2, paper, escale, emA, epA, h, emB, epB, h, s, fac,
                                          fac, own_perspective, own_salience, R, order, capitulation, conflict,
                                          weighted, lowest, SNAP, EPS)
    return X, TG, KD, SA, SB, rr, UD, SH


@njit(cache=True, error_model="numpy", nogil=True)
def _span(xb, b, n):
    """``_exact_gap(max, min)`` of row ``b`` of ``xb`` (NaN-propagating max and min)."""
    hi = kb._extreme(xb[b], n, True)
    lo = kb._extreme(xb[b], n, False)
    d = hi - lo
    bv = d - hi
    e = (hi - (d - bv)) + (-lo - bv)
    return abs(d), (-1.0 if d < 0 else 1.0) * e


@njit(cache=True, error_model="numpy", nogil=True)
def run_segment(x, c, s, idx, t0, t1, T, range_mode, R, R_lo, positions, med, mean, stopped, calm, first, has_tol,
                tol, k, seq, paper, voter_r, own_salience, adversary, own_perspective, capitulation, conflict, weighted,
                lowest, addrs, block):
    """Rounds ``t0 .. t1 - 1`` of :func:`~realpolitik.models.expected_utility.run_rounds` for the
    actors ``idx`` (no event inside: the caller applies them between segments), ``block`` draws
    at a time (a draw's rounds do not depend on the others'; the round's temporaries stay in
    cache): the range (``range_mode`` 0: kept, 1: per round, 2: fixed unless wider), the round
    (:func:`eu_round`), draws that met the stopping rule kept as they are, the first
    undetermined round (and the round after an unrepresentable state), positions, the median
    and mean (``median_mean`` with ``seq``), the stopping rule.  Updates ``x``, ``R``,
    ``R_lo``, ``positions``, ``med``, ``mean``, ``stopped``, ``calm`` and ``first`` in place, as
    the Python loop does; a block whose draws have all stopped repeats its last round to ``T``."""
    B, N = x.shape
    n = idx.size
    for b0 in range(0, B, block):
        b1 = min(B, b0 + block)
        Bb = b1 - b0
        xb = np.empty((Bb, n))
        cb = np.empty((Bb, n))
        sb = np.empty((Bb, n))
        wb = np.empty((Bb, n))
        Rs = np.empty(Bb)
        Rl = np.empty(Bb)
        for b in range(Bb):
            for i in range(n):
                xb[b, i] = x[b0 + b, idx[i]]
                cb[b, i] = c[b0 + b, idx[i]]
                sb[b, i] = s[b0 + b, idx[i]]
                wb[b, i] = cb[b, i] * sb[b, i]
        for t in range(t0, t1):
            for b in range(Bb):
                g = b0 + b
                if range_mode != 0:
                    cur, cur_lo = _span(xb, b, n)
                    if range_mode == 1 or (cur > R[g]) or ((cur == R[g]) and (cur_lo > R_lo[g])):
                        R[g] = cur
                        R_lo[g] = cur_lo
                pos = R[g] > 0
                Rs[b] = R[g] if pos else 1.0
                Rl[b] = R_lo[g] if pos else 0.0
            X, TG, KD, SA, SB, rr, UD, SH = eu_round(xb, cb, sb, Rs, Rl, paper, voter_r, own_salience, adversary,
                                                     own_perspective, capitulation, conflict, weighted, lowest, addrs)
            for b in range(Bb):
                g = b0 + b
                if stopped[g] >= 0:  # frozen: keeps its positions, no marks
                    continue
                und = False
                for i in range(n):
                    xb[b, i] = X[b, i]
                    und = und or UD[b, i]
                if first[g] < 0 and und:
                    first[g] = t
                if t < T and first[g] < 0 and SH[b]:
                    first[g] = t + 1
            for b in range(Bb):
                for i in range(n):
                    positions[t, b0 + b, idx[i]] = xb[b, i]
            mdb, mnb = kb.median_mean(xb, wb, seq)
            for b in range(Bb):
                g = b0 + b
                if stopped[g] >= 0:
                    for j in range(N):
                        positions[t, g, j] = positions[t - 1, g, j]
                    med[t, g] = med[t - 1, g]
                    mean[t, g] = mean[t - 1, g]
                else:
                    med[t, g] = mdb[b]
                    mean[t, g] = mnb[b]
            if has_tol:
                alls = True
                for b in range(Bb):
                    g = b0 + b
                    calm[g] = calm[g] + 1 if abs(med[t, g] - med[t - 1, g]) < tol else 0
                    if stopped[g] < 0 and calm[g] >= k:
                        stopped[g] = t
                    alls = alls and stopped[g] >= 0
                if alls:  # later rounds repeat this one for these draws
                    for u in range(t + 1, T + 1):
                        for b in range(Bb):
                            g = b0 + b
                            for j in range(N):
                                positions[u, g, j] = positions[t, g, j]
                            med[u, g] = med[t, g]
                            mean[u, g] = mean[t, g]
                    break
        for b in range(Bb):
            for i in range(n):
                x[b0 + b, idx[i]] = xb[b, i]
