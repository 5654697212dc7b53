"""Compiled steps of the SMP turn for large batches (numba), proportional voting.

The coalition sums (:func:`realpolitik.models.smp.primitives.coalitions`) and the
third-party votes of the challenges (:func:`realpolitik.models.smp.state._third_parties`)
are elementwise arithmetic over ``[B, n, n, n]`` blocks followed by sums over the voter
axis; every actor's queue of options in :func:`realpolitik.models.smp.state.turn` gathers
a small coalition matrix and runs the conditional PCE on it.  NumPy runs them as a dozen
passes over large temporaries and fancy-index gathers; these kernels do one pass with the
same operations in the same order: every product, difference, quotient and ``maximum`` is
one IEEE operation, the voter sums and PCE products run in order from the same start
(NumPy's reduction over an outer axis is sequential), and the queue totals are NumPy's
pairwise sum (:func:`realpolitik.models.exchange_batch._np_sum`), so the results are the
NumPy path's bit for bit (tests/test_smp_kernels.py).

Imported only for batches of :data:`realpolitik.models.smp.params.KERNEL_BATCH` draws or
more (numba's import costs a few tenths of a second; a single run never pays it).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from realpolitik.models.exchange_batch import _np_sum


@njit(cache=True, inline="always")
def _pos(v):
    """``np.maximum(v, 0.0)`` (NaN and -0.0 kept as NumPy keeps them)."""
    return v if (v >= 0.0 or v != v) else 0.0


@njit(cache=True)
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


@njit(cache=True)
def third_parties_prop(D, rI, U_ji, U_jj, W, chi0_ij, chi0_ji, I):
    """:func:`realpolitik.models.smp.state._third_parties` for ``rule == "Prop"``.

    ``D`` ``[B, n, n]``; ``rI``, ``U_ji``, ``U_jj`` ``[B, c, n]`` (initiator ``I[ci]``,
    third party ``n``); ``W`` ``[B, n]``; ``chi0_*`` ``[B, c, n]``.  Returns
    ``(chi_ij, chi_ji)`` ``[B, c, n]``.
    """
    B, n, _ = D.shape
    C = I.size
    chi_ij = np.empty((B, C, n))
    chi_ji = np.empty((B, C, n))
    for b in range(B):
        for ci in range(C):
            i = I[ci]
            for j in range(n):
                sij = 0.0
                sji = 0.0
                for t in range(n):
                    E = D[b, t, j]
                    rn = rI[b, ci, t]
                    U_ni = U_ji[b, ci, t]
                    U_nn = U_jj[b, ci, t]
                    Wn = W[b, t]
                    a = E * rn
                    a += 1.0
                    a *= 1.0 - E
                    v = U_ni - a
                    v *= Wn
                    c = _pos(v)
                    q = c - v
                    c += chi0_ij[b, ci, j]
                    q += chi0_ji[b, ci, j]
                    q += c
                    pin = c / q
                    a -= U_nn
                    g = (U_nn - U_ni) - a
                    g *= pin
                    a += g
                    a *= Wn
                    if t == i or t == j:
                        a = 0.0
                    cp = _pos(a)
                    cm = cp - a
                    if t == 0:
                        sij = cp + chi0_ij[b, ci, j]
                        sji = cm + chi0_ji[b, ci, j]
                    else:
                        sij += cp
                        sji += cm
                chi_ij[b, ci, j] = sij
                chi_ji[b, ci, j] = sji
    return chi_ij, chi_ji


#: victory probability models the queue kernel knows (``x -> x^power``)
VPM_POWER = {"Linear": 1, "Square": 2, "Quartic": 4, "Octic": 8}


@njit(cache=True, inline="always")
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


@njit(cache=True)
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
