"""SMP primitives (KTAB's ``SMPModel`` and ``Model`` functions), vectorised over a batch axis.

Utilities and distances, votes, risk attitudes, coalitions, victory probabilities, the
probabilistic Condorcet election (PCE) and the bargain interpolation.
"""

from __future__ import annotations

import numpy as np

from realpolitik.models.smp import params
from realpolitik.models.smp.params import (
    BINARY_VOTE_TOL,
    MARKOV_INCENTIVE_TOL,
    MARKOV_MAX_ITER,
    MARKOV_UNIFORM_TOL,
    MIN_COALITION,
    MIN_W,
)


def bs_util(d: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``SMPModel::bsUtil``: ``(1-d)(1+dR)`` for d <= 1, ``(1-d)(1+R)`` beyond."""
    return np.where(d <= 1.0, (1.0 - d) * (1.0 + d * r), (1.0 - d) * (1.0 + r))


def lane_sum(terms) -> np.ndarray:
    """``np.sum(np.stack(terms, -1), axis=-1)`` bit for bit, without the stack: NumPy sums a
    short last axis in eight lanes (``r_j += a[8k + j]``), combines them pairwise and adds the
    rest in order (a plain running sum below eight terms).  Summing issue by issue on whole
    ``[..., n, p]`` arrays avoids NumPy's slow reductions over an axis of a few elements."""
    m = len(terms)
    if m < 8:
        out = terms[0].copy()
        for t in terms[1:]:
            out += t
        return out
    r = [terms[j].copy() for j in range(8)]
    stop = m - m % 8
    for i in range(8, stop, 8):
        for j in range(8):
            r[j] += terms[i + j]
    out = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for t in terms[stop:]:
        out += t
    return out


def bv_diff(ideal: np.ndarray, pos: np.ndarray, sal: np.ndarray) -> np.ndarray:
    """``SMPModel::bvDiff`` for every pair: ``[..., n, m]`` ideals (with their saliences)
    against ``[..., p, m]`` positions -> ``[..., n, p]`` (issue by issue, :func:`lane_sum`)."""
    m = ideal.shape[-1]
    if m > 128:  # NumPy's pairwise blocks: keep its own reduction
        ds = (ideal[..., :, None, :] - pos[..., None, :, :]) * sal[..., :, None, :]
        return np.sqrt(np.sum(ds * ds, axis=-1) / np.sum(sal * sal, axis=-1)[..., :, None])
    sq = []
    for k in range(m):
        d = ideal[..., :, None, k] - pos[..., None, :, k]
        d *= sal[..., :, None, k]
        d *= d
        sq.append(d)
    num = lane_sum(sq)
    den = lane_sum([sal[..., k] * sal[..., k] for k in range(m)])[..., :, None]
    return np.sqrt(num / den)


def vote(w: np.ndarray | float, du: np.ndarray, rule: str) -> np.ndarray:
    """``Model::vote``: the vote ``w f(du)`` of a voter with weight w and utility gap du."""
    if rule == "Prop":
        return w * du
    if rule == "Binary":
        return w * np.clip(du / BINARY_VOTE_TOL, -1.0, 1.0)
    if rule == "PropBin":
        return w * ((1 - 0.2) * du + 0.2 * np.clip(du / BINARY_VOTE_TOL, -1.0, 1.0))
    if rule == "PropCbc":
        return w * ((1 - 0.5) * du + 0.5 * (du * du * du))
    if rule == "Cubic":
        return w * (du * du * du)
    if rule == "ASymProsp":
        return np.where(du < 0.0, w * du, np.where(du > 0.0, (2.0 * w * du) / 3.0, 0.0))
    raise ValueError(f"unknown voting rule {rule!r}")


def est_nra(rh: np.ndarray, ri: np.ndarray, adjust: str) -> np.ndarray:
    """``Model::estNRA``: h's estimate of i's risk attitude."""
    if adjust == "Full":
        return ri + 0.0 * rh
    if adjust == "TwoThirds":
        return (rh + (2.0 * ri)) / 3.0
    if adjust == "Half":
        return (rh + ri) / 2
    if adjust == "OneThird":
        return ((2.0 * rh) + ri) / 3.0
    if adjust == "None":
        return rh + 0.0 * ri
    raise ValueError(f"unknown BigRAdjust {adjust!r}")


def big_r_from_prob(p: np.ndarray, rng_: str) -> np.ndarray:
    """``Model::bigRfromProb`` over the last axis.  Where all p are equal KTAB divides by
    zero; we return risk neutrality (R = 0) there (docs/DECISIONS.md)."""
    pmin = p.min(axis=-1, keepdims=True)
    pmax = p.max(axis=-1, keepdims=True)
    span = pmax - pmin
    safe = np.where(span > 0, span, 1.0)
    if rng_ == "Min":
        r = (p - pmin) / safe
    elif rng_ == "Mid":
        r = (3 * p - (pmax + 2 * pmin)) / (2 * safe)
    elif rng_ == "Max":
        r = (2 * p - (pmax + pmin)) / safe
    else:
        raise ValueError(f"unknown BigRRange {rng_!r}")
    return np.where(span > 0, r, 0.0)


def coalitions(u: np.ndarray, w: np.ndarray, rule: str, fast: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``Model::coalitions`` for every ordered pair of options.

    ``u`` is ``[..., voter, option]``, ``w`` ``[..., voter]``.  Returns ``(M, NT)``: for a
    pair whose vote KTAB computes as ``vote(x, y)`` (x the later option),
    ``C[x, y] = M[x, y]`` and ``C[y, x] = NT[y, x]``.  For every rule but ASymProsp the
    vote is antisymmetric and ``NT == M``.

    The work ``[..., voter, x, y]`` is done in blocks of rows x that fit in cache; the
    voter axis is outermost in memory, so the sums run in voter order from minC, as KTAB's.
    Large batches with proportional voting run it compiled (:mod:`realpolitik.models.smp.kernels`,
    the same numbers; ``fast``: see :func:`~realpolitik.models.smp.params.compiled`).
    """
    K, O = u.shape[-2], u.shape[-1]
    lead = u.shape[:-2]
    size = int(np.prod(lead, dtype=np.int64)) if lead else 1
    if rule == "Prop" and params.compiled(size, O, fast):
        from realpolitik.models.smp.kernels import coalitions_prop

        ww = np.broadcast_to(w, lead + (K,)).reshape(size, K)
        m = coalitions_prop(u.reshape(size, K, O), ww, MIN_COALITION).reshape(lead + (O, O))
        return m, m
    step = int(max(1, min(O, (params.BLOCK_ELEMENTS // 20) // max(1, size * K * O))))
    asym = rule == "ASymProsp"
    m = np.empty(lead + (O, O))
    n = np.empty(lead + (O, O)) if asym else m
    wk = w[..., :, None, None]
    for x0 in range(0, O, step):
        du = u[..., :, x0 : x0 + step, None] - u[..., :, None, :]  # [..., k, x, y] = u_x - u_y
        if rule == "Prop":
            du *= wk
            v = du
        else:
            v = vote(wk, du, rule)
        if asym:
            n[..., x0 : x0 + step, :] = np.sum(np.maximum(-v, 0.0), axis=-3, initial=MIN_COALITION)
        np.maximum(v, 0.0, out=v)
        m[..., x0 : x0 + step, :] = np.sum(v, axis=-3, initial=MIN_COALITION)
    return (m, np.swapaxes(n, -1, -2)) if asym else (m, m)


def orient(m: np.ndarray, nt: np.ndarray, rank: np.ndarray | None = None) -> np.ndarray:
    """Coalition matrix with KTAB's lower-left convention: entry (x, y) comes from M when
    x is later than y in the option list (``rank``), from NT otherwise; diagonal minC."""
    L = m.shape[-1]
    if rank is None:
        idx = np.arange(L)
        later = idx[:, None] > idx[None, :]
    else:
        later = rank[..., :, None] > rank[..., None, :]
    c = m if m is nt else np.where(later, m, nt)
    eye = np.eye(L, dtype=bool)
    return np.where(eye, MIN_COALITION, c)


def victory_prob(c: np.ndarray, vpm: str) -> np.ndarray:
    """``Model::vProb``: ``P[a > b]`` from coalition strengths; diagonal 0.5."""
    s1 = c
    s2 = np.swapaxes(c, -1, -2)
    if vpm == "Linear":
        x1, x2 = s1, s2
    elif vpm == "Square":
        x1, x2 = s1 * s1, s2 * s2
    elif vpm == "Quartic":
        x1, x2 = (s1 * s1) * (s1 * s1), (s2 * s2) * (s2 * s2)
    elif vpm == "Octic":
        q1, q2 = (s1 * s1) * (s1 * s1), (s2 * s2) * (s2 * s2)
        x1, x2 = q1 * q1, q2 * q2
    elif vpm == "Binary":
        thresh = 1.10
        r12 = s1 / (s1 + s2)
        p12 = (r12 * (thresh + 1.0) - 1.0) / (thresh - 1.0)
        x1 = np.where(s1 >= thresh * s2, 1.0, np.where(s2 >= thresh * s1, 1e-6, p12))
        x2 = np.where(s1 >= thresh * s2, 1e-6, np.where(s2 >= thresh * s1, 1.0, 1 - p12))
    else:
        raise ValueError(f"unknown victory probability model {vpm!r}")
    p = x1 / (x1 + x2)
    L = c.shape[-1]
    return np.where(np.eye(L, dtype=bool), 0.5, p)


def pce(c: np.ndarray, vpm: str, model: str, valid: np.ndarray | None = None) -> np.ndarray:
    """``Model::probCE2``: the outcome distribution over options from coalitions ``c``
    ``[..., L, L]``; ``valid`` ``[..., L]`` masks padding options (probability 0)."""
    P = victory_prob(c, vpm)
    L = c.shape[-1]
    if valid is None:
        valid = np.ones(c.shape[:-1], dtype=bool)
    vb = valid[..., None, :]
    if model == "Conditional":
        # Model::condPCE: products in option order (reduce over an outer axis: sequential)
        Pt = np.ascontiguousarray(np.swapaxes(np.where(vb, P, 1.0), -1, -2))
        prod = np.where(valid, np.multiply.reduce(Pt, axis=-2), 0.0)
        tot = prod.sum(axis=-1, keepdims=True)
        if np.all(tot > 0):
            return prod / tot
        # underflow (hundreds of options): the same distribution in log space
        with np.errstate(divide="ignore"):
            logp = np.where(vb, np.log(P), 0.0).sum(axis=-1)
        logp = np.where(valid, logp, -np.inf)
        e = np.where(valid, np.exp(logp - logp.max(axis=-1, keepdims=True)), 0.0)
        e = e / e.sum(axis=-1, keepdims=True)
        return np.where(tot > 0, prod / np.where(tot > 0, tot, 1.0), e)
    nvalid = valid.sum(axis=-1, keepdims=True).astype(float)
    p = np.where(valid, 1.0 / nvalid, 0.0)
    Pm = np.where(vb & valid[..., :, None], P, 0.0)
    if model == "MarkovUniform":
        tol = MARKOV_UNIFORM_TOL
        step = lambda p: (Pm * (p[..., :, None] + p[..., None, :])).sum(axis=-1) / nvalid  # noqa: E731
    elif model == "MarkovIncentive":
        tol = MARKOV_INCENTIVE_TOL
        inc = np.where(vb & valid[..., :, None], c * P, 0.0) + np.where(np.eye(L, dtype=bool) & vb, 1e-10, 0.0)
        colsum = inc.sum(axis=-2, keepdims=True)
        chlg = inc / np.where(colsum > 0, colsum, 1.0)  # chlg[i, j] = P[i challenges j]
        chlg_t = np.swapaxes(chlg, -1, -2)

        def step(p):
            ct = p[..., :, None] * chlg_t  # ct[i, j] = p_i chlg[j, i]
            return (Pm * (ct + np.swapaxes(ct, -1, -2))).sum(axis=-1)
    else:
        raise ValueError(f"unknown PCE model {model!r}")
    active = np.ones(p.shape[:-1], dtype=bool)
    for _ in range(MARKOV_MAX_ITER):
        q = step(p)
        change = np.where(valid, np.abs(q - p), 0.0).max(axis=-1)
        p = np.where(active[..., None], (p + q) / 2.0, p)
        active = active & (change > tol)
        if not active.any():
            break
    return p


def round4(x: np.ndarray) -> np.ndarray:
    """KTAB's ``round4``: ``floor(0.5 + 10^4 x) / 10^4`` (positions on [0, 1])."""
    return np.floor(0.5 + x * 10000.0) / 10000.0


def interpolate(pi, si, pj, sj, prb_i, prb_j, ivb: str):
    """``SMPActor::interpolateBrgn``: the bargain ``(b_i, b_j)`` between positions
    ``pi``/``pj`` ``[..., m]`` with saliences ``si``/``sj`` and probabilities ``[...]``."""
    prb_i = prb_i[..., None]
    prb_j = prb_j[..., None]
    if ivb in ("S2P2", "S1P1"):
        if ivb == "S2P2":
            wik = (si * si) * (prb_i * prb_i)
            wjk = (sj * sj) * (prb_j * prb_j)
        else:
            wik = si * prb_i
            wjk = sj * prb_j
        den = wik + MIN_W + wjk
        bi = round4(((wik + MIN_W) * pi + wjk * pj) / den)
        bj = round4((wik * pi + (MIN_W + wjk) * pj) / den)
        return bi, bj
    if ivb == "S2PMax":
        di = np.maximum(prb_j - prb_i, 0.0)
        dj = np.maximum(prb_i - prb_j, 0.0)
        si2, sj2 = si * si, sj * sj
        dik = (di * sj2) / ((di * sj2) + MIN_W + ((1 - di) * si2))
        djk = (dj * si2) / ((dj * si2) + MIN_W + ((1 - dj) * sj2))
        return pi + dik * (pj - pi), pj + djk * (pi - pj)
    raise ValueError(f"unknown InterVecBrgn {ivb!r}")
