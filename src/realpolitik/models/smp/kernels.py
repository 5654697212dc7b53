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

For the common options (proportional voting, conditional PCE, one bargain per challenge) a
forecast's turn is three calls (:func:`realpolitik.models.smp.state.compiled_turn`):
:func:`setup_prop` (the state's set-up), :func:`challenges_prop`, and :func:`bargains_prop`
(best targets, bargains, the utilities of the states they produce, coalitions, every
queue's PCE and choice, new positions, the driver's step), draw by draw, so that the turn
makes no NumPy call on small ``[draw, n]`` arrays.

Imported only for steps of :data:`realpolitik.models.smp.params.KERNEL_ELEMENTS` draws x
actors^2 or more (numba's import costs a few tenths of a second; a single run of an ordinary
scenario never pays it).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from realpolitik.models.exchange_batch import _np_sum


@njit(cache=True, inline="always", error_model="numpy", nogil=True)
def _pos(v):
    """``np.maximum(v, 0.0)`` (NaN and -0.0 kept as NumPy keeps them)."""
    return v if (v >= 0.0 or v != v) else 0.0


@njit(cache=True, error_model="numpy", nogil=True)
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


@njit(cache=True, inline="always", error_model="numpy", nogil=True)
def _bs_util(d, r):
    """:func:`realpolitik.models.smp.primitives.bs_util`."""
    return (1.0 - d) * (1.0 + d * r) if d <= 1.0 else (1.0 - d) * (1.0 + r)


@njit(cache=True, error_model="numpy", nogil=True)
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
                    if t == i:  # the principal: no vote (sij, sji keep their start)
                        continue
                    rt = r[b, i, t]
                    Ut = U_it[t]
                    Utt = U_tt[t]
                    Wn = W[b, t]
                    Dt = D[b, t]
                    for j in range(n):
                        E = Dt[j]
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
                        a = 0.0 if t == j else a  # the target: no vote
                        cp = _pos(a)
                        cm = cp - a
                        sij[j] += cp  # (from c0ij[j]: x + y == y + x)
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


@njit(cache=True, inline="always", error_model="numpy", nogil=True)
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


@njit(cache=True, error_model="numpy", nogil=True)
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


@njit(cache=True, inline="always", error_model="numpy", nogil=True)
def _bv_diff(ideal, pos, sal, b, a, p, num, dsum):
    """``bv_diff`` of ideal ``a`` against position ``p`` in draw ``b`` (``dsum``: the sum of
    ``a``'s squared saliences; ``num``: scratch of length m)."""
    m = ideal.shape[2]
    for k in range(m):
        d = ideal[b, a, k] - pos[b, p, k]
        d *= sal[b, a, k]
        num[k] = d * d
    return np.sqrt(_np_sum(num, m) / dsum)


@njit(cache=True, error_model="numpy", nogil=True)
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


@njit(cache=True, error_model="numpy", nogil=True)
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


#: ``big_r_range`` and ``big_r_adjust`` as the set-up kernel knows them
BIG_R_RANGE = {"Min": 0, "Mid": 1, "Max": 2}
BIG_R_ADJUST = {"Full": 0, "TwoThirds": 1, "Half": 2, "OneThird": 3, "None": 4}


@njit(cache=True, error_model="numpy", nogil=True)
def setup_prop(ideal, pos, sal, cap, power, rrange, radjust, min_coalition):
    """:func:`realpolitik.models.smp.state.setup_state` for proportional voting and the
    conditional PCE (victory probability ``x -> x^power``): ``(D, R, r, ok)``, one pass per
    draw (distances, risk-neutral utilities, coalitions, PCE, ``big_r_from_prob``,
    ``est_nra``).  ``ok`` is False when some draw's PCE total underflows (the caller then
    takes the NumPy path, as :func:`queue_pce`'s callers do)."""
    B, n, m = ideal.shape
    D = bv_diff(ideal, pos, sal)
    R = np.empty((B, n))
    r = np.empty((B, n, n))
    u0 = np.empty((n, n))
    M = np.empty((n, n))
    prod = np.empty(n)
    ok = True
    for b in range(B):
        for a in range(n):
            for x in range(n):
                u0[a, x] = _bs_util(D[b, a, x], 0.0)
        _coalitions(u0, cap[b], n, n, min_coalition, M)
        for x in range(n):
            acc = 1.0
            for y in range(n):
                w = 0.5 if x == y else _vprob(M[x, y], M[y, x], power)
                acc = w if y == 0 else acc * w
            prod[x] = acc
        tot = _np_sum(prod, n)
        if not tot > 0.0:
            ok = False
        pmin = prod[0] / tot
        pmax = pmin
        for x in range(n):
            p = prod[x] / tot
            prod[x] = p
            if p < pmin or p != p:
                pmin = p if pmin == pmin else pmin
            if p > pmax or p != p:
                pmax = p if pmax == pmax else pmax
        span = pmax - pmin
        safe = span if span > 0 else 1.0
        for x in range(n):
            p = prod[x]
            if rrange == 0:
                v = (p - pmin) / safe
            elif rrange == 1:
                v = (3.0 * p - (pmax + 2.0 * pmin)) / (2.0 * safe)
            else:
                v = (2.0 * p - (pmax + pmin)) / safe
            R[b, x] = v if span > 0 else 0.0
        for h in range(n):
            rh = R[b, h]
            for i in range(n):
                ri = R[b, i]
                if radjust == 0:
                    v = ri + 0.0 * rh
                elif radjust == 1:
                    v = (rh + (2.0 * ri)) / 3.0
                elif radjust == 2:
                    v = (rh + ri) / 2.0
                elif radjust == 3:
                    v = ((2.0 * rh) + ri) / 3.0
                else:
                    v = rh + 0.0 * ri
                r[b, h, i] = v
    return D, R, r, ok


@njit(cache=True, inline="always", error_model="numpy", nogil=True)
def _vprob(mxy, myx, power):
    """``victory_prob``'s ``x1 / (x1 + x2)`` for coalitions ``M[x, y]``, ``M[y, x]``."""
    x1 = _strength(mxy, power)
    x2 = _strength(myx, power)
    return x1 / (x1 + x2)


@njit(cache=True, error_model="numpy", nogil=True)
def _coalitions(u, w, K, O, start, out):
    """:func:`coalitions_prop` of one draw: ``out[x, y]`` for ``u`` ``[K, >= O]``, ``w`` ``[K]``
    (voters outermost: every entry's sum still runs in voter order, rows vectorise)."""
    for x in range(O):
        for y in range(O):
            out[x, y] = start
    for k in range(K):
        wk = w[k]
        for x in range(O):
            ux = u[k, x]
            for y in range(O):
                d = ux - u[k, y]
                d *= wk
                out[x, y] += _pos(d)


#: ``inter_vec_brgn`` as the bargain kernel knows it
INTER_VEC_BRGN = {"S2P2": 0, "S1P1": 1, "S2PMax": 2}


@njit(cache=True, inline="always", error_model="numpy", nogil=True)
def _round4(x):
    """:func:`realpolitik.models.smp.primitives.round4`."""
    return np.floor(0.5 + x * 10000.0) / 10000.0


@njit(cache=True, error_model="numpy", nogil=True)
def _interpolate(pi, si, pj, sj, prb_i, prb_j, ivb, min_w, bi, bj):
    """:func:`realpolitik.models.smp.primitives.interpolate` of one pair, into ``bi``, ``bj``."""
    for k in range(pi.size):
        if ivb == 2:
            di = _pos(prb_j - prb_i)
            dj = _pos(prb_i - prb_j)
            si2 = si[k] * si[k]
            sj2 = sj[k] * sj[k]
            dik = (di * sj2) / ((di * sj2) + min_w + ((1 - di) * si2))
            djk = (dj * si2) / ((dj * si2) + min_w + ((1 - dj) * sj2))
            bi[k] = pi[k] + dik * (pj[k] - pi[k])
            bj[k] = pj[k] + djk * (pi[k] - pj[k])
        else:
            if ivb == 0:
                wik = (si[k] * si[k]) * (prb_i * prb_i)
                wjk = (sj[k] * sj[k]) * (prb_j * prb_j)
            else:
                wik = si[k] * prb_i
                wjk = sj[k] * prb_j
            den = wik + min_w + wjk
            bi[k] = _round4(((wik + min_w) * pi[k] + wjk * pj[k]) / den)
            bj[k] = _round4((wik * pi[k] + (min_w + wjk) * pj[k]) / den)


@njit(cache=True, inline="always", error_model="numpy", nogil=True)
def _dist(idl, p, s, num, dsum):
    """``bv_diff`` of one ideal ``idl`` (saliences ``s``, ``dsum`` the sum of their squares)
    against one position ``p`` (``num``: scratch of length m), as :func:`_bv_diff`."""
    m = idl.size
    for k in range(m):
        d = idl[k] - p[k]
        d *= s[k]
        num[k] = d * d
    return np.sqrt(_np_sum(num, m) / dsum)


@njit(cache=True, error_model="numpy", nogil=True)
def _argmax(g):
    """``np.argmax`` of a row (the first maximum; the first NaN if there is one)."""
    t = 0
    best = g[0]
    if best != best:
        return 0
    for j in range(1, g.size):
        v = g[j]
        if v != v:
            return j
        if v > best:
            best = v
            t = j
    return t


@njit(cache=True, error_model="numpy", nogil=True)
def bargains_prop(pos, ideal, sal, cap, D, R, r, phi, gain, power, ivb, uniforms, stochastic,
                  min_sig_edu, min_w, min_coalition):
    """The rest of :func:`realpolitik.models.smp.state.turn` for proportional voting, the
    conditional PCE and one bargain per challenge (``InitOnlyInterp``): best targets, the
    bargains, the utility of the state each produces, the coalitions, every actor's queue
    with its PCE and choice, the new positions and the driver's step
    ``sum_k sqrt(sum_m (new - pos)^2)`` of every draw.

    Draw by draw, only the bargains that exist (NumPy's path computes every initiator's,
    and options of initiators without one never enter a queue): the same numbers, every
    operation as NumPy's path does it (the queue PCE as :func:`queue_pce`, padded to the
    batch's longest queue for NumPy's pairwise total).  ``uniforms`` ``[B, n]`` (stochastic
    transitions) or ignored.  Returns ``(new [B, n, m], step [B], ok)``; ``ok`` False: some
    queue's total underflowed (the caller redoes the turn on NumPy's path).
    """
    B, n, m = pos.shape
    target = np.empty((B, n), np.int64)
    has = np.empty((B, n), np.bool_)
    cnt = np.empty(n, np.int64)
    L = 1
    for b in range(B):
        for i in range(n):
            t = _argmax(gain[b, i])
            target[b, i] = t
            has[b, i] = gain[b, i, t] > min_sig_edu
            cnt[i] = 1
        for i in range(n):
            if has[b, i]:
                cnt[i] += 1
                if target[b, i] != i:
                    cnt[target[b, i]] += 1
        for k in range(n):
            L = max(L, cnt[k])
    new = pos.copy()
    step = np.empty(B)
    bi = np.empty((n, m))
    bj = np.empty((n, m))
    V = np.empty((n, n))
    U = np.empty((n, n + 1))
    M = np.empty((n + 1, n + 1))
    opt = np.empty(n, np.int64)  # option of initiator i (0: none)
    opt_init = np.empty(n + 1, np.int64)
    opt_tgt = np.empty(n + 1, np.int64)
    queue = np.empty(L, np.int64)
    prod = np.zeros(L)
    num = np.empty(m)
    den = np.empty(m)
    moved = np.empty(n)
    ok = True
    for b in range(B):
        nopt = 1
        for i in range(n):
            opt[i] = 0
            if has[b, i]:
                t = target[b, i]
                p = phi[b, i, t]
                _interpolate(pos[b, i], sal[b, i], pos[b, t], sal[b, t], p, 1 - p, ivb, min_w, bi[i], bj[i])
                opt[i] = nopt
                opt_init[nopt] = i
                opt_tgt[nopt] = t
                nopt += 1
        # the status quo's utility to every actor a, and that of each bargain's state
        for a in range(n):
            raa = r[b, a, a]
            for x in range(n):
                V[a, x] = _bs_util(D[b, a, x], raa)
            acc = V[a, 0]
            for x in range(1, n):
                acc += V[a, x]
            U[a, 0] = acc / n
            for k in range(m):
                den[k] = sal[b, a, k] * sal[b, a, k]
            dsum = _np_sum(den, m)
            for o in range(1, nopt):
                i = opt_init[o]
                t = opt_tgt[o]
                ui = _bs_util(_dist(ideal[b, a], bi[i], sal[b, a], num, dsum), R[b, a])
                uj = _bs_util(_dist(ideal[b, a], bj[i], sal[b, a], num, dsum), R[b, a])
                v = V[a, 0] if (0 != i and 0 != t) else 0.0
                U[a, o] = v + (ui + uj)
            for x in range(1, n):  # positions in order, every option at once
                Vx = V[a, x]
                for o in range(1, nopt):
                    U[a, o] += Vx if (x != opt_init[o] and x != opt_tgt[o]) else 0.0
            for o in range(1, nopt):
                U[a, o] /= n
        _coalitions(U, cap[b], n, nopt, min_coalition, M)
        for k in range(n):
            # k's queue in KTAB's order: initiators ascending, k's status quo before k's own bargain
            q = 0
            for i in range(n):
                if i == k:
                    queue[q] = 0
                    q += 1
                if opt[i] > 0 and (i == k or target[b, i] == k):
                    queue[q] = opt[i]
                    q += 1
            for x in range(q):
                acc = 1.0
                for y in range(q):
                    w = 0.5 if x == y else _vprob(M[queue[x], queue[y]], M[queue[y], queue[x]], power)
                    acc = w if y == 0 else acc * w
                prod[x] = acc
            for x in range(q, L):
                prod[x] = 0.0
            tot = _np_sum(prod, L)
            if not tot > 0.0:
                ok = False
                continue
            if stochastic:
                cum = prod[0] / tot
                for x in range(1, L):
                    cum += prod[x] / tot
                thr = uniforms[b, k] * cum
                c = prod[0] / tot
                pick = 1 if c <= thr else 0
                for x in range(1, L):
                    c += prod[x] / tot
                    pick += 1 if c <= thr else 0
                pick = min(pick, L - 1)
                if pick >= q:
                    pick = 0
            else:
                pick = 0
                best = prod[0] / tot
                for x in range(1, q):
                    v = prod[x] / tot
                    if v > best:
                        best = v
                        pick = x
            o = queue[pick]
            if o > 0:
                i = opt_init[o]
                for d in range(m):
                    new[b, k, d] = bi[i, d] if i == k else bj[i, d]
        for k in range(n):
            for d in range(m):
                e = new[b, k, d] - pos[b, k, d]
                num[d] = e * e
            moved[k] = np.sqrt(_np_sum(num, m))
        step[b] = _np_sum(moved, n)
    return new, step, ok
