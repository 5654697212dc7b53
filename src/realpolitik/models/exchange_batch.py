"""The exchange model's Monte Carlo core in literature mode, compiled with numba.

One draw of the exchange model is a sequential, data-dependent process: candidates are
generated, the one with the largest gain is executed, the candidates that share an
actor-issue with it are recalculated, and so on until none is valid - some tens to
thousands of steps per round, each touching a handful of candidates.  Run draw by draw in
Python that is a few hundred NumPy calls on tiny arrays per round (49 ms a draw on the
default scenario); run in lock step over draws it would pay for every draw's padding at
every step.  Compiled, each draw runs the process of :class:`realpolitik.models.exchange._Round`
(float mode) in machine code and the draws follow one another in one call
(docs/DECISIONS.md, "The exchange model's Monte Carlo core is compiled").

The arithmetic is that of ``_Round`` operation for operation, in the same order, and the
issue sums follow NumPy's pairwise summation (:func:`_np_sum`), so a draw gives the single
run's numbers bit for bit (tests/test_exchange_batch.py).  Only REX's gain shares differ
in how they are drawn: from a per-draw seed (numba's generator), so that how draws are cut
into chunks never changes a draw.

References
----------
[StokmanVanOosten1994] Stokman & Van Oosten (1994), the exchange of voting positions; the
rules, numbered as in :mod:`realpolitik.models.exchange`.
[Decide2025] decide-exchange-model (the reference implementation the rules follow),
documented in ``tests/data/anchors/decide/MODEL.md`` sections 4.1-4.6.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MOVE_EPS = 1e-10  # as realpolitik.models.exchange (Decide is_move_valid)
GAIN_EPS = 1e-10

# a candidate's numbers: one row of F (float) and of B (bool) per candidate, so that the
# compiled helpers take a few arrays instead of fifty
(XSI, XSJ, XDI, XDJ, SIP, SIQ, SJP, SJQ, CIQ, CJP, STARTI, STARTJ, MI, MJ, YI, YJ, DP, DQ, GAIN, PREI, PREJ,
 UPDQ, UPDP, UPDAQ, UPDAP, LAM, NF) = range(27)
NEGI, POSI, NEGJ, POSJ, HASI, HASJ, VALID, ALIVE, HASAQ, HASAP, NB = range(11)


@njit(cache=True, nogil=True)
def _block(a, lo, n):
    """NumPy's pairwise summation of a block of at most 128 terms ``a[lo:lo + n]``."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    stop = n - (n % 8)
    while i < stop:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def _np_sum(a, n):
    """``np.sum(a[:n])`` bit for bit: NumPy's pairwise summation (blocks of 128, halves cut
    at multiples of 8), evaluated with an explicit stack (numba's cache and recursion do
    not mix)."""
    if n <= 128:
        return _block(a, 0, n)
    seg_lo = np.empty(128, np.int64)
    seg_n = np.empty(128, np.int64)
    seg_st = np.empty(128, np.int64)
    vals = np.empty(128)
    top, nv = 0, 0
    seg_lo[0], seg_n[0], seg_st[0] = 0, n, 0
    while top >= 0:
        lo, k = seg_lo[top], seg_n[top]
        if k <= 128:
            vals[nv] = _block(a, lo, k)
            nv += 1
            top -= 1
            continue
        half = k // 2
        half -= half % 8
        if seg_st[top] == 0:
            seg_st[top] = 1
            top += 1
            seg_lo[top], seg_n[top], seg_st[top] = lo, half, 0
        elif seg_st[top] == 1:
            seg_st[top] = 2
            top += 1
            seg_lo[top], seg_n[top], seg_st[top] = lo + half, k - half, 0
        else:
            vals[nv - 2] = vals[nv - 2] + vals[nv - 1]
            nv -= 1
            top -= 1
    return vals[0]


@njit(cache=True, nogil=True)
def _move_ok(mv, xs, pre, neg, pos):
    """Decide ``is_move_valid`` on a moves list (prefix summary + last element ``mv``)."""
    am = abs(mv)
    y = xs + mv
    ok = am > MOVE_EPS and am <= 100.0 and y >= 0.0 and y <= 100.0 and pre + mv <= 100.0
    return ok and ((neg and mv < 0.0) or (pos and mv > 0.0))


@njit(cache=True, nogil=True)
def _csr(keys, nkeys):
    """Candidates grouped by key: ``(order, start)``, candidates of key k are
    ``order[start[k]:start[k + 1]]`` in creation order."""
    order = np.argsort(keys, kind="mergesort")
    start = np.zeros(nkeys + 1, np.int64)
    for e in range(keys.size):
        start[keys[e] + 1] += 1
    for k in range(nkeys):
        start[k + 1] += start[k]
    return order, start


@njit(cache=True, nogil=True)
def _heap_push(hg, he, hv, size, g, e, v):
    """Push ``(gain g, candidate e, version v)`` on the max-heap ``hg/he/hv`` (grown when
    full); returns the arrays and the new size."""
    if size == hg.size:
        hg2, he2, hv2 = np.empty(2 * size), np.empty(2 * size, np.int64), np.empty(2 * size, np.int64)
        hg2[:size], he2[:size], hv2[:size] = hg, he, hv
        hg, he, hv = hg2, he2, hv2
    i = size
    while i > 0:
        parent = (i - 1) // 2
        if hg[parent] >= g:
            break
        hg[i], he[i], hv[i] = hg[parent], he[parent], hv[parent]
        i = parent
    hg[i], he[i], hv[i] = g, e, v
    return hg, he, hv, size + 1


@njit(cache=True, nogil=True)
def _heap_pop(hg, he, hv, size):
    """Remove the top of the max-heap; returns the new size."""
    size -= 1
    g, e, v = hg[size], he[size], hv[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and hg[child + 1] > hg[child]:
            child += 1
        if hg[child] <= g:
            break
        hg[i], he[i], hv[i] = hg[child], he[child], hv[child]
        i = child
    if size > 0:
        hg[i], he[i], hv[i] = g, e, v
    return size


@njit(cache=True, nogil=True)
def _round(x0, s, c, active, inorder, tie_tol, tie_last, p, voting, moved):
    """One round of exchanges on preferences ``x0`` [n, m] (``_Round`` in float mode).

    Writes the voting positions and the moved flags; returns ``(D [m], ties, executed)``.
    """
    n, m = x0.shape
    buf = np.empty(n)
    D = np.zeros(m)
    base = np.zeros(m)
    O = np.zeros(m)
    for u in range(m):
        k = 0
        for a in range(n):
            if inorder[a, u]:
                buf[k] = s[a, u] * c[a, u]
                k += 1
        D[u] = _np_sum(buf, k)
        k = 0
        for a in range(n):
            if inorder[a, u]:
                buf[k] = x0[a, u] * s[a, u] * c[a, u]
                k += 1
        base[u] = _np_sum(buf, k)
        O[u] = base[u] / D[u] if D[u] != 0.0 else 0.0
    right = np.zeros((n, m), np.bool_)
    left = np.zeros((n, m), np.bool_)
    for a in range(n):
        for u in range(m):
            if active[a, u]:
                right[a, u] = x0[a, u] > O[u]
                left[a, u] = x0[a, u] < O[u]
    # ---- candidates in creation order: issue pairs, A-D before B-C, first actor, second
    N = 0
    for pi in range(m):
        for qi in range(pi + 1, m):
            na = nb = nc = nd = 0
            for a in range(n):
                if (left[a, pi] or right[a, pi]) and (left[a, qi] or right[a, qi]):
                    if right[a, pi] and right[a, qi]:
                        na += 1
                    elif left[a, pi] and right[a, qi]:
                        nb += 1
                    elif right[a, pi] and left[a, qi]:
                        nc += 1
                    else:
                        nd += 1
            N += na * nd + nb * nc
    g1 = np.empty(N, np.int64)
    g2 = np.empty(N, np.int64)
    pp = np.empty(N, np.int64)
    qq = np.empty(N, np.int64)
    grp = np.empty((4, n), np.int64)
    cnt = np.zeros(4, np.int64)
    e = 0
    for pi in range(m):
        for qi in range(pi + 1, m):
            cnt[:] = 0
            for a in range(n):
                if (left[a, pi] or right[a, pi]) and (left[a, qi] or right[a, qi]):
                    if right[a, pi] and right[a, qi]:
                        t = 0
                    elif left[a, pi] and right[a, qi]:
                        t = 1
                    elif right[a, pi] and left[a, qi]:
                        t = 2
                    else:
                        t = 3
                    grp[t, cnt[t]] = a
                    cnt[t] += 1
            for (t1, t2) in ((0, 3), (1, 2)):
                for i1 in range(cnt[t1]):
                    for i2 in range(cnt[t2]):
                        g1[e] = grp[t1, i1]
                        g2[e] = grp[t2, i2]
                        pp[e] = pi
                        qq[e] = qi
                        e += 1
    I = np.empty(N, np.int64)
    J = np.empty(N, np.int64)
    F = np.zeros((N, NF))
    B = np.zeros((N, NB), np.bool_)
    for e in range(N):
        a1, a2, pe, qe = g1[e], g2[e], pp[e], qq[e]
        if s[a1, pe] / s[a1, qe] < s[a2, pe] / s[a2, qe]:
            I[e], J[e] = a2, a1
        else:
            I[e], J[e] = a1, a2
        f = F[e]
        f[SIP], f[SIQ], f[SJP], f[SJQ] = s[I[e], pe], s[I[e], qe], s[J[e], pe], s[J[e], qe]
        f[CIQ], f[CJP] = c[I[e], qe], c[J[e], pe]
        f[XSI], f[XSJ] = x0[I[e], qe], x0[J[e], pe]  # supply positions (chained)
        f[XDI], f[XDJ] = x0[I[e], pe], x0[J[e], qe]  # demand positions
        f[STARTI], f[STARTJ] = f[XSI], f[XSJ]
        b = B[e]
        b[NEGI], b[POSI], b[NEGJ], b[POSJ], b[ALIVE] = True, True, True, True, True
    rex = p > 0.0
    if rex:
        for e in range(N):
            F[e, LAM] = np.random.uniform(0.5 - p / 2, 0.5 + p / 2)
    # recorded updates of demand-side positions: (candidate, issue, actor) -> position
    keys = np.full(1024, -1, np.int64)
    vals = np.empty(1024)
    used = 0
    nk = n * m
    supI_o, supI_s = _csr(I * m + qq, nk)
    supJ_o, supJ_s = _csr(J * m + pp, nk)
    demI_o, demI_s = _csr(I * m + pp, nk)
    demJ_o, demJ_s = _csr(J * m + qq, nk)
    # candidates by gain: a max-heap of (gain, candidate, version); an entry is current while
    # the candidate is alive, valid and not recalculated since (its version), so the current
    # entries are exactly the candidates the scan of ``_Round.run`` would consider
    hg, he, hv = np.empty(N + 16), np.empty(N + 16, np.int64), np.empty(N + 16, np.int64)
    hs = 0
    ver = np.zeros(N, np.int64)
    for e in range(N):
        _calculate(F[e], B[e], True, True, D[pp[e]], D[qq[e]], base[pp[e]], base[qq[e]], s[I[e], qq[e]] * c[I[e], qq[e]],
                   s[J[e], pp[e]] * c[J[e], pp[e]], rex)
        if B[e, VALID]:
            hg, he, hv, hs = _heap_push(hg, he, hv, hs, F[e, GAIN], e, 0)
    # ---- execute in order of gain
    for a in range(n):
        for u in range(m):
            voting[a, u] = x0[a, u]
            moved[a, u] = False
    ties = 0
    executed = 0
    mark = np.zeros(N, np.int64)  # 1/16: I supplies on xi's issue of I/J, 2/32: J does; 4/64: demand side
    K = np.empty(N, np.int64)
    tied = np.empty(N, np.int64)
    while True:
        # the largest gain among the current entries (stale ones are dropped on the way)
        while hs > 0 and not (B[he[0], ALIVE] and B[he[0], VALID] and hv[0] == ver[he[0]]):
            hs = _heap_pop(hg, he, hv, hs)
        if hs == 0:
            break
        gmax = hg[0]
        # every current entry within the tie tolerance (popped in descending gain), then the
        # first created (or last) of them is executed and the others go back on the heap
        nt = 0
        while hs > 0:
            e = he[0]
            if not (B[e, ALIVE] and B[e, VALID] and hv[0] == ver[e]):
                hs = _heap_pop(hg, he, hv, hs)
                continue
            if not gmax - hg[0] <= tie_tol:
                break
            tied[nt] = e
            nt += 1
            hs = _heap_pop(hg, he, hv, hs)
        xi = tied[0]
        for r in range(1, nt):
            if (tied[r] > xi) if tie_last else (tied[r] < xi):
                xi = tied[r]
        for r in range(nt):
            if tied[r] != xi:
                hg, he, hv, hs = _heap_push(hg, he, hv, hs, F[tied[r], GAIN], tied[r], ver[tied[r]])
        if nt > 1:
            ties += 1
        B[xi, ALIVE] = False
        executed += 1
        voting[I[xi], qq[xi]] = F[xi, YI]
        voting[J[xi], pp[xi]] = F[xi, YJ]
        moved[I[xi], qq[xi]] = True
        moved[J[xi], pp[xi]] = True
        # ---- recalculate the candidates that share an actor-issue with xi (MODEL.md 4.6)
        aXi, aXj = I[xi], J[xi]
        supXi, supXj = qq[xi], pp[xi]
        demXi, demXj = supXj, supXi
        yXi, yXj = F[xi, YI], F[xi, YJ]
        nK = 0
        # lookups first (alive and valid at this moment), then the changes
        for (o, st, key, flag) in ((supI_o, supI_s, aXi * m + supXi, 1), (supI_o, supI_s, aXj * m + supXj, 16),
                                   (supJ_o, supJ_s, aXi * m + supXi, 2), (supJ_o, supJ_s, aXj * m + supXj, 32),
                                   (demJ_o, demJ_s, aXj * m + demXj, 4), (demI_o, demI_s, aXj * m + demXj, 4),
                                   (demJ_o, demJ_s, aXi * m + demXi, 64), (demI_o, demI_s, aXi * m + demXi, 64)):
            for r in range(st[key], st[key + 1]):
                f = o[r]
                if B[f, ALIVE] and B[f, VALID]:
                    if mark[f] == 0:
                        K[nK] = f
                        nK += 1
                    mark[f] |= flag
        for r in range(nK):
            f = K[r]
            if mark[f] & 1:
                F[f, XSI] = yXi
            if mark[f] & 16:
                F[f, XSI] = yXj
            if mark[f] & 2:
                F[f, XSJ] = yXi
            if mark[f] & 32:
                F[f, XSJ] = yXj
        # demand-side updates: first every dm1 entry (actor aXi on issue demXj), then dm2;
        # the hash table is kept at most half full (at most nK new entries per pass)
        for (flag, u, k, yk, start) in ((4, demXj, aXi, yXi, F[xi, STARTI]), (64, demXi, aXj, yXj, F[xi, STARTJ])):
            while 2 * (used + nK) > keys.size:
                keys, vals = _grow(keys, vals)
            for r in range(nK):
                f = K[r]
                if mark[f] & flag:
                    used += _set_update(keys, vals, F[f], B[f], f, u, k, yk, start, x0[k, u], s[k, u] * c[k, u],
                                        m, n, qq[f] == u, I[f], J[f])
        for r in range(nK):
            f = K[r]
            push_I = (mark[f] & (1 | 16)) != 0
            push_J = (mark[f] & (2 | 32)) != 0
            mark[f] = 0
            _calculate(F[f], B[f], push_I, push_J, D[pp[f]], D[qq[f]], base[pp[f]], base[qq[f]],
                       s[I[f], qq[f]] * c[I[f], qq[f]], s[J[f], pp[f]] * c[J[f], pp[f]], rex)
            ver[f] += 1
            if B[f, VALID]:
                hg, he, hv, hs = _heap_push(hg, he, hv, hs, F[f, GAIN], f, ver[f])
    return D, ties, executed


@njit(cache=True, nogil=True)
def _slot(keys, key):
    """Open addressing (linear probing) in ``keys`` (a power-of-two table, -1 = free):
    the slot holding ``key``, or the free slot where it goes."""
    mask = keys.size - 1
    h = (key * 0x9E3779B1) & mask
    while keys[h] != -1 and keys[h] != key:
        h = (h + 1) & mask
    return h


@njit(cache=True, nogil=True)
def _grow(keys, vals):
    """The table at twice the size, every entry re-inserted."""
    nk = np.full(keys.size * 2, -1, np.int64)
    nv = np.empty(keys.size * 2)
    for i in range(keys.size):
        if keys[i] != -1:
            h = _slot(nk, keys[i])
            nk[h] = keys[i]
            nv[h] = vals[i]
    return nk, nv


@njit(cache=True, nogil=True)
def _set_update(keys, vals, f, b, e, u, k, val, start, x0ku, cs, m, n, on_q, Ie, Je):
    """Record actor k's position ``val`` on issue u for candidate e (Decide ``update_updates``):
    a second entry keeps the smaller value when the actor started at or below the first one,
    else the larger; the candidate's outcome sums follow (``_set_update_float``; ``cs`` = the
    actor's ``s c`` on u, ``on_q``: u is the candidate's issue q).  The entries live in the
    hash table ``keys``/``vals``; returns 1 when a new entry was made."""
    key = (e * m + u) * n + k
    h = _slot(keys, key)
    fresh = keys[h] == -1
    if fresh:
        old = x0ku
        new = val
        keys[h] = key
    else:
        prev = vals[h]
        old = prev
        if start <= prev:
            new = min(prev, val)
        else:
            new = max(prev, val)
    vals[h] = new
    if on_q:
        f[UPDQ] += cs * (new - old)
        if Ie == k:
            f[UPDAQ] = new
            b[HASAQ] = True
    else:
        f[UPDP] += cs * (new - old)
        if Je == k:
            f[UPDAP] = new
            b[HASAP] = True
    return 1 if fresh else 0


@njit(cache=True, nogil=True)
def _ratio(f):
    """REX: ``R = ((1 - lambda) s_Ip + lambda s_Jp) / ((1 - lambda) s_Iq + lambda s_Jq)`` (dq = R dp)."""
    lm = f[LAM]
    return ((1 - lm) * f[SIP] + lm * f[SJP]) / ((1 - lm) * f[SIQ] + lm * f[SJQ])


@njit(cache=True, nogil=True)
def _calculate(f, b, push_I, push_J, Sp, Sq, base_p, base_q, csIq, csJp, rex):
    """Decide ``calculate`` for one candidate (section 4.4 steps 1-6 and the cap 4.5); ``Sp``,
    ``Sq`` the issues' ``sum s c``, ``base_*`` their ``sum x s c``, ``cs*`` the exchange actors'
    own ``s c`` on their supply issues."""
    sIp, sIq, sJp, sJq, cIq, cJp = f[SIP], f[SIQ], f[SJP], f[SJQ], f[CIQ], f[CJP]
    xsI, xsJ, xdI, xdJ = f[XSI], f[XSJ], f[XDI], f[XDJ]
    R = _ratio(f) if rex else 0.0
    r_pq = R if rex else (sJp + sIp) / (sJq + sIq)
    dist_p = abs(xdI - xsJ)
    d_p = (dist_p * sJp * cJp) / Sp
    d_q = r_pq * d_p
    m_I = (d_q * Sq) / (cIq * sIq)
    m_J = dist_p
    dist_q = abs(xdJ - xsI)
    if abs(m_I) > dist_q:
        d_q = (dist_q * sIq * cIq) / Sq
        d_p = (1.0 / R if rex else (sIq + sJq) / (sIp + sJp)) * d_q
        m_I = dist_q
        m_J = (d_p * Sp) / (cJp * sJp)
    if xsI > xdJ:
        m_I = -m_I
    if xsJ > xdI:
        m_J = -m_J
    if push_I and b[HASI]:
        lv = f[MI]
        f[PREI] = f[PREI] + lv
        b[NEGI] = b[NEGI] and lv < 0.0
        b[POSI] = b[POSI] and lv > 0.0
    b[HASI] = True
    if push_J and b[HASJ]:
        lv = f[MJ]
        f[PREJ] = f[PREJ] + lv
        b[NEGJ] = b[NEGJ] and lv < 0.0
        b[POSJ] = b[POSJ] and lv > 0.0
    b[HASJ] = True
    euI = abs(d_q * sIq - d_p * sIp)
    euJ = abs(d_p * sJp - d_q * sJq)
    g = (euI + euJ) / 2 if rex else euI
    f[MI], f[MJ] = m_I, m_J
    f[YI], f[YJ] = xsI + m_I, xsJ + m_J
    f[DP], f[DQ], f[GAIN] = d_p, d_q, g
    ok = (_move_ok(m_I, xsI, f[PREI], b[NEGI], b[POSI]) and _move_ok(m_J, xsJ, f[PREJ], b[NEGJ], b[POSJ])
          and not g < GAIN_EPS)
    if ok:
        _check_nbs(f, b, True, Sq, Sp, base_q, csIq, rex)
        _check_nbs(f, b, False, Sp, Sq, base_p, csJp, rex)
        ok = (_move_ok(f[MI], f[XSI], f[PREI], b[NEGI], b[POSI])
              and _move_ok(f[MJ], f[XSJ], f[PREJ], b[NEGJ], b[POSJ]))
    b[VALID] = ok


@njit(cache=True, nogil=True)
def _check_nbs(f, b, who_I, Du, Dw, base_u, csA_own, rex):
    """Decide ``check_nbs`` (section 4.5) for actor I (``who_I``: supply issue u = q, the
    partner's w = p) or J (u = p, w = q) of one candidate; ``csA_own`` = ``s c`` of the actor
    on u as the scenario holds it."""
    if who_I:
        xsA, xdA, xsB, xdB, yA = f[XSI], f[XDI], f[XSJ], f[XDJ], f[YI]
        sAu, cAu, sBu, sAw, sBw, cBw = f[SIQ], f[CIQ], f[SJQ], f[SIP], f[SJP], f[CJP]
        us, hA, uA, x0A = f[UPDQ], b[HASAQ], f[UPDAQ], f[STARTI]
    else:
        xsA, xdA, xsB, xdB, yA = f[XSJ], f[XDJ], f[XSI], f[XDI], f[YJ]
        sAu, cAu, sBu, sAw, sBw, cBw = f[SJP], f[CJP], f[SIP], f[SJQ], f[SIQ], f[CIQ]
        us, hA, uA, x0A = f[UPDP], b[HASAP], f[UPDAP], f[STARTJ]
    csA = sAu * cAu
    common = base_u + us - (csA * (uA - x0A) if hA else 0.0) - csA * x0A
    n0 = (common + csA * xsA) / Du
    n1 = (common + csA * yA) / Du
    x = xdB
    if (x >= n0 and x >= n1) or (x <= n0 and x <= n1):
        return
    tot = base_u + us + (0.0 if hA else csA * (xsA - x0A))
    delta = abs((x * Du - tot) / csA_own)
    r_u = (delta * sAu * cAu) / Du
    if rex:
        R = _ratio(f)
        r_w = r_u / R if who_I else r_u * R
    else:
        r_w = ((sAu + sBu) / (sAw + sBw)) * r_u
    mB = abs((r_w * Dw) / (cBw * sBw))
    mA = delta
    if xsB > xdA:
        mB = -mB
    if xsA > xdB:
        mA = -mA
    euB = abs(r_w * sBw - r_u * sBu)
    euA = abs(r_w * sAw - r_u * sAu)
    g = (euA + euB) / 2 if rex else euB
    if who_I:
        f[MI], f[MJ] = mA, mB
        f[YI], f[YJ] = xsA + mA, xsB + mB
    else:
        f[MJ], f[MI] = mA, mB
        f[YJ], f[YI] = xsA + mA, xsB + mB
    f[DP], f[DQ] = r_u, r_w
    f[GAIN] = g


@njit(cache=True, nogil=True)
def simulate_draws(X, S, C, ACT, lower, step, rounds, sw, fw, tie_tol, tie_last, p, seeds,
                   ev_round, ev_field, ev_actor, ev_issue, ev_value, ev_happens, f_cap, f_sal, f_pos, f_leave):
    """Voting outcomes ``[draw, round, issue]`` (internal 0-100 scale) and, per draw and issue,
    whether anyone still takes part at the end (``[draw, issue]``).

    ``X``/``S``/``C`` ``[draw, n, m]``: positions on the issues' scales (NaN: not taking part),
    salience fractions, capabilities; ``ACT`` ``[draw, n, m]``: takes part.  Events: one entry
    per schedule entry (``ev_round`` >= 1, its field code, actor, issue (-1: every issue),
    value per draw ``[draw, entry]``, happens per draw ``[draw, entry]``).  ``seeds``: REX's
    per-draw seeds (``p > 0``).
    """
    Dn, n, m = X.shape
    out = np.full((Dn, rounds, m), np.nan)
    present = np.zeros((Dn, m), np.bool_)
    voting = np.empty((n, m))
    moved = np.empty((n, m), np.bool_)
    buf = np.empty(n)
    for d in range(Dn):
        if p > 0.0:
            np.random.seed(seeds[d])
        active = ACT[d].copy()
        inorder = active.copy()
        s = np.where(active, S[d], 0.0)
        c = np.where(active, C[d], 0.0)
        x = np.zeros((n, m))
        for a in range(n):
            for u in range(m):
                if active[a, u]:
                    x[a, u] = (X[d, a, u] - lower[u]) * step[u]
        for r in range(1, rounds + 1):
            for k in range(ev_round.size):
                if ev_round[k] != r or not ev_happens[d, k]:
                    continue
                a, j, fld = ev_actor[k], ev_issue[k], ev_field[k]
                v = ev_value[d, k]
                for u in range(m):
                    if j >= 0 and u != j:
                        continue
                    if not active[a, u] and fld != f_leave:
                        continue
                    if fld == f_cap:
                        c[a, u] = v
                    elif fld == f_sal:
                        s[a, u] = v
                    elif fld == f_pos:
                        x[a, u] = (v - lower[u]) * step[u]
                    elif fld == f_leave:
                        active[a, u] = False
                if fld == f_leave:
                    for u in range(m):
                        inorder[a, u] = False
            Dr, _, _ = _round(x, s, c, active, inorder, tie_tol, tie_last, p, voting, moved)
            for u in range(m):
                k = 0
                for a in range(n):
                    if inorder[a, u]:
                        buf[k] = voting[a, u] * s[a, u] * c[a, u]
                        k += 1
                num = _np_sum(buf, k)
                out[d, r - 1, u] = num / Dr[u] if Dr[u] != 0.0 else 0.0
            for a in range(n):
                for u in range(m):
                    if moved[a, u]:
                        x[a, u] = (1.0 - s[a, u]) * sw * voting[a, u] + fw * voting[a, u] + (
                            1.0 - (1.0 - s[a, u]) * sw - fw) * x[a, u]
        for u in range(m):
            for a in range(n):
                if inorder[a, u]:
                    present[d, u] = True
    return out, present
