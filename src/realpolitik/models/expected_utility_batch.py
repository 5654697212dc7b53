"""Compiled pieces of the expected-utility round for large batches of draws (numba).

:func:`realpolitik.models.expected_utility.eu_round` is vectorised NumPy over draws; on
``[draw, n, n]`` arrays of a few actors NumPy spends its time in per-call set-up, index
arrays and trips through memory rather than arithmetic.  For ``Q = 1`` (both presets) the
round runs compiled (:func:`realpolitik.models.expected_utility._eu_round_compiled`):
:func:`prepare` (the actors sorted by position, distances and their complements, midpoint
counts and the close pairs, in one pass per draw), :func:`votes` (prefix-sum numerators
with their bounds, and the rows sorted for the all-pairs denominator, the second pass
reading the first pass's row order), :func:`close_terms` / :func:`close_sums` (the close
pairs' stable numerators around NumPy's transcendental functions), :func:`security` (pass
1 to the risk exponents, and :func:`pow_args`), :func:`log_args` / :func:`log_expand` (the
arguments of the transcendental functions, packed) and :func:`decide` (the expected
utilities with their bounds, the regions of Fig. 6 with their error boxes, the choice of
offers with the exact tie rules and the numerically undetermined flags, the snap of
near-equal positions), and each round's median and mean
(:func:`median_mean`).  NumPy keeps what a kernel could not reproduce bit for bit: the
transcendental functions (``d^r``, ``log1p``, ``log``, ``expm1``, ``0.5^r``: NumPy's SIMD
implementations and numba's libm differ in the last bit), fed with contiguous arrays
packed by the kernels (every value the same function of the same argument), and the BLAS
products of the all-pairs denominators.  The other steps (``Q < 1``, ``full``) keep the
NumPy round with the older per-step kernels (:func:`numerator_sorted`,
:func:`all_pairs_probability`, :func:`input_order_sums`, :func:`expected_utility_terms`).

Every kernel is exact with respect to the NumPy path: counts are exact; the prefix sums are
NumPy's ``cumsum`` (sequential); sums over a contiguous row are NumPy's pairwise sum
(:func:`realpolitik.models.exchange_batch._np_sum`), over an F-ordered batch one term after
another (:func:`_row_sum`), the median's costs in ``einsum``'s order; sorted rows are the
same values whatever the algorithm; subtractions, products, divisions, ``where``, ``min``
and ``max`` are single IEEE operations in NumPy's order (no fast-math: no FMA
contraction).  So the batch core gives the single run's numbers bit for bit whichever path
a batch takes (tests/test_expected_utility_batch.py: every option family, batches with
exact ties and ulp-close actors, over rounds).

Imported only for rounds of :data:`realpolitik.models.expected_utility.KERNEL_ELEMENTS`
draws x actors^2 or more (numba's import and cached kernels cost a few tenths of a second; a
single run of an ordinary scenario never pays it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

import numpy as np
from numba import njit

from realpolitik.models.exchange_batch import _np_sum
from realpolitik.models.expected_utility import CLOSE_PAIR

#: glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: freed memory glibc keeps at the top of the heap, and the size from which it maps blocks apart
TRIM_BYTES, MMAP_BYTES = 64 * 2**20, 4 * 2**20


def keep_heap() -> bool:
    """Fix glibc's trim and mmap thresholds (64 MB, 4 MB) so a batch's round temporaries
    (some twenty arrays of ~200 kB a round) are reused from the heap instead of going back to
    the kernel and returning as fresh pages.  With glibc's dynamic thresholds a run's heap
    sometimes did and sometimes did not trim every round (300,000 default draws: 5.6 million
    page faults, 10 s of 92 s in the kernel; with the thresholds fixed none).  Process-wide:
    it runs where this module is imported (large batches, the workbench's workers), never in
    a single run.  Other C libraries (musl, macOS) keep their allocator as it is.  Returns
    whether the thresholds were set."""
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_TRIM_THRESHOLD, TRIM_BYTES)) and bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES))
    except (OSError, AttributeError):
        return False


keep_heap()


@njit(cache=True, error_model="numpy", nogil=True)
def closer_counts(x):
    """``m[b, u, v] = #{k : x[b, k] <= (x[b, u] + x[b, v]) / 2}`` (``x`` ``[B, n]``, no NaN).

    Positions in ascending order (as inside the round): the midpoints of ``u`` and
    ``v = u, u+1, ...`` ascend, so one pointer walks the voters once per ``u`` (O(n^2)
    per draw).  Otherwise a binary search in the sorted positions per pair.
    """
    B, n = x.shape
    out = np.empty((B, n, n), np.intp)
    for b in range(B):
        _counts_row(x[b], n, out[b])
    return out


@njit(cache=True, error_model="numpy", nogil=True)
def _counts_row(xb, n, out):
    """One draw's :func:`closer_counts` into ``out`` ``[n, n]``."""
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
                out[u, v] = k
                out[v, u] = k
    else:
        xs = np.sort(xb)
        for u in range(n):
            for v in range(u, n):
                k = np.searchsorted(xs, 0.5 * (xb[u] + xb[v]), side="right")
                out[u, v] = k
                out[v, u] = k


@njit(cache=True, error_model="numpy", nogil=True)
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
        _from_prefix(C, m, b, n, err_scale, N, eN)
    return N, eN, S


@njit(cache=True, error_model="numpy", nogil=True)
def _from_prefix(C, m, b, n, err_scale, N, eN):
    """Draw ``b``'s numerators and their bounds from the prefix sums ``C`` (see
    :func:`numerator_sorted`)."""
    for u in range(n):
        for v in range(n):
            left = C[m[b, u, v], v] - C[m[b, v, u], u]
            if u < v:
                val = left
            else:
                val = (C[n, v] - C[n, u]) - left
            N[b, u, v] = val if (val >= 0.0 or val != val) else 0.0
            eN[b, u, v] = err_scale * (C[n, u] + C[n, v])


@njit(cache=True, error_model="numpy", nogil=True)
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


@njit(cache=True, error_model="numpy", nogil=True)
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


@njit(cache=True, error_model="numpy", inline="always", nogil=True)
def _eu_term(g, dU, Pm, ePm, sres, fac):
    """One expected utility ``g - (1 - P) s dU`` and its bound ``((1 - P) s dU + g) fac + eP dU s``
    (:func:`~realpolitik.models.expected_utility.expected_utilities` for ``Q = 1``), in NumPy's
    order of operations."""
    lose = 1.0 - Pm
    lose *= sres
    lose *= dU
    sz = lose + g
    sz *= fac
    e = ePm * dU
    e *= sres
    return g - lose, sz + e


@njit(cache=True, error_model="numpy", nogil=True)
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
                out[b, i, j], size[b, i, j] = _eu_term(g[b, i, j], dU[b, i, j], Pm, ePm, sres, fac[b, i, j])
    return out, size


@njit(cache=True, error_model="numpy", nogil=True)
def _geometry_row(xb, Rb, Rl, n, dist, comp):
    """One draw's ``dist = |x_u - x_v| / R`` and ``comp``
    (:func:`~realpolitik.models.expected_utility._distance_complement`) of sorted positions
    ``xb`` into ``dist``, ``comp`` ``[n, n]``, with the same IEEE operations as the NumPy steps
    (the gap of ``u, v`` by Knuth's TwoSum of ``x_v - x_u``); returns how many pairs are
    closer than ``CLOSE_PAIR`` R (and not at distance 0).  ``|x_u - x_v|`` is ``|x_v - x_u|``
    bit for bit (IEEE rounding is symmetric), so each distance is divided once and mirrored,
    and ``1 - d`` with it; the far pairs' complements take their own TwoSum."""
    close = 0
    for u in range(n):
        xi = xb[u]
        dist[u, u] = abs(xi - xi) / Rb
        for v in range(u + 1, n):
            d = abs(xi - xb[v]) / Rb
            dist[u, v] = d
            dist[v, u] = d
            if d > 0.0 and d <= CLOSE_PAIR:
                close += 2
    for u in range(n):
        xi = xb[u]
        for v in range(n):
            d = dist[u, v]
            if d >= 0.5:
                xj = xb[v]
                g = xj - xi
                bv = g - xj
                lo = (xj - (g - bv)) + (-xi - bv)
                if g < 0:
                    lo = -1.0 * lo
                else:
                    lo = 1.0 * lo
                comp[u, v] = ((Rb - abs(g)) + (Rl - lo)) / Rb
            else:
                comp[u, v] = 1.0 - d
    return close


#: draws a compiled pass takes at once, as the innermost axis of its scratch (``[.., lanes]``)
#: where the arithmetic is the same for every draw: the compiler vectorises across draws
#: (32 amortises the loops' set-up over the 8 lanes of a vector; 8 or 64 were slower)
LANES = 32
#: the most actors for which :func:`prepare` works across draws (its full midpoint counts cost
#: n^3 a draw: at 32 actors and more the pointer walk of :func:`_counts_row` is faster)
LANES_ACTORS = 30


@njit(cache=True, error_model="numpy", nogil=True)
def prepare(x0, c0, s0, R, R_lo):
    """The round's set-up in one pass per draw: the actors in ascending order of position
    (``order``: ``np.argsort(x0, kind="stable")``, an insertion sort with NumPy's order, NaN
    last; ``inv`` its inverse), the sorted positions and saliences and the vote weights
    ``w = c s``, the distances with their complements (:func:`_geometry_row`),
    :func:`closer_counts` and the pairs closer than
    ``CLOSE_PAIR`` R as ``np.nonzero((dist > 0) & (dist <= CLOSE_PAIR))`` lists them.
    Returns ``(x, s, w, order, inv, dist, comp, counts, pb, pu, pv)``.

    :data:`LANES` draws at a time, draws innermost: a draw with finite positions counts each
    actor's place (the actors before it at a position ``<=`` its own, after it ``<``: the
    stable order, unique) and takes the geometry and the counts of :func:`_geometry_lanes`; a
    draw with a NaN or infinite position, every draw of a block of fewer than ``LANES / 2``
    draws and of more than :data:`LANES_ACTORS` actors keeps the insertion sort,
    :func:`_geometry_row` and :func:`_counts_row` (NaN sorts last, and the pointer walk's
    answer is the plain count only for finite sorted positions)."""
    B, n = x0.shape
    order = np.empty((B, n), np.intp)
    inv = np.empty((B, n), np.intp)
    x = np.empty((B, n))
    s = np.empty((B, n))
    w = np.empty((B, n))
    dist = np.empty((B, n, n))
    comp = np.empty((B, n, n))
    counts = np.empty((B, n, n), np.intp)
    nclose = np.zeros(B, np.intp)
    # scratch, draws innermost: positions in input order and sorted, R, R_lo, a pair's distance,
    # midpoint and complements; the actors' places, a pair's count, the close pairs, whether a
    # draw's positions are all finite (made once per call: small blocks pay for each array)
    fl = np.empty((2 * n + 6, LANES))
    il = np.empty((n + 3, LANES), np.intp)
    x0l, xl = fl[:n], fl[n:2 * n]
    RR, RL, D, H, C1, C2 = fl[2 * n], fl[2 * n + 1], fl[2 * n + 2], fl[2 * n + 3], fl[2 * n + 4], fl[2 * n + 5]
    rank, K, CL, finite = il[:n], il[n], il[n + 1], il[n + 2]
    for b0 in range(0, B, LANES):
        L = min(LANES, B - b0)
        # (fewer draws: the vectorised loops would run their scalar tails; more actors: the full
        # counts, n^3 a draw, cost more than the pointer walk)
        lanes = 2 * L >= LANES and n <= LANES_ACTORS
        for l in range(L):
            b = b0 + l
            ok = lanes
            for k in range(n):
                v = x0[b, k]
                x0l[k, l] = v
                ok &= abs(v) < np.inf
            finite[l] = ok
        if lanes:  # finite positions: each actor's place in the stable order (ties by input order)
            for k in range(n):
                for l in range(L):
                    rank[k, l] = 0
                for i in range(k):
                    for l in range(L):
                        rank[k, l] += 1 if x0l[i, l] <= x0l[k, l] else 0
                for i in range(k + 1, n):
                    for l in range(L):
                        rank[k, l] += 1 if x0l[i, l] < x0l[k, l] else 0
        for l in range(L):
            b = b0 + l
            o = order[b]
            if finite[l]:
                for k in range(n):
                    o[rank[k, l]] = k
            else:  # NaN last, as NumPy's sort: an insertion sort
                for k in range(n):
                    v = x0[b, k]
                    q = k - 1
                    while q >= 0:
                        a = x0[b, o[q]]
                        if not (v < a or (a != a and v == v)):
                            break
                        o[q + 1] = o[q]
                        q -= 1
                    o[q + 1] = k
            for k in range(n):
                i = o[k]
                inv[b, i] = k
                x[b, k] = x0[b, i]
                s[b, k] = s0[b, i]
                w[b, k] = c0[b, i] * s0[b, i]
        if lanes:
            _geometry_lanes(x, R, R_lo, b0, L, n, xl, RR, RL, D, H, C1, C2, K, CL, dist, comp, counts, nclose)
        for l in range(L):
            b = b0 + l
            if not finite[l]:
                nclose[b] = _geometry_row(x[b], R[b], R_lo[b], n, dist[b], comp[b])
                _counts_row(x[b], n, counts[b])
    close = 0
    for b in range(B):
        close += nclose[b]
    pb = np.empty(close, np.intp)
    pu = np.empty(close, np.intp)
    pv = np.empty(close, np.intp)
    if close:
        q = 0
        for b in range(B):
            if nclose[b] == 0:
                continue
            for u in range(n):
                for v in range(n):
                    d = dist[b, u, v]
                    if d > 0.0 and d <= CLOSE_PAIR:
                        pb[q] = b
                        pu[q] = u
                        pv[q] = v
                        q += 1
    return x, s, w, order, inv, dist, comp, counts, pb, pu, pv


@njit(cache=True, error_model="numpy", inline="always", nogil=True)
def _geometry_lanes(x, R, R_lo, b0, L, n, xl, RR, RL, D, H, C1, C2, K, CL, dist, comp, counts, nclose):
    """:func:`_geometry_row` and :func:`_counts_row` of the draws ``b0 .. b0 + L - 1`` (sorted
    finite positions ``x``), draws innermost: ``xl[k]`` the positions of actor ``k``, ``RR``,
    ``RL`` the draws' ``R`` and ``R_lo``, ``D``, ``H``, ``C1``, ``C2``, ``K`` a pair's distance,
    midpoint, complements and count, ``CL`` the draws' close pairs (written to ``nclose``).
    For each pair ``u <= v`` the same IEEE operations as :func:`_geometry_row` (``d``
    mirrored; each complement of a far pair by its own TwoSum, computed for every pair and
    selected) and the count ``#{k : x_k <= (x_u + x_v) / 2}``, which is the pointer walk's
    answer on sorted finite positions (the midpoints ascend in ``v``)."""
    for l in range(L):
        b = b0 + l
        RR[l] = R[b]
        RL[l] = R_lo[b]
        CL[l] = 0
        for k in range(n):
            xl[k, l] = x[b, k]
    for u in range(n):
        for v in range(u, n):
            for l in range(L):
                xi = xl[u, l]
                xj = xl[v, l]
                Rb = RR[l]
                Rl = RL[l]
                d = abs(xi - xj) / Rb
                D[l] = d
                CL[l] += 2 if (d > 0.0 and d <= CLOSE_PAIR and v > u) else 0
                H[l] = 0.5 * (xi + xj)
                K[l] = 0
                g = xj - xi  # (u, v)
                bv = g - xj
                lo = (xj - (g - bv)) + (-xi - bv)
                lo = (-1.0 if g < 0 else 1.0) * lo
                far = ((Rb - abs(g)) + (Rl - lo)) / Rb
                C1[l] = far if d >= 0.5 else 1.0 - d
                g = xi - xj  # (v, u)
                bv = g - xi
                lo = (xi - (g - bv)) + (-xj - bv)
                lo = (-1.0 if g < 0 else 1.0) * lo
                far = ((Rb - abs(g)) + (Rl - lo)) / Rb
                C2[l] = far if d >= 0.5 else 1.0 - d
            for k in range(n):
                for l in range(L):
                    K[l] += 1 if xl[k, l] <= H[l] else 0
            for l in range(L):
                b = b0 + l
                d = D[l]
                dist[b, u, v] = d
                dist[b, v, u] = d
                comp[b, u, v] = C1[l]
                comp[b, v, u] = C2[l]
                counts[b, u, v] = K[l]
                counts[b, v, u] = K[l]
    for l in range(L):
        nclose[b0 + l] = CL[l]


@njit(cache=True, error_model="numpy", nogil=True)
def close_terms(x, dist, pb, pu, pv):
    """The voters' distance differences of the close pairs ``(pb, pu, pv)`` as
    :func:`~realpolitik.models.expected_utility._stable_numerators` takes them, ``[pairs, n]``:
    ``t`` (``+-`` the pair's own distance for a voter outside the pair's interval, else
    ``d_v - d_u``), ``du`` and ``dv``, in NumPy's operations."""
    P = pb.size
    n = x.shape[1]
    t = np.empty((P, n))
    du = np.empty((P, n))
    dv = np.empty((P, n))
    for q in range(P):
        b, u, v = pb[q], pu[q], pv[q]
        xu = x[b, u]
        xv = x[b, v]
        g = xv - xu
        sg = 1.0 if g > 0 else (-1.0 if g < 0 else (0.0 if g == 0 else g))  # np.sign
        duv = dist[b, u, v] * sg
        lo = xu if xu <= xv else xv  # np.minimum / np.maximum (no NaN positions)
        hi = xv if xu <= xv else xu
        for k in range(n):
            a = dist[b, k, u]
            c = dist[b, k, v]
            du[q, k] = a
            dv[q, k] = c
            xk = x[b, k]
            if xk <= lo:
                t[q, k] = duv
            elif xk >= hi:
                t[q, k] = -duv
            else:
                t[q, k] = c - a
    return t, du, dv


@njit(cache=True, error_model="numpy", nogil=True)
def close_sums(term, w, pb):
    """``(w[pb] * max(term, 0)).sum(axis=1)`` (NumPy's pairwise sum over each row)."""
    P, n = term.shape
    out = np.empty(P)
    row = np.empty(n)
    for q in range(P):
        b = pb[q]
        for k in range(n):
            tk = term[q, k]
            row[k] = w[b, k] * (tk if (tk >= 0.0 or tk != tk) else 0.0)
        out[q] = _np_sum(row, n)
    return out


@njit(cache=True, error_model="numpy", nogil=True)
def pow_args(dist, r):
    """The off-diagonal ``dist[b, k, a]`` and ``r[b, k]`` of the votes' ``dist ** r[:, :, None]``
    as two flat arrays, for NumPy's ``power`` (its SIMD ``pow`` takes a slow path on the
    diagonal's zeros); :func:`votes` reads them back (``packed``)."""
    B, n, _ = dist.shape
    K = B * n * (n - 1)
    base = np.empty(K)
    ex = np.empty(K)
    q = 0
    for b in range(B):
        for k in range(n):
            for a in range(n):
                if a != k:
                    base[q] = dist[b, k, a]
                    ex[q] = r[b, k]
                    q += 1
    return base, ex


@njit(cache=True, error_model="numpy", nogil=True)
def unpack_pow(packed, r, B, n):
    """``[B, n, n]`` from :func:`pow_args`' order, the diagonal ``0 ** r`` as IEEE ``pow``."""
    out = np.empty((B, n, n))
    q = 0
    for b in range(B):
        for k in range(n):
            rk = r[b, k]
            for a in range(n):
                if a != k:
                    out[b, k, a] = packed[q]
                    q += 1
                elif rk > 0:
                    out[b, k, a] = 0.0
                elif rk == 0:
                    out[b, k, a] = 1.0
                elif rk < 0:
                    out[b, k, a] = np.inf
                else:
                    out[b, k, a] = np.nan
    return out


@njit(cache=True, error_model="numpy", nogil=True)
def votes(d, w, m, err_scale, want_sorted, perm):
    """:func:`numerator_sorted` of ``G = w[:, :, None] * d`` (the product taken here), and with
    ``want_sorted`` every row of ``G`` in ascending order (``np.sort(G, axis=-1)``, for the
    all-pairs denominator's BLAS product): the row of a voter ``k`` over sorted positions
    falls to 0 at ``k`` and rises after it, so the two runs are merged and an insertion
    sort finishes the job (a no-op unless ``d^r`` broke a run's order): the sorted values
    are unique, whatever the algorithm.  ``perm`` ``[B, n, n]``: the order of each row from
    an earlier call on the same positions (``d`` a monotone function of the distances: the
    same merge), read instead of merging again (the insertion sort still finishes the job);
    an empty array: merge, and return the order.  Returns ``(N, eN, Gs, perm)``.

    The merged (or reordered) row is written straight to ``Gs`` and the insertion sort runs
    only on a row found out of order (``row[t - 1] <= row[t]`` fails somewhere, a NaN
    included: where it holds everywhere the insertion sort moves nothing)."""
    B, n, _ = d.shape
    N = np.empty((B, n, n))
    eN = np.empty((B, n, n))
    Gs = np.empty((B, n, n)) if want_sorted else np.empty((1, 1, 1))
    merge = want_sorted and perm.shape[0] != B
    order = np.empty((B, n, n), np.intp) if merge else perm
    C = np.empty((n + 1, n))
    for b in range(B):
        for a in range(n):
            C[0, a] = 0.0
            C[1, a] = w[b, 0] * d[b, 0, a]
        for j in range(1, n):
            wj = w[b, j]
            for a in range(n):
                C[j + 1, a] = C[j, a] + wj * d[b, j, a]
        _from_prefix(C, m, b, n, err_scale, N, eN)
        if want_sorted:
            for k in range(n):
                wk = w[b, k]
                ok = True
                prev = -np.inf
                if merge:
                    lo = k - 1
                    hi = k
                    for t in range(n):
                        if lo >= 0 and (hi >= n or wk * d[b, k, lo] <= wk * d[b, k, hi]):
                            order[b, k, t] = lo
                            v = wk * d[b, k, lo]
                            lo -= 1
                        else:
                            order[b, k, t] = hi
                            v = wk * d[b, k, hi]
                            hi += 1
                        Gs[b, k, t] = v
                        ok &= prev <= v
                        prev = v
                else:
                    for t in range(n):
                        v = wk * d[b, k, order[b, k, t]]
                        Gs[b, k, t] = v
                        ok &= prev <= v
                        prev = v
                if not ok:
                    _insertion_sort(Gs[b, k], n)
    return N, eN, Gs, order


@njit(cache=True, error_model="numpy", nogil=True)
def _insertion_sort(row, n):
    """``row[:n]`` sorted in place by insertion (NaN stays where ``>`` leaves it)."""
    for t in range(1, n):
        v = row[t]
        q = t - 1
        while q >= 0 and row[q] > v:
            row[q + 1] = row[q]
            q -= 1
        row[q + 1] = v


@njit(cache=True, error_model="numpy", nogil=True)
def _prob_scratch(N, eN, B, n):
    """Scratch for :func:`_probs`: one draw's ``P``, ``eP`` ``[n, n]`` with their flat views,
    and ``N``, ``eN`` viewed as ``[B, n^2]`` (made once per call, not per draw)."""
    Pf = np.empty(n * n)
    ePf = np.empty(n * n)
    return Pf.reshape((n, n)), ePf.reshape((n, n)), Pf, ePf, N.reshape((B, n * n)), eN.reshape((B, n * n))


@njit(cache=True, error_model="numpy", nogil=True)
def _probs(N, eN, Nf, eNf, D, eD, paper, dist, b, n, P, eP, Pf, ePf):
    """One draw's ``P`` and its bound as :func:`~realpolitik.models.expected_utility.win_probability`
    gives them from the numerators: all-pairs (``D``, ``eD`` per draw) or ``paper``.
    ``Nf``, ``eNf``: ``N``, ``eN`` as ``[B, n^2]``; ``Pf``, ``ePf``: ``P``, ``eP`` flat (the
    same memory: made once per call, not per draw)."""
    if not paper:
        d = D[b] if D[b] > 0 else np.inf
        ed = eD[b]
        for q in range(n * n):
            p = Nf[b, q] / d
            Pf[q] = p
            ePf[q] = (eNf[b, q] + p * ed) / d
        return
    for u in range(n):
        for v in range(n):
            A = N[b, u, v] + N[b, v, u]
            if A > 0:
                p = N[b, u, v] / A
            else:
                p = 0.5
            if dist[b, u, v] == 0.0:
                p = 0.0
            P[u, v] = p
            if A > 0:
                e = (eN[b, u, v] + p * (eN[b, u, v] + eN[b, v, u])) / A
            else:
                e = 0.0
            eP[u, v] = 0.0 if dist[b, u, v] == 0.0 else e


@njit(cache=True, error_model="numpy", nogil=True)
def _nanmax(v, n):
    """``v[:n].max()`` as NumPy's: a NaN anywhere gives NaN."""
    return _extreme(v, n, True)


@njit(cache=True, error_model="numpy", nogil=True)
def security(N, eN, D, eD, paper, dist, s, own_salience, adversary, inv, neps, keps, eps, want_pow):
    """Pass 1 (``r = 1``, ``Q = 1``) from the numerators to the security levels and their
    bounds: ``P`` (:func:`_probs`), the expected utilities ``b`` (``adversary``) or ``a`` with
    their bounds (:func:`expected_utility_terms` with ``g = 2d``, ``dU = 4d``), ``j = i``
    left out, the sum in input order (``inv``) and the bound
    ``esrc.sum(-1) + neps * |src|.sum(-1)``, NumPy's pairwise sums, and from them the risk
    exponents with their bounds as :func:`~realpolitik.models.expected_utility._risk_exponents`
    computes them, and ``r`` in input order.  With ``want_pow`` also :func:`pow_args` of
    ``dist`` and ``r`` (else two empty arrays).  Returns ``(r, err_r, r_input, base, ex)``.

    Up to :data:`LANES_ACTORS` actors several draws at a time (:func:`_security_lanes`),
    more actors a draw at a time (:func:`_security_rows`, where the lanes were slower)."""
    if dist.shape[1] > LANES_ACTORS:
        return _security_rows(N, eN, D, eD, paper, dist, s, own_salience, adversary, inv, neps, keps, eps, want_pow)
    return _security_lanes(N, eN, D, eD, paper, dist, s, own_salience, adversary, inv, neps, keps, eps, want_pow)


@njit(cache=True, error_model="numpy", nogil=True)
def _security_lanes(N, eN, D, eD, paper, dist, s, own_salience, adversary, inv, neps, keps, eps, want_pow):
    """:func:`security` for blocks of up to :data:`LANES` draws: the terms are laid out
    ``T[j, l n + i]`` (row ``j``; draw ``l`` of the block, evaluator ``i``), the rows of the
    sum in input order already in that order, so every evaluator's pairwise sum over ``j`` of
    every draw of the block runs at once (:func:`_column_sums`: the same additions in the same
    order); with all-pairs probabilities and ``adversary`` (``b`` reads ``P[j, i]``:
    contiguous) ``P`` is divided out in the same pass (the operations of :func:`_probs`)."""
    B, n, _ = dist.shape
    r = np.empty((B, n))
    er = np.empty((B, n))
    rin = np.empty((B, n))
    K = B * n * (n - 1) if want_pow else 0
    base = np.empty(K)
    ex = np.empty(K)
    P, eP, Pf, ePf, Nf, eNf = _prob_scratch(N, eN, B, n)
    lanes = max(1, min(LANES, 320 // n))
    m = lanes * n
    T = np.empty((n, m))
    E = np.empty((n, m))
    A = np.empty((n, m))
    acc = np.empty((8, m))
    sbl = np.empty(m)
    ebl = np.empty(m)
    abl = np.empty(m)
    sb = np.empty(n)
    eb = np.empty(n)
    slot = np.empty(n, np.intp)
    own = adversary and own_salience
    fused = adversary and not paper
    for b0 in range(0, B, lanes):
        L = min(lanes, B - b0)
        for l in range(L):
            b = b0 + l
            c0 = l * n
            for p in range(n):
                slot[inv[b, p]] = p
            # T[slot j, l n + i]: the expected utility of evaluator i against j (b or a), its
            # row in input order; E its bound, A |T| (rows j)
            if fused:
                dd = D[b] if D[b] > 0 else np.inf
                ed = eD[b]
                for j in range(n):
                    sj = s[b, j]
                    tj = slot[j]
                    for i in range(n):
                        dm = dist[b, i, j]
                        if dm > 1.0:
                            dm = 1.0
                        pm = N[b, j, i] / dd
                        epm = (eN[b, j, i] + pm * ed) / dd
                        t, e = _eu_term(2.0 * dm, 4.0 * dm, pm, epm, s[b, i] if own else sj, keps)
                        T[tj, c0 + i] = t
                        E[j, c0 + i] = e
                        A[j, c0 + i] = abs(t)
            else:  # (one loop for both was slower)
                _probs(N, eN, Nf, eNf, D, eD, paper, dist, b, n, P, eP, Pf, ePf)
                for j in range(n):
                    sj = s[b, j]
                    tj = slot[j]
                    for i in range(n):
                        dm = dist[b, i, j]
                        if dm > 1.0:
                            dm = 1.0
                        if adversary:
                            pm = P[j, i]
                            epm = eP[j, i]
                        else:
                            pm = P[i, j]
                            epm = eP[i, j]
                        t, e = _eu_term(2.0 * dm, 4.0 * dm, pm, epm, s[b, i] if own else sj, keps)
                        T[tj, c0 + i] = t
                        E[j, c0 + i] = e
                        A[j, c0 + i] = abs(t)
            for i in range(n):  # j != i
                T[slot[i], c0 + i] = 0.0
                E[i, c0 + i] = 0.0
                A[i, c0 + i] = 0.0
        _column_sums(T, n, L * n, sbl, acc)
        _column_sums(E, n, L * n, ebl, acc)
        _column_sums(A, n, L * n, abl, acc)
        for l in range(L):
            b = b0 + l
            for i in range(n):
                sb[i] = sbl[l * n + i]
                eb[i] = ebl[l * n + i] + neps * abl[l * n + i]
            _risk_row(sb, eb, n, eps, b, inv, r, er, rin)
            if want_pow:
                _pow_row(dist, r, b, n, base, ex)
    return r, er, rin, base, ex


@njit(cache=True, error_model="numpy", nogil=True)
def _security_rows(N, eN, D, eD, paper, dist, s, own_salience, adversary, inv, neps, keps, eps, want_pow):
    """:func:`security` a draw at a time, an evaluator's row at a time (the sums by
    :func:`_np_sum`): the kernel as it was, kept for more than :data:`LANES_ACTORS` actors."""
    B, n, _ = dist.shape
    sec = np.empty((B, n))
    esec = np.empty((B, n))
    r = np.empty((B, n))
    er = np.empty((B, n))
    rin = np.empty((B, n))
    P, eP, Pf, ePf, Nf, eNf = _prob_scratch(N, eN, B, n)
    src = np.empty(n)
    es = np.empty(n)
    row = np.empty(n)
    sr = np.empty(n)
    for b in range(B):
        _probs(N, eN, Nf, eNf, D, eD, paper, dist, b, n, P, eP, Pf, ePf)
        if adversary:  # b reads P[j, i]
            for i in range(n):
                for j in range(i + 1, n):
                    P[i, j], P[j, i] = P[j, i], P[i, j]
                    eP[i, j], eP[j, i] = eP[j, i], eP[i, j]
        for i in range(n):
            own = adversary and own_salience
            for j in range(n):
                sr[j] = s[b, i] if own else s[b, j]
            for j in range(n):
                dm = dist[b, i, j]
                if dm > 1.0:
                    dm = 1.0
                src[j], es[j] = _eu_term(2.0 * dm, 4.0 * dm, P[i, j], eP[i, j], sr[j], keps)
            src[i] = 0.0  # j != i
            es[i] = 0.0
            for j in range(n):
                row[j] = src[inv[b, j]]
            sec[b, i] = _np_sum(row, n)
            for j in range(n):
                row[j] = abs(src[j])
            esec[b, i] = _np_sum(es, n) + neps * _np_sum(row, n)
        _risk_row(sec[b], esec[b], n, eps, b, inv, r, er, rin)
    if want_pow:
        base, ex = pow_args(dist, r)
    else:
        base, ex = np.empty(0), np.empty(0)
    return r, er, rin, base, ex


@njit(cache=True, error_model="numpy", inline="always", nogil=True)
def _risk_row(sb, eb, n, eps, b, inv, r, er, rin):
    """Draw ``b``'s risk exponents and their bounds from its security levels ``sb`` and their
    bounds ``eb`` (eqs. 34, 33; :func:`~realpolitik.models.expected_utility._risk_exponents`,
    operation for operation), and ``r`` in input order."""
    hi = _nanmax(sb, n)
    lo = _nanmin(sb, n)
    spread = hi - lo
    ah = abs(hi)
    al = abs(lo)
    big = ah if (ah >= al or ah != ah) else al
    big = big if (big >= 1.0 or big != big) else 1.0
    ok = spread > 1e-12 * big
    div = spread if ok else 1.0
    e = _nanmax(eb, n)
    for i in range(n):
        Rk = (2.0 * sb[i] - hi - lo) / div if ok else 0.0
        r[b, i] = (1.0 - Rk / 3.0) / (1.0 + Rk / 3.0)
        if ok:
            er[b, i] = 1.5 * (2.0 * eb[i] + 2.0 * e + 2.0 * e * abs(Rk)) / div + 8 * eps
        else:
            er[b, i] = 0.0
    for i in range(n):
        rin[b, i] = r[b, inv[b, i]]


@njit(cache=True, error_model="numpy", inline="always", nogil=True)
def _pow_row(dist, r, b, n, base, ex):
    """Draw ``b``'s part of :func:`pow_args`."""
    q0 = b * n * (n - 1)
    for k in range(n):
        rk = r[b, k]
        for a in range(k):
            base[q0 + a] = dist[b, k, a]
            ex[q0 + a] = rk
        for a in range(k + 1, n):
            base[q0 + a - 1] = dist[b, k, a]
            ex[q0 + a - 1] = rk
        q0 += n - 1


@njit(cache=True, error_model="numpy", nogil=True)
def _column_sums(T, n, m, out, acc):
    """``out[c] = T[:n, c].sum()`` for the columns ``c < m`` at once (``n <= 128``), each
    NumPy's pairwise sum of the column (:func:`_np_sum`: under 8 terms one after another from
    0.0, else eight running sums, combined as a tree, then the rest in order); ``acc``
    ``[8, m]`` scratch."""
    if n < 8:
        for c in range(m):
            out[c] = 0.0
        for k in range(n):
            for c in range(m):
                out[c] += T[k, c]
        return
    if n < 16:
        for c in range(m):
            out[c] = ((T[0, c] + T[1, c]) + (T[2, c] + T[3, c])) + ((T[4, c] + T[5, c]) + (T[6, c] + T[7, c]))
    else:
        for k in range(8):
            for c in range(m):
                acc[k, c] = T[k, c]
        for base in range(8, n - n % 8, 8):
            for k in range(8):
                for c in range(m):
                    acc[k, c] += T[base + k, c]
        for c in range(m):
            left = (acc[0, c] + acc[1, c]) + (acc[2, c] + acc[3, c])
            out[c] = left + ((acc[4, c] + acc[5, c]) + (acc[6, c] + acc[7, c]))
    for k in range(n - n % 8, n):
        for c in range(m):
            out[c] += T[k, c]


@njit(cache=True, error_model="numpy", nogil=True)
def log_args(dist, comp):
    """The arguments of the success terms' logarithms (:func:`~realpolitik.models.expected_utility._success_terms`)
    over the pairs ``u <= v`` of each draw (both logarithms are symmetric in the pair):
    ``arg[:ka]`` holds ``-d`` of the pairs with ``d < 1/2`` (for ``log1p``), ``arg[ka:]``
    ``max(comp, 0)`` of the others (for ``log``), ``dp`` every ``d`` (for ``log1p(d)``), with
    ``d = min(dist, 1)``; ``pos``: where each pair's argument went in ``arg`` (pairs in the
    order of ``dp``).  Returns ``(arg, ka, dp, pos)`` for :func:`log_expand`."""
    B, n, _ = dist.shape
    K = B * (n * (n + 1) // 2)
    arg = np.empty(K)
    dp = np.empty(K)
    pos = np.empty(K, np.int64)
    front = 0
    back = K - 1
    q = 0
    for b in range(B):
        for u in range(n):
            for v in range(u, n):
                d = dist[b, u, v]
                if d > 1.0:
                    d = 1.0
                dp[q] = d
                if d < 0.5:
                    arg[front] = -d
                    pos[q] = front
                    front += 1
                else:
                    c = comp[b, u, v]
                    arg[back] = c if c > 0.0 or c != c else 0.0
                    pos[q] = back
                    back -= 1
                q += 1
    return arg, front, dp, pos


@njit(cache=True, error_model="numpy", nogil=True)
def log_expand(lm, lp, pos, r, col):
    """``r * lm`` and ``r * log1p(d)`` over ``[B, n, n]`` from the logarithms of :func:`log_args`
    (``lm``: ``log1p(-d)`` or ``log(comp)`` at ``pos``, ``lp``: ``log1p(d)``), with ``r`` the
    row's exponent (``col`` False: the evaluator ``i``) or the column's."""
    B, n = r.shape
    t1 = np.empty((B, n, n))
    t2 = np.empty((B, n, n))
    q = 0
    for b in range(B):
        for u in range(n):
            for v in range(u, n):
                L = lm[pos[q]]
                P = lp[q]
                q += 1
                ru = r[b, v] if col else r[b, u]
                rv = r[b, u] if col else r[b, v]
                t1[b, u, v] = ru * L
                t2[b, u, v] = ru * P
                t1[b, v, u] = rv * L
                t2[b, v, u] = rv * P
    return t1, t2


@njit(cache=True, error_model="numpy", nogil=True)
def _classify1(a, b, capitulation, conflict):
    """:func:`~realpolitik.models.expected_utility._classify` of one pair."""
    k = 4
    if capitulation and b > 0 and a < 0 and -a >= b:
        k = 3
    if b > 0 and a < 0 and b > -a:
        k = 2
    if conflict and b > a and a > 0:
        k = 1
    return k


@njit(cache=True, error_model="numpy", nogil=True)
def _nanmin(v, n):
    """``v[:n].min()`` as NumPy's: a NaN anywhere gives NaN."""
    return _extreme(v, n, False)


@njit(cache=True, error_model="numpy", nogil=True)
def _extreme(v, n, largest):
    """The largest (or smallest) of ``v[:n]``, NaN if any is NaN (NumPy's ``max``/``min``)."""
    m = v[0]
    for j in range(1, n):
        if v[j] != v[j]:
            return v[j]
        if m != m:
            continue
        if (v[j] > m) if largest else (v[j] < m):
            m = v[j]
    return m


@njit(cache=True, error_model="numpy", inline="always", nogil=True)
def _region(a, b, capitulation, conflict):
    """:func:`_classify1` written with selects (the same sequence of tests, no branches), so
    that a loop over pairs vectorises."""
    k = 4
    k = 3 if (capitulation & (b > 0) & (a < 0) & (-a >= b)) else k
    k = 2 if ((b > 0) & (a < 0) & (b > -a)) else k
    k = 1 if (conflict & (b > a) & (a > 0)) else k
    return k


@njit(cache=True, error_model="numpy", inline="always", nogil=True)
def _decide_probs(Nf, eNf, D, eD, escale, b, Pf, ePf):
    """:func:`_probs` for all-pairs over one draw's ``n^2`` pairs (one flat loop, so the
    divisions vectorise), with the pass-2 bound ``eP + escale P`` when ``escale`` is given:
    the same operations."""
    nn = Pf.shape[0]
    d = D[b] if D[b] > 0 else np.inf
    ed = eD[b]
    if escale is None:
        for q in range(nn):
            p = Nf[b, q] / d
            Pf[q] = p
            ePf[q] = (eNf[b, q] + p * ed) / d
    else:
        es = escale[b]
        for q in range(nn):
            p = Nf[b, q] / d
            Pf[q] = p
            e = (eNf[b, q] + p * ed) / d
            ePf[q] = e + es * p


@njit(cache=True, error_model="numpy", inline="always", nogil=True)
def _decide_regions(af, bf, eaf, ebf, distf, b, capitulation, conflict, pri, lop, hip):
    """The regions of Fig. 6 of one draw's pairs (flat; ``4`` where ``dist`` is not positive)
    into ``pri`` and, as their lowest and highest, ``lop`` and ``hip``, branch-free (the loop
    vectorises).  Returns how many pairs' error boxes cross a boundary (``|a| <= ea``,
    ``|b| <= eb`` or ``||a| - |b|| <= ea + eb``): those need :func:`_decide_corners`."""
    nbox = 0
    for q in range(pri.shape[0]):
        av = af[q]
        bv = bf[q]
        eav = eaf[q]
        ebv = ebf[q]
        pos = distf[b, q] > 0.0
        p = _region(av, bv, capitulation, conflict)
        p = p if pos else 4
        aa = abs(av)
        bb = abs(bv)
        box = (aa <= eav) | (bb <= ebv) | (abs(aa - bb) <= eav + ebv)
        pri[q] = p
        lop[q] = p
        hip[q] = p
        nbox += box & pos
    return nbox


@njit(cache=True, error_model="numpy", nogil=True)
def _decide_corners(af, bf, eaf, ebf, distf, nn, capitulation, conflict, pri, lop, hip):
    """Where a pair's error box crosses a boundary, the lowest and highest region over its
    corners and its point (every region where both ``|a| <= ea`` and ``|b| <= eb``), as the
    NumPy path: the pairs :func:`_decide_regions` counted."""
    for q in range(nn):
        if not distf[q] > 0.0:
            continue
        av, bv, eav, ebv = af[q], bf[q], eaf[q], ebf[q]
        aa = abs(av)
        bb = abs(bv)
        box = aa <= eav
        box |= bb <= ebv
        box |= abs(aa - bb) <= eav + ebv
        if not box:
            continue
        lo = pri[q]
        hi = lo
        for sa in (-1.0, 1.0):
            for sb in (-1.0, 1.0):
                c = _classify1(av + sa * eav, bv + sb * ebv, capitulation, conflict)
                lo = min(lo, c)
                hi = max(hi, c)
        if (abs(av) <= eav) and (abs(bv) <= ebv):
            lo, hi = 1, 4
        lop[q] = lo
        hip[q] = hi


@njit(cache=True, error_model="numpy", inline="always", nogil=True)
def _decide_min(v, n):
    """:func:`_nanmin` inlined into :func:`decide` (a call per receiver, and one in its loop
    at all, made :func:`decide` slower: 30 actors 8.4 -> 9.9 us a draw)."""
    m = v[0]
    for j in range(1, n):
        if v[j] != v[j]:
            return v[j]
        if m != m:
            continue
        if v[j] < m:
            m = v[j]
    return m


@njit(cache=True, error_model="numpy", inline="always", nogil=True)
def _decide_choose(tied, offer, orig, n, lowest, o):
    """:func:`~realpolitik.models.expected_utility._choose` of one receiver, inlined into
    :func:`decide`, with its scratch ``o`` given (no array made per receiver); -1 becomes 0 as
    NumPy's argmin of an all-``big`` row."""
    if lowest:
        for j in range(n):
            o[j] = offer[j] if tied[j] else np.inf
        mo = _decide_min(o, n)
        for j in range(n):
            tied[j] = tied[j] and o[j] == mo
    best = -1
    for j in range(n):
        if tied[j] and (best < 0 or orig[j] < orig[best]):
            best = j
    return 0 if best < 0 else best


@njit(cache=True, error_model="numpy", inline="always", nogil=True)
def _decide_offer(xi, xj, av, bv, eav, ebv, weighted, four_eps):
    """A compromise's offer to receiver ``i`` from ``j``, its key and the key's bound (as
    :func:`~realpolitik.models.expected_utility.eu_round`: the weighted position or the
    distance moved)."""
    aa = abs(av)
    bb = abs(bv)
    frac = aa / (bb if bv != 0 else 1.0)
    offer = xi + (xj - xi) * frac
    gap = abs(xj - xi)
    if weighted:
        key = (aa * xi + bb * xj) / (aa + bb)
        den = aa + bb
        ek = gap * (eav * bb + ebv * aa) / (den * den) + four_eps * (abs(xi) + abs(xj))
    else:
        key = gap * frac
        ek = key * (eav / aa + ebv / bb + four_eps)
    return offer, key, ek


@njit(cache=True, error_model="numpy", inline="always", nogil=True)
def _decide_gap(xi, xj):
    """``|x_j - x_i|`` rounded and the signed rounding error (TwoSum), the keys of a move to
    ``x_j``."""
    g = xj - xi
    bv = g - xj
    lo = (xj - (g - bv)) + (-xi - bv)
    return abs(g), (-1.0 if g < 0 else 1.0) * lo


@njit(cache=True, error_model="numpy", nogil=True)
def decide(x, dist, N, eN, D, eD, paper, escale, emA, epA, hA, emB, epB, hB, s, facA, facB, colB, own_salience, R,
           order,
           capitulation, conflict, weighted, lowest, snap, eps):
    """The end of :func:`~realpolitik.models.expected_utility.eu_round` for ``Q = 1``, per draw:
    the success terms ``g = -h em``, ``dU = h (ep - em)`` (``em``, ``ep``: the two ``expm1`` of
    :func:`~realpolitik.models.expected_utility._success_terms`, ``h = 4 (1/2)^r``; ``h`` and the
    bound's factor ``fac`` ``[B, n]``: the evaluator's (row) in ``a``, in ``b`` the row's or,
    with ``colB``, the challenger's (column)),
    the expected utilities and their bounds (as :func:`expected_utility_terms`; with
    ``escale`` (``[B]``, or None) the pass-2 bound of ``P`` is ``eP + escale P``), the regions
    of Fig. 6 with their error boxes, each receiver's offer (keys, exact tie rules, the
    numerically undetermined flags), the snap of near-equal positions and the way back to
    input order.

    ``P`` and its bound come from the numerators as in :func:`_probs`.
    ``x``: sorted positions; ``dist``: their distances; ``order``: their input indices;
    ``snap``: ``SNAP``; ``eps``: ``EPS``.  Returns ``(new_x, target, kind, sel_a, sel_b,
    undetermined, short)`` in input order (``short`` per draw), as ``eu_round``'s NumPy path
    computes them, operation for operation.
    """
    B, n = x.shape
    nn = n * n
    X = np.empty((B, n))
    TG = np.empty((B, n), np.int64)
    KD = np.empty((B, n), np.int64)
    SA = np.empty((B, n))
    SB = np.empty((B, n))
    UD = np.empty((B, n), np.bool_)
    SH = np.zeros(B, np.bool_)
    af = np.empty(nn)
    eaf = np.empty(nn)
    bf = np.empty(nn)
    ebf = np.empty(nn)
    prif = np.empty(nn, np.int64)
    lopf = np.empty(nn, np.int64)
    hipf = np.empty(nn, np.int64)
    a = af.reshape((n, n))
    ea = eaf.reshape((n, n))
    bq = bf.reshape((n, n))
    eb = ebf.reshape((n, n))
    pri = prif.reshape((n, n))
    lop = lopf.reshape((n, n))
    hip = hipf.reshape((n, n))
    stage = np.empty(n, np.int64)
    und = np.empty(n, np.bool_)
    newx = np.empty(n)
    kind = np.empty(n, np.int64)
    target = np.empty(n, np.int64)
    sela = np.empty(n)
    selb = np.empty(n)
    short = np.empty(n, np.bool_)
    m = np.empty(n, np.bool_)
    maybe = np.empty(n, np.bool_)
    tied = np.empty(n, np.bool_)
    key = np.empty(n)
    ek = np.empty(n)
    offer = np.empty(n)
    ghi = np.empty(n)
    glo = np.empty(n)
    kv = np.empty(n)
    P, eP, Pf, ePf, Nf, eNf = _prob_scratch(N, eN, B, n)
    distf = dist.reshape((B, nn))
    four_eps = 4 * eps
    fused = n <= 16
    # b with the evaluator's exponent on the same arrays as a (the default): one g and dU a pair
    shared = (not colB) and emB.ctypes.data == emA.ctypes.data and epB.ctypes.data == epA.ctypes.data and \
        hB.ctypes.data == hA.ctypes.data and facB.ctypes.data == facA.ctypes.data
    for bi in range(B):
        xb = x[bi]
        orig = order[bi]
        # P and its bound (all-pairs: one flat pass, the divisions vectorised)
        if paper:
            _probs(N, eN, Nf, eNf, D, eD, paper, dist, bi, n, P, eP, Pf, ePf)
            if escale is not None:
                for q in range(nn):
                    ePf[q] = ePf[q] + escale[bi] * Pf[q]
        else:
            _decide_probs(Nf, eNf, D, eD, escale, bi, Pf, ePf)
        # expected utilities with their bounds (expected_utility_terms: a and b in one pass):
        # g = -h em, dU = h (ep - em); b reads P transposed, its h and fac the row's or,
        # with colB, the column's, its resist weight the row's (own_salience) or the column's
        if shared:  # b's g and dU are a's (the same operations on the same numbers)
            for i in range(n):
                h = hA[bi, i]
                f = facA[bi, i]
                si = s[bi, i]
                for j in range(n):
                    em = emA[bi, i, j]
                    g = -h * em
                    dU = h * (epA[bi, i, j] - em)
                    av, eav = _eu_term(g, dU, P[i, j], eP[i, j], s[bi, j], f)
                    sres = si if own_salience else s[bi, j]
                    bv, ebv = _eu_term(g, dU, P[j, i], eP[j, i], sres, f)
                    a[i, j] = av
                    ea[i, j] = eav
                    bq[i, j] = bv
                    eb[i, j] = ebv
        else:
            for i in range(n):
                h = hA[bi, i]
                f = facA[bi, i]
                hr = hB[bi, i]
                fr = facB[bi, i]
                si = s[bi, i]
                for j in range(n):
                    em = emA[bi, i, j]
                    av, eav = _eu_term(-h * em, h * (epA[bi, i, j] - em), P[i, j], eP[i, j], s[bi, j], f)
                    hh = hB[bi, j] if colB else hr
                    ff = facB[bi, j] if colB else fr
                    sres = si if own_salience else s[bi, j]
                    em = emB[bi, i, j]
                    bv, ebv = _eu_term(-hh * em, hh * (epB[bi, i, j] - em), P[j, i], eP[j, i], sres, ff)
                    a[i, j] = av
                    ea[i, j] = eav
                    bq[i, j] = bv
                    eb[i, j] = ebv
        # regions of Fig. 6 (one branch-free pass) and, where an error box crosses a boundary,
        # at its corners; each receiver's stage, undetermined where a box reaches below it
        boxed = _decide_regions(af, bf, eaf, ebf, distf, bi, capitulation, conflict, prif, lopf, hipf) > 0
        if boxed:
            _decide_corners(af, bf, eaf, ebf, distf[bi], nn, capitulation, conflict, prif, lopf, hipf)
        for i in range(n):
            st = 4
            for j in range(n):
                st = min(st, pri[i, j])
            stage[i] = st
            u = False
            if boxed:
                for j in range(n):
                    u |= (lop[i, j] < st) & (hip[i, j] != lop[i, j])
            und[i] = u
        # each receiver's offer
        Rb = R[bi]
        tol = snap * Rb
        for i in range(n):
            xi = xb[i]
            newx[i] = xi
            kind[i] = 0
            target[i] = -1
            sela[i] = np.nan
            selb[i] = np.nan
            short[i] = False
            p = stage[i]
            if p == 4:
                continue
            # m: the pairs in the receiver's region; maybe: pairs whose error box reaches it
            # (none unless some box crosses a boundary).  Each minimum is _nanmin's (NaN if any
            # is NaN), the choice _decide_choose's.  Up to 16 actors the minima are kept as the keys
            # are computed (fewer passes over a short row); beyond, pass after pass (the
            # passes then vectorise and are faster).
            if p == 2:
                if fused:
                    best = np.inf
                    nan = False
                    for j in range(n):
                        mj = pri[i, j] == p
                        mb = boxed and (lop[i, j] <= p) and (hip[i, j] >= p) and not mj
                        m[j] = mj
                        maybe[j] = mb
                        k = np.inf
                        if mj or mb or j == 0:  # else never read (j = 0: the choice of a receiver without one)
                            offer[j], key[j], ek[j] = _decide_offer(xi, xb[j], a[i, j], bq[i, j], ea[i, j], eb[i, j], weighted,
                                                                      four_eps)
                            if mj:
                                k = key[j]
                        kv[j] = k
                        nan |= (j > 0) & (k != k)
                        best = k if (j == 0) | (k < best) else best
                    if nan:
                        best = np.nan
                    jj = -1
                    for j in range(n):
                        t = m[j] and kv[j] == best
                        tied[j] = t
                        if t and (jj < 0 or orig[j] < orig[jj]):
                            jj = j
                    if lowest:
                        jj = _decide_choose(tied, offer, orig, n, lowest, ghi)
                    elif jj < 0:
                        jj = 0
                else:
                    for j in range(n):
                        m[j] = pri[i, j] == p
                        maybe[j] = boxed and (lop[i, j] <= p) and (hip[i, j] >= p) and not m[j]
                    for j in range(n):
                        kv[j] = np.inf
                        if not (m[j] or maybe[j] or j == 0):
                            continue  # never read (j = 0: the choice of a receiver without one)
                        offer[j], key[j], ek[j] = _decide_offer(xi, xb[j], a[i, j], bq[i, j], ea[i, j], eb[i, j], weighted,
                                                                  four_eps)
                        if m[j]:
                            kv[j] = key[j]
                    best = _decide_min(kv, n)
                    for j in range(n):
                        tied[j] = m[j] and kv[j] == best
                    jj = _decide_choose(tied, offer, orig, n, lowest, ghi)
                kb = key[jj]
                ekb = ek[jj]
                xt = xb[jj]
                any_near = False
                for j in range(n):
                    if j != jj and (m[j] or maybe[j]) and (key[j] - ek[j] <= kb + ekb):
                        same = (xb[j] == xt) and (a[i, j] == a[i, jj]) and (bq[i, j] == bq[i, jj])
                        any_near |= not same
                mv = offer[jj]
                lands = abs(mv - xt) <= tol
                stays = (abs(mv - xi) <= tol) and (xt != xi)
                short[i] = lands or stays
                if lands and mv == xt:
                    mv = np.nextafter(xt, xi)
            else:
                if fused:
                    bh = np.inf
                    nan = False
                    for j in range(n):
                        mj = pri[i, j] == p
                        m[j] = mj
                        maybe[j] = boxed and (lop[i, j] <= p) and (hip[i, j] >= p) and not mj
                        gh, glo[j] = _decide_gap(xi, xb[j])
                        ghi[j] = gh
                        k = gh if mj else np.inf
                        kv[j] = k
                        nan |= (j > 0) & (k != k)
                        bh = k if (j == 0) | (k < bh) else bh
                    if nan:
                        bh = np.nan
                    bl = np.inf
                    nan = False
                    for j in range(n):
                        k = glo[j] if (m[j] and kv[j] == bh) else np.inf
                        key[j] = k
                        nan |= (j > 0) & (k != k)
                        bl = k if (j == 0) | (k < bl) else bl
                    if nan:
                        bl = np.nan
                    jj = -1
                    any_near = False
                    for j in range(n):
                        t = m[j] and kv[j] == bh and key[j] == bl
                        tied[j] = t
                        if t and (jj < 0 or orig[j] < orig[jj]):
                            jj = j
                        if maybe[j] and ((ghi[j] < bh) or ((ghi[j] == bh) and (glo[j] <= bl))):
                            any_near = True
                    if lowest:
                        jj = _decide_choose(tied, xb, orig, n, lowest, offer)
                    elif jj < 0:
                        jj = 0
                else:
                    for j in range(n):
                        m[j] = pri[i, j] == p
                        maybe[j] = boxed and (lop[i, j] <= p) and (hip[i, j] >= p) and not m[j]
                    for j in range(n):
                        ghi[j], glo[j] = _decide_gap(xi, xb[j])
                        kv[j] = ghi[j] if m[j] else np.inf
                    bh = _decide_min(kv, n)
                    for j in range(n):
                        key[j] = glo[j] if (m[j] and kv[j] == bh) else np.inf
                    bl = _decide_min(key, n)
                    for j in range(n):
                        tied[j] = m[j] and kv[j] == bh and key[j] == bl
                    jj = _decide_choose(tied, xb, orig, n, lowest, offer)
                    any_near = False
                    for j in range(n):
                        if maybe[j] and ((ghi[j] < bh) or ((ghi[j] == bh) and (glo[j] <= bl))):
                            any_near = True
                mv = xb[jj]
            if any_near or hip[i, jj] != lop[i, jj]:
                und[i] = True
            kind[i] = p
            target[i] = jj
            newx[i] = mv
            sela[i] = a[i, jj]
            selb[i] = bq[i, jj]
        # an actor whose choice is undetermined stays where it is
        for i in range(n):
            if und[i]:
                kind[i] = 0
                target[i] = -1
                newx[i] = xb[i]
                sela[i] = np.nan
                selb[i] = np.nan
                short[i] = False
        # _snap: compromise movers within tol of other actors (positions before any snap)
        for i in range(n):
            ghi[i] = newx[i]
        for i in range(n):
            if kind[i] != 2 or short[i]:
                continue
            own = ghi[i]
            hit = False
            to_exact = np.inf
            to_movers = np.inf
            for k in range(n):
                if k == i or not (abs(ghi[k] - own) <= tol):
                    continue
                hit = True
                if kind[k] != 2:
                    to_exact = min(to_exact, ghi[k])
                to_movers = min(to_movers, ghi[k])
            if hit:
                newx[i] = to_exact if np.isfinite(to_exact) else min(to_movers, own)
        sh = False
        for i in range(n):
            o = orig[i]
            X[bi, o] = newx[i]
            TG[bi, o] = orig[target[i]] if target[i] >= 0 else -1
            KD[bi, o] = kind[i]
            SA[bi, o] = sela[i]
            SB[bi, o] = selb[i]
            UD[bi, o] = und[i]
            sh = sh or short[i]
        SH[bi] = sh
    return X, TG, KD, SA, SB, UD, SH


@njit(cache=True, error_model="numpy", nogil=True)
def _row_sum(a, n, seq):
    """``a[:n].sum()`` as NumPy reduces a row of a ``[B, n]`` array: pairwise where the row is
    contiguous (C order), one term after another from the first where it is not (F order:
    NumPy then adds column after column over the draws)."""
    if not seq:
        return _np_sum(a, n)
    res = a[0]
    for i in range(1, n):
        res += a[i]
    return res


@njit(cache=True, error_model="numpy", nogil=True)
def median_mean(x, w, seq):
    """:func:`~realpolitik.models.expected_utility.condorcet_position` and
    :func:`~realpolitik.models.expected_utility.weighted_mean` of ``[B, n]`` (``n >= 1``):
    the sums over actors as NumPy reduces them (:func:`_row_sum`; ``seq``: the arrays are in
    F order, as ``x[:, idx]`` makes them), the costs ``sum_i w_i |x_i - x_j|`` in order of
    ``i`` from 0 (the order of NumPy's ``einsum("bi,bij->bj")``, whose operand is contiguous
    along ``j``: one product and one sum per term), the plain mean as ``sum / n``.
    Returns ``(median, mean)``."""
    B, n = x.shape
    med = np.empty(B)
    mean = np.empty(B)
    wr = np.empty(n)
    aw = np.empty(n)
    cost = np.empty(n)
    row = np.empty(n)
    for b in range(B):
        for i in range(n):
            wr[i] = w[b, i]
        tot = _row_sum(wr, n, seq)
        if not tot > 0:
            for i in range(n):
                wr[i] = 1.0
        for j in range(n):
            acc = 0.0
            for i in range(n):
                acc += wr[i] * abs(x[b, i] - x[b, j])
            cost[j] = acc
        best = _nanmin(cost, n)
        for i in range(n):
            aw[i] = abs(wr[i])
        ab = abs(best)
        tol = 1e-12 * (ab if (ab >= 1e-300 or ab != ab) else 1e-300) + 1e-15 * _row_sum(aw, n, seq)
        for j in range(n):
            row[j] = x[b, j] if cost[j] <= best + tol else np.inf
        med[b] = _nanmin(row, n)
        # weighted mean (the weights as given)
        for i in range(n):
            row[i] = x[b, i]
        plain = _row_sum(row, n, seq) / n
        for i in range(n):
            row[i] = w[b, i] * x[b, i]
        mean[b] = _row_sum(row, n, seq) / tot if tot > 0 else plain
    return med, mean
