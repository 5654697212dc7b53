"""The expected-utility batch kernels ``prepare``, ``votes`` and ``security`` as they were
before issue 17's session 5 (main at e8bbd03), kept verbatim as test-only references: the
kernels of :mod:`realpolitik.models.expected_utility_batch` must give their outputs bit for
bit (tests/test_expected_utility_batch.py)."""

from __future__ import annotations

import numpy as np
from numba import njit

from realpolitik.models.exchange_batch import _np_sum
from realpolitik.models.expected_utility import CLOSE_PAIR
from realpolitik.models.expected_utility_batch import (
    _counts_row,
    _eu_term,
    _from_prefix,
    _geometry_row,
    _nanmax,
    _nanmin,
    _prob_scratch,
    _probs,
    pow_args,
)


@njit(cache=True, error_model="numpy")
def prepare(x0, c0, s0, R, R_lo):
    """The round's set-up in one pass per draw: the actors in ascending order of position
    (``order``: ``np.argsort(x0, kind="stable")``, an insertion sort with NumPy's order, NaN
    last; ``inv`` its inverse), the sorted positions and saliences and the vote weights
    ``w = c s``, the distances with their complements (:func:`_geometry_row`),
    :func:`closer_counts` and the pairs closer than
    ``CLOSE_PAIR`` R as ``np.nonzero((dist > 0) & (dist <= CLOSE_PAIR))`` lists them.
    Returns ``(x, s, w, order, inv, dist, comp, counts, pb, pu, pv)``."""
    B, n = x0.shape
    order = np.empty((B, n), np.intp)
    inv = np.empty((B, n), np.intp)
    x = np.empty((B, n))
    s = np.empty((B, n))
    w = np.empty((B, n))
    dist = np.empty((B, n, n))
    comp = np.empty((B, n, n))
    counts = np.empty((B, n, n), np.intp)
    close = 0
    for b in range(B):
        o = order[b]
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
        close += _geometry_row(x[b], R[b], R_lo[b], n, dist[b], comp[b])
        _counts_row(x[b], n, counts[b])
    pb = np.empty(close, np.intp)
    pu = np.empty(close, np.intp)
    pv = np.empty(close, np.intp)
    if close:
        q = 0
        for b in range(B):
            for u in range(n):
                for v in range(n):
                    d = dist[b, u, v]
                    if d > 0.0 and d <= CLOSE_PAIR:
                        pb[q] = b
                        pu[q] = u
                        pv[q] = v
                        q += 1
    return x, s, w, order, inv, dist, comp, counts, pb, pu, pv


@njit(cache=True, error_model="numpy")
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
    """
    B, n, _ = d.shape
    N = np.empty((B, n, n))
    eN = np.empty((B, n, n))
    Gs = np.empty((B, n, n)) if want_sorted else np.empty((1, 1, 1))
    merge = want_sorted and perm.shape[0] != B
    order = np.empty((B, n, n), np.intp) if merge else perm
    C = np.empty((n + 1, n))
    row = np.empty(n)
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
                if merge:
                    lo = k - 1
                    hi = k
                    for t in range(n):
                        if lo >= 0 and (hi >= n or wk * d[b, k, lo] <= wk * d[b, k, hi]):
                            order[b, k, t] = lo
                            lo -= 1
                        else:
                            order[b, k, t] = hi
                            hi += 1
                for t in range(n):
                    row[t] = wk * d[b, k, order[b, k, t]]
                for t in range(1, n):
                    v = row[t]
                    q = t - 1
                    while q >= 0 and row[q] > v:
                        row[q + 1] = row[q]
                        q -= 1
                    row[q + 1] = v
                for t in range(n):
                    Gs[b, k, t] = row[t]
    return N, eN, Gs, order


@njit(cache=True, error_model="numpy")
def security(N, eN, D, eD, paper, dist, s, own_salience, adversary, inv, neps, keps, eps, want_pow):
    """Pass 1 (``r = 1``, ``Q = 1``) from the numerators to the security levels and their
    bounds: ``P`` (:func:`_probs`), the expected utilities ``b`` (``adversary``) or ``a`` with
    their bounds (:func:`expected_utility_terms` with ``g = 2d``, ``dU = 4d``), ``j = i``
    left out, the sum in input order (``inv``) and the bound
    ``esrc.sum(-1) + neps * |src|.sum(-1)``, NumPy's pairwise sums, and from them the risk
    exponents with their bounds as :func:`~realpolitik.models.expected_utility._risk_exponents`
    computes them, and ``r`` in input order.  With ``want_pow`` also :func:`pow_args` of
    ``dist`` and ``r`` (else two empty arrays).  Returns ``(r, err_r, r_input, base, ex)``."""
    B, n, _ = dist.shape
    sec = np.empty((B, n))
    esec = np.empty((B, n))
    r = np.empty((B, n))
    er = np.empty((B, n))
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
        # eqs. (34), (33) with the rounding bounds (_risk_exponents, operation for operation)
        sb = sec[b]
        eb = esec[b]
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
    rin = np.empty((B, n))
    for b in range(B):
        for i in range(n):
            rin[b, i] = r[b, inv[b, i]]
    if want_pow:
        base, ex = pow_args(dist, r)
    else:
        base, ex = np.empty(0), np.empty(0)
    return r, er, rin, base, ex
