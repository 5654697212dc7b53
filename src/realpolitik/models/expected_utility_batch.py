"""Compiled pieces of the expected-utility round for large batches of draws (numba).

:func:`realpolitik.models.expected_utility.eu_round` is vectorised NumPy over draws.  Some
of its steps are gathers, counts and sequential sums over tiny ``n``-long axes, or a chain
of elementwise operations over ``[draw, n, n]`` temporaries, where NumPy spends its time in
per-call set-up, index arrays and trips through memory rather than arithmetic: the midpoint
counts (:func:`~realpolitik.models.expected_utility.closer_counts`), the prefix-sum
numerators (:func:`~realpolitik.models.expected_utility._numerator_sorted`), the security
levels (a sum in input order) and the expected utilities with their error bounds after the
success terms.  These kernels do the same steps in one pass per draw.

Every kernel is exact with respect to the NumPy path: counts are exact; the prefix sums are
NumPy's ``cumsum`` (sequential); the security sum is NumPy's pairwise sum of a contiguous
row (:func:`realpolitik.models.exchange_batch._np_sum`); subtractions, products, ``where``
and ``maximum`` are single IEEE operations in NumPy's order (no fast-math: no FMA
contraction).  So the batch core gives the single run's numbers bit for bit whichever path
a batch takes (tests/test_expected_utility_batch.py).  The transcendental steps (``d^r``,
``expm1``, ``log1p``), the row sorts (NumPy's SIMD sort is faster) and BLAS products stay
in NumPy, whose transcendental and BLAS results the kernels could not reproduce bit for bit.

Imported only for rounds of :data:`realpolitik.models.expected_utility.KERNEL_ELEMENTS`
draws x actors^2 or more (numba's import and cached kernels cost a few tenths of a second; a
single run of an ordinary scenario never pays it).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from realpolitik.models.exchange_batch import _np_sum


@njit(cache=True, error_model="numpy")
def closer_counts(x):
    """``m[b, u, v] = #{k : x[b, k] <= (x[b, u] + x[b, v]) / 2}`` (``x`` ``[B, n]``, no NaN).

    Positions in ascending order (as inside the round): the midpoints of ``u`` and
    ``v = u, u+1, ...`` ascend, so one pointer walks the voters once per ``u`` (O(n^2)
    per draw).  Otherwise a binary search in the sorted positions per pair.
    """
    B, n = x.shape
    out = np.empty((B, n, n), np.intp)
    for b in range(B):
        xb = x[b]
        ascending = True
        for k in range(1, n):
            if xb[k] < xb[k - 1]:
                ascending = False
                break
        if ascending:
            for u in range(n):
                k = 0
                for v in range(u, n):
                    h = 0.5 * (xb[u] + xb[v])
                    while k < n and xb[k] <= h:
                        k += 1
                    out[b, u, v] = k
                    out[b, v, u] = k
        else:
            xs = np.sort(xb)
            for u in range(n):
                for v in range(u, n):
                    k = np.searchsorted(xs, 0.5 * (xb[u] + xb[v]), side="right")
                    out[b, u, v] = k
                    out[b, v, u] = k
    return out


@njit(cache=True, error_model="numpy")
def numerator_sorted(G, m, err_scale):
    """:func:`~realpolitik.models.expected_utility._numerator_sorted` with ``presorted=True``,
    the column totals ``S = G.sum(axis=1)`` (the prefix sums' last row: NumPy sums that axis
    in order too) and the numerators' rounding bounds ``err_scale (S_u + S_v)``.

    ``G[b, k, a]``: voters ``k`` in ascending order of position; ``m``: the midpoint counts.
    Returns ``(N, eN, S)``.
    """
    B, n, _ = G.shape
    N = np.empty((B, n, n))
    eN = np.empty((B, n, n))
    S = np.empty((B, n))
    C = np.empty((n + 1, n))
    for b in range(B):
        for a in range(n):
            C[0, a] = 0.0
            C[1, a] = G[b, 0, a]
        for j in range(1, n):
            for a in range(n):
                C[j + 1, a] = C[j, a] + G[b, j, a]
        for a in range(n):
            S[b, a] = C[n, a]
        for u in range(n):
            for v in range(n):
                left = C[m[b, u, v], v] - C[m[b, v, u], u]
                if u < v:
                    val = left
                else:
                    val = (C[n, v] - C[n, u]) - left
                N[b, u, v] = val if (val >= 0.0 or val != val) else 0.0
                eN[b, u, v] = err_scale * (C[n, u] + C[n, v])
    return N, eN, S


@njit(cache=True, error_model="numpy")
def all_pairs_probability(N, eN, Dsafe, eD):
    """``P = N / D`` and its bound ``(eN + P eD) / D`` (all-pairs denominator ``D`` per draw)."""
    B, n, _ = N.shape
    P = np.empty((B, n, n))
    err = np.empty((B, n, n))
    for b in range(B):
        d = Dsafe[b]
        ed = eD[b]
        for u in range(n):
            for v in range(n):
                p = N[b, u, v] / d
                P[b, u, v] = p
                err[b, u, v] = (eN[b, u, v] + p * ed) / d
    return P, err


@njit(cache=True, error_model="numpy")
def input_order_sums(src, inv):
    """``np.take_along_axis(src, inv[:, None, :], axis=2).sum(axis=-1)`` (NumPy's pairwise sum)."""
    B, n, _ = src.shape
    out = np.empty((B, n))
    row = np.empty(n)
    for b in range(B):
        for i in range(n):
            for j in range(n):
                row[j] = src[b, i, inv[b, j]]
            out[b, i] = _np_sum(row, n)
    return out


@njit(cache=True, error_model="numpy")
def expected_utility_terms(P, eP, g, dU, s, fac, transpose, own_salience):
    """One of ``a``/``b`` of :func:`~realpolitik.models.expected_utility.expected_utilities`
    with its error bound, for ``Q = 1`` (``g``, ``dU``: the success terms from NumPy).

    ``E = g - (1 - P) s dU`` and ``err = ((1 - P) s dU + g) fac + eP dU s``, elementwise in
    NumPy's order; ``transpose``: ``P``/``eP`` read as ``[b, j, i]`` (``b`` of eq. 25b);
    ``own_salience``: the resist weight is ``s_i`` (the row), else ``s_j``; ``fac`` ``[B, n, n]``
    (a broadcast view is fine).
    """
    B, n, _ = g.shape
    out = np.empty((B, n, n))
    size = np.empty((B, n, n))
    for b in range(B):
        for i in range(n):
            for j in range(n):
                if transpose:
                    Pm = P[b, j, i]
                    ePm = eP[b, j, i]
                else:
                    Pm = P[b, i, j]
                    ePm = eP[b, i, j]
                sres = s[b, i] if own_salience else s[b, j]
                lose = 1.0 - Pm
                lose *= sres
                lose *= dU[b, i, j]
                out[b, i, j] = g[b, i, j] - lose
                sz = lose + g[b, i, j]
                sz *= fac[b, i, j]
                e = ePm * dU[b, i, j]
                e *= sres
                size[b, i, j] = sz + e
    return out, size
