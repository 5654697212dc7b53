"""Compiled steps of the SMP turn for large batches (numba), proportional voting.

The coalition sums (:func:`realpolitik.models.smp.primitives.coalitions`) and the
challenges with their third-party votes (:func:`realpolitik.models.smp.state.challenges`)
are elementwise arithmetic over ``[B, n, n, n]`` blocks followed by sums over the voter
axis; every actor's queue of options in :func:`realpolitik.models.smp.state.turn` gathers
a small coalition matrix and runs the conditional PCE on it.  NumPy runs them as a dozen
passes over large temporaries and fancy-index gathers; these kernels do one pass with the
same operations in the same order: every product, difference, quotient and ``maximum`` is
one IEEE operation, the voter sums and PCE products run in order from the same start
(NumPy's reduction over an outer axis is sequential), and the queue totals are NumPy's
pairwise sum (:func:`realpolitik.models.exchange_batch._np_sum`), so the results are the
NumPy path's bit for bit (tests/test_smp_kernels.py).

Imported only for steps of :data:`realpolitik.models.smp.params.KERNEL_ELEMENTS` draws x
actors^2 or more (numba's import costs a few tenths of a second; a single run of an ordinary
scenario never pays it).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from realpolitik.models.exchange_batch import _np_sum


@njit(cache=True, inline="always", error_model="numpy")
def _pos(v):
    """``np.maximum(v, 0.0)`` (NaN and -0.0 kept as NumPy keeps them)."""
    return v if (v >= 0.0 or v != v) else 0.0


@njit(cache=True, error_model="numpy")
def coalitions_prop(u, w, start):
    """``M[s, x, y] = start + sum_k max(0, (u[s,k,x] - u[s,k,y]) w[s,k])``, voters in order.

    ``u`` ``[S, K, O]``, ``w`` ``[S, K]`` -> ``[S, O, O]``.
    """
    S, K, O = u.shape
    m = np.empty((S, O, O))
    for s in range(S):
        for x in range(O):
            for y in range(O):
                acc = start
                for k in range(K):
                    d = u[s, k, x] - u[s, k, y]
                    d *= w[s, k]
                    acc += _pos(d)
                m[s, x, y] = acc
    return m


@njit(cache=True, inline="always", error_model="numpy")
def _bs_util(d, r):
    """:func:`realpolitik.models.smp.primitives.bs_util`."""
    return (1.0 - d) * (1.0 + d * r) if d <= 1.0 else (1.0 - d) * (1.0 + r)


@njit(cache=True, error_model="numpy")
def challenges_prop(D, r, W, sal_tot, semi, min_coalition):
    """:func:`realpolitik.models.smp.state.challenges` for ``voting_rule == "Prop"``:
    ``(phi, gain)`` ``[B, i, j]``; ``semi``: SemiCommit third parties (as
    :func:`realpolitik.models.smp.state._third_parties`), else none.
    """
    B, n, _ = D.shape
    phi = np.empty((B, n, n))
    gain = np.empty((B, n, n))
    U_it = np.empty(n)  # u(D[t, i], r[i, t]) of initiator i, every t
    U_tt = np.empty(n)  # u(D[t, t], r[i, t])
    U_ij = np.empty(n)
    c0ij = np.empty(n)
    c0ji = np.empty(n)
    sij = np.empty(n)
    sji = np.empty(n)
    for b in range(B):
        for i in range(n):
            r_ii = r[b, i, i]
            U_ii = _bs_util(D[b, i, i], r_ii)
            for t in range(n):
                U_it[t] = _bs_util(D[b, t, i], r[b, i, t])
                U_tt[t] = _bs_util(D[b, t, t], r[b, i, t])
            for j in range(n):
                U_ij[j] = _bs_util(D[b, i, j], r_ii)
                ci = W[b, i] * (U_ii - U_ij[j])
                cj = W[b, j] * (U_it[j] - U_tt[j])
                c0ij[j] = (min_coalition + _pos(ci)) + _pos(cj)
                c0ji[j] = (min_coalition + _pos(-ci)) + _pos(-cj)
                sij[j] = c0ij[j]
                sji[j] = c0ji[j]
            if semi:
                # third parties t in order, every target j at once (the sums per j run in t order)
                for t in range(n):
                    rt = r[b, i, t]
                    Ut = U_it[t]
                    Utt = U_tt[t]
                    Wn = W[b, t]
                    for j in range(n):
                        E = D[b, t, j]
                        a = E * rt
                        a += 1.0
                        a *= 1.0 - E
                        v = Ut - a
                        v *= Wn
                        c = _pos(v)
                        q = c - v
                        c += c0ij[j]
                        q += c0ji[j]
                        q += c
                        pin = c / q
                        a -= Utt
                        g = (Utt - Ut) - a
                        g *= pin
                        a += g
                        a *= Wn
                        if t == i or t == j:
                            a = 0.0
                        cp = _pos(a)
                        cm = cp - a
                        if t == 0:
                            sij[j] = cp + c0ij[j]
                            sji[j] = cm + c0ji[j]
                        else:
                            sij[j] += cp
                            sji[j] += cm
            for j in range(n):
                ph = sij[j] / (sij[j] + sji[j])
                phji = sji[j] / (sij[j] + sji[j])
                u_vict = U_ii + U_ii
                eu_sq = U_ii + U_ij[j]
                u_lose = U_ij[j] + U_ij[j]
                eu_cntst = ph * u_vict + phji * u_lose
                sj = sal_tot[b, j]
                eu_chlg = (1 - sj) * u_vict + sj * eu_cntst
                phi[b, i, j] = ph
                gain[b, i, j] = -np.inf if i == j else eu_chlg - eu_sq
    return phi, gain


#: victory probability models the queue kernel knows (``x -> x^power``)
VPM_POWER = {"Linear": 1, "Square": 2, "Quartic": 4, "Octic": 8}


@njit(cache=True, inline="always", error_model="numpy")
def _strength(s, power):
    """``victory_prob``'s ``x1``: ``s``, ``s s``, ``(s s)(s s)`` or ``q q`` with ``q = (s s)(s s)``."""
    if power == 1:
        return s
    sq = s * s
    if power == 2:
        return sq
    q = sq * sq
    if power == 4:
        return q
    return q * q


@njit(cache=True, error_model="numpy")
def queue_pce(M, idx, valid, power):
    """Every actor's queue: ``pce(orient(M[idx, idx]), vpm, "Conditional", valid)`` for a
    symmetric-rule coalition matrix (``NT is M``).

    ``M`` ``[B, O, O]``; ``idx``, ``valid`` ``[B, k, L]``.  Returns ``(pq [B, k, L], ok)``;
    ``ok`` is False when some queue's total underflows to 0 (the caller then takes
    NumPy's log-space path for the whole block, as :func:`~realpolitik.models.smp.primitives.pce` does).
    """
    B, K, L = idx.shape
    pq = np.empty((B, K, L))
    prod = np.empty(L)
    ok = True
    for b in range(B):
        for k in range(K):
            for x in range(L):
                acc = 1.0
                for y in range(L):
                    if valid[b, k, y]:
                        if x == y:
                            w = 0.5
                        else:
                            x1 = _strength(M[b, idx[b, k, x], idx[b, k, y]], power)
                            x2 = _strength(M[b, idx[b, k, y], idx[b, k, x]], power)
                            w = x1 / (x1 + x2)
                    else:
                        w = 1.0
                    if y == 0:
                        acc = w
                    else:
                        acc *= w
                prod[x] = acc if valid[b, k, x] else 0.0
            tot = _np_sum(prod, L)
            if not tot > 0.0:
                ok = False
            for x in range(L):
                pq[b, k, x] = prod[x] / tot
    return pq, ok


@njit(cache=True, inline="always", error_model="numpy")
def _bv_diff(ideal, pos, sal, b, a, p, num, dsum):
    """``bv_diff`` of ideal ``a`` against position ``p`` in draw ``b`` (``dsum``: the sum of
    ``a``'s squared saliences; ``num``: scratch of length m)."""
    m = ideal.shape[2]
    for k in range(m):
        d = ideal[b, a, k] - pos[b, p, k]
        d *= sal[b, a, k]
        num[k] = d * d
    return np.sqrt(_np_sum(num, m) / dsum)


@njit(cache=True, error_model="numpy")
def bv_diff(ideal, pos, sal):
    """:func:`realpolitik.models.smp.primitives.bv_diff` for ``[B, n, m]`` ideals and
    saliences against ``[B, p, m]`` positions -> ``[B, n, p]``."""
    B, n, m = ideal.shape
    P = pos.shape[1]
    out = np.empty((B, n, P))
    num = np.empty(m)
    den = np.empty(m)
    for b in range(B):
        for a in range(n):
            for k in range(m):
                den[k] = sal[b, a, k] * sal[b, a, k]
            dsum = _np_sum(den, m)
            for p in range(P):
                out[b, a, p] = _bv_diff(ideal, pos, sal, b, a, p, num, dsum)
    return out


@njit(cache=True, error_model="numpy")
def option_utilities(Vt, ideal, sal, R, oi, oj, cols, target):
    """The utility to every actor ``a`` of the state each initiator's bargain produces (the
    loop over ``options`` in :func:`realpolitik.models.smp.state.turn`).

    ``e[b, a, c] = (X_0 + ... + X_{n-1}) / n`` with ``X_x = Vt[b, x, a]`` for the positions
    left unchanged (``x`` neither the initiator ``cols[c]`` nor its target), else 0, and
    the two proposals' utilities (``bs_util(bv_diff(ideal, o, sal), R)``) added to ``X_0``.
    """
    B, n, m = ideal.shape
    C = cols.size
    e = np.empty((B, n, C))
    num = np.empty(m)
    den = np.empty(m)
    acc = np.empty(C)
    tgt = np.empty(C, np.int64)
    for b in range(B):
        for c in range(C):
            tgt[c] = target[b, cols[c]]
        for a in range(n):
            for k in range(m):
                den[k] = sal[b, a, k] * sal[b, a, k]
            dsum = _np_sum(den, m)
            for c in range(C):
                i = cols[c]
                ui = _bs_util(_bv_diff(ideal, oi, sal, b, a, i, num, dsum), R[b, a])
                uj = _bs_util(_bv_diff(ideal, oj, sal, b, a, i, num, dsum), R[b, a])
                v = Vt[b, 0, a] if (0 != i and 0 != tgt[c]) else 0.0
                acc[c] = v + (ui + uj)
            for x in range(1, n):  # positions in order, every initiator at once
                Vx = Vt[b, x, a]
                for c in range(C):
                    acc[c] += Vx if (x != cols[c] and x != tgt[c]) else 0.0
            for c in range(C):
                e[b, a, c] = acc[c] / n
    return e
