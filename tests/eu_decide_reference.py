"""The expected-utility batch core's ``decide`` as it was before its per-draw passes were
rewritten (session 5, issue 17): a test-only reference that the compiled ``decide`` must match
bit for bit on every output (tests/test_expected_utility_batch.py).  Kept verbatim (the
body of ``realpolitik.models.expected_utility_batch.decide`` at e8bbd03), calling the shared
helpers it called then."""

from __future__ import annotations

import numpy as np
from numba import njit

from realpolitik.models.expected_utility_batch import _classify1, _eu_term, _nanmin, _prob_scratch, _probs


@njit(cache=False, error_model="numpy")
def _choose1(tied, offer, orig, n, lowest):
    """The choice of one receiver as the former `decide` made it (the kernel now inlines
    it as `_decide_choose`): :func:`~realpolitik.models.expected_utility._choose` of one receiver (-1 becomes 0 as
    NumPy's argmin of an all-``big`` row)."""
    if lowest:
        o = np.empty(n)
        for j in range(n):
            o[j] = offer[j] if tied[j] else np.inf
        mo = _nanmin(o, n)
        for j in range(n):
            tied[j] = tied[j] and o[j] == mo
    best = -1
    for j in range(n):
        if tied[j] and (best < 0 or orig[j] < orig[best]):
            best = j
    return 0 if best < 0 else best


@njit(cache=False, error_model="numpy")
def decide_reference(x, dist, N, eN, D, eD, paper, escale, emA, epA, hA, emB, epB, hB, s, facA, facB, colB, own_salience, R,
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
    X = np.empty((B, n))
    TG = np.empty((B, n), np.int64)
    KD = np.empty((B, n), np.int64)
    SA = np.empty((B, n))
    SB = np.empty((B, n))
    UD = np.empty((B, n), np.bool_)
    SH = np.zeros(B, np.bool_)
    a = np.empty((n, n))
    bq = np.empty((n, n))
    ea = np.empty((n, n))
    eb = np.empty((n, n))
    pri = np.empty((n, n), np.int64)
    lop = np.empty((n, n), np.int64)
    hip = np.empty((n, n), np.int64)
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
    cor = np.empty(5, np.int64)
    P, eP, Pf, ePf, Nf, eNf = _prob_scratch(N, eN, B, n)
    PT = np.empty((n, n))
    ePT = np.empty((n, n))
    four_eps = 4 * eps
    for bi in range(B):
        xb = x[bi]
        orig = order[bi]
        _probs(N, eN, Nf, eNf, D, eD, paper, dist, bi, n, P, eP, Pf, ePf)
        if escale is not None:
            for i in range(n):
                for j in range(n):
                    eP[i, j] = eP[i, j] + escale[bi] * P[i, j]
        # expected utilities with their bounds (expected_utility_terms: a, then b):
        # g = -h em, dU = h (ep - em); b reads P transposed, its h and fac the row's or,
        # with colB, the column's, its resist weight the row's (own_salience) or the column's
        for i in range(n):
            for j in range(n):
                PT[i, j] = P[j, i]
                ePT[i, j] = eP[j, i]
        for i in range(n):
            h = hA[bi, i]
            f = facA[bi, i]
            for j in range(n):
                em = emA[bi, i, j]
                ai, eai = _eu_term(-h * em, h * (epA[bi, i, j] - em), P[i, j], eP[i, j], s[bi, j], f)
                a[i, j] = ai
                ea[i, j] = eai
        for i in range(n):
            hr = hB[bi, i]
            fr = facB[bi, i]
            si = s[bi, i]
            for j in range(n):
                hh = hB[bi, j] if colB else hr
                ff = facB[bi, j] if colB else fr
                sres = si if own_salience else s[bi, j]
                em = emB[bi, i, j]
                bv, ebv = _eu_term(-hh * em, hh * (epB[bi, i, j] - em), PT[i, j], ePT[i, j], sres, ff)
                bq[i, j] = bv
                eb[i, j] = ebv
        # regions of Fig. 6 and, where the error box crosses a boundary, at its corners
        for i in range(n):
            st = 4
            for j in range(n):
                p = _classify1(a[i, j], bq[i, j], capitulation, conflict) if dist[bi, i, j] > 0.0 else 4
                pri[i, j] = p
                lop[i, j] = p
                hip[i, j] = p
                if p < st:
                    st = p
            stage[i] = st
            und[i] = False
            for j in range(n):
                if not dist[bi, i, j] > 0.0:
                    continue
                av, bv, eav, ebv = a[i, j], bq[i, j], ea[i, j], eb[i, j]
                aa = abs(av)
                bb = abs(bv)
                box = aa <= eav
                box |= bb <= ebv
                box |= abs(aa - bb) <= eav + ebv
                if not box:
                    continue
                k = 0
                for sa in (-1.0, 1.0):
                    for sb in (-1.0, 1.0):
                        cor[k] = _classify1(av + sa * eav, bv + sb * ebv, capitulation, conflict)
                        k += 1
                cor[4] = pri[i, j]
                lo = cor[0]
                hi = cor[0]
                for k in range(1, 5):
                    lo = min(lo, cor[k])
                    hi = max(hi, cor[k])
                if (abs(av) <= eav) and (abs(bv) <= ebv):
                    lo, hi = 1, 4
                lop[i, j] = lo
                hip[i, j] = hi
                if lo < st and hi != lo:
                    und[i] = True
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
            for j in range(n):
                m[j] = pri[i, j] == p
                maybe[j] = (lop[i, j] <= p) and (hip[i, j] >= p) and not m[j]
            if p == 2:
                for j in range(n):
                    kv[j] = np.inf
                    if not (m[j] or maybe[j] or j == 0):
                        continue  # never read (j = 0: the choice of a receiver without one)
                    xj = xb[j]
                    aa = abs(a[i, j])
                    bb = abs(bq[i, j])
                    frac = aa / (bb if bq[i, j] != 0 else 1.0)
                    offer[j] = xi + (xj - xi) * frac
                    gap = abs(xj - xi)
                    if weighted:
                        key[j] = (aa * xi + bb * xj) / (aa + bb)
                        den = aa + bb
                        ek[j] = gap * (ea[i, j] * bb + eb[i, j] * aa) / (den * den) + four_eps * (abs(xi) + abs(xj))
                    else:
                        key[j] = gap * frac
                        ek[j] = key[j] * (ea[i, j] / aa + eb[i, j] / bb + four_eps)
                    if m[j]:
                        kv[j] = key[j]
                best = _nanmin(kv, n)
                for j in range(n):
                    tied[j] = m[j] and kv[j] == best
                jj = _choose1(tied, offer, orig, n, lowest)
                kb = key[jj]
                ekb = ek[jj]
                xt = xb[jj]
                any_near = False
                for j in range(n):
                    same = (xb[j] == xt) and (a[i, j] == a[i, jj]) and (bq[i, j] == bq[i, jj])
                    if j != jj and (m[j] or maybe[j]) and not same and (key[j] - ek[j] <= kb + ekb):
                        any_near = True
                mv = offer[jj]
                lands = abs(mv - xt) <= tol
                stays = (abs(mv - xi) <= tol) and (xt != xi)
                short[i] = lands or stays
                if lands and mv == xt:
                    mv = np.nextafter(xt, xi)
            else:
                for j in range(n):
                    xj = xb[j]
                    g = xj - xi
                    bv = g - xj
                    lo = (xj - (g - bv)) + (-xi - bv)
                    ghi[j] = abs(g)
                    glo[j] = (-1.0 if g < 0 else 1.0) * lo
                    kv[j] = ghi[j] if m[j] else np.inf
                bh = _nanmin(kv, n)
                for j in range(n):
                    key[j] = glo[j] if (m[j] and kv[j] == bh) else np.inf
                bl = _nanmin(key, n)
                for j in range(n):
                    tied[j] = m[j] and kv[j] == bh and key[j] == bl
                jj = _choose1(tied, xb, orig, n, lowest)
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
